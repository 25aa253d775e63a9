"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Tasks live in a ``tasks`` module beside the code they drive. Celery's autodiscovery looks only at
``<installed app>.tasks``; packages inside an app (``payments.online``) are named in ``TASK_PACKAGES``
so that the worker started as the README says registers every task in the code (a test checks it).
"""

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

TASK_PACKAGES = ["payments.online"]

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(lambda: TASK_PACKAGES)


@setup_logging.connect
def _logging_from_django_settings(**_: Any) -> None:
    """The worker and beat log as the web does (``settings.LOGGING``: JSON or plain, redacted, with the request
    id), instead of Celery replacing the root logger's handlers with its own plain format. ``--loglevel`` is
    then ignored: ``LOG_LEVEL`` sets the level."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
