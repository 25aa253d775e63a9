from django.apps import AppConfig


class DiseasesConfig(AppConfig):
    """Specified and chronic diseases (门诊规定病种 / 门诊慢特病): the lists, recognition, suspensions."""

    name = "portal.diseases"
    label = "diseases"
    default_auto_field = "django.db.models.BigAutoField"
