from django.apps import AppConfig


class FamilyConfig(AppConfig):
    """Family account sharing (家庭共济): binding relatives to an employee's personal account."""

    name = "portal.family"
    label = "family"
    default_auto_field = "django.db.models.BigAutoField"
