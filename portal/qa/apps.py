from django.apps import AppConfig


class QaConfig(AppConfig):
    """Policy Q&A (政策问答): entries written and reviewed in Wagtail, searched in residents' own words."""

    name = "portal.qa"
    label = "qa"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal.qa import signals  # noqa: F401  (keeps the search index in step with publishing)
