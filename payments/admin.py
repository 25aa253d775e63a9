# Register the admin of each sub-package.
from payments.benefits import admin as benefits_admin  # noqa: F401
from payments.online import admin as online_admin  # noqa: F401
from payments.settlement import admin as settlement_admin  # noqa: F401
