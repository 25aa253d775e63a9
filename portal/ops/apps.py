from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations commands (health of workers, maintenance)."""

    name = "portal.ops"
    label = "ops"
