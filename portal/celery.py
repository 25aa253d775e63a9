"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Tasks live in a ``tasks`` module beside the code they drive. Celery's autodiscovery looks only at
``<installed app>.tasks``; packages inside an app (``payments.online``) are named in ``TASK_PACKAGES``
so that the worker started as the README says registers every task in the code (a test checks it).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

TASK_PACKAGES = ["payments.online"]

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(lambda: TASK_PACKAGES)
