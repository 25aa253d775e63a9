from django.apps import AppConfig


class WebConfig(AppConfig):
    """The residents' mobile web pages (server-rendered, a little plain JavaScript)."""

    name = "portal.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"
