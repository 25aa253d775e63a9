from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "portal.institutions"
    label = "institutions"
    default_auto_field = "django.db.models.BigAutoField"
