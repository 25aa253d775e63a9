from django.apps import AppConfig


class OffsiteConfig(AppConfig):
    """Off-site medical-care filing (异地就医备案) under notify-and-commit (告知承诺制)."""

    name = "portal.offsite"
    label = "offsite"
    default_auto_field = "django.db.models.BigAutoField"
