from payments.benefits import admin as benefits_admin  # noqa: F401  (registers the benefit admin)
