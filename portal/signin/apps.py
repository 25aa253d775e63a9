from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "portal.signin"
    label = "signin"
    default_auto_field = "django.db.models.BigAutoField"
