from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "portal.signin"
    label = "signin"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal.signin import schema  # noqa: F401  (registers the OpenAPI auth extensions)
