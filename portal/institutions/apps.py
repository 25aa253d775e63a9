from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "portal.institutions"
    label = "institutions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from portal.institutions.models import Institution, Terminal
        from portal.institutions.selectors import terminal_cache_forget

        def forget(**kwargs: object) -> None:
            terminal_cache_forget()

        post_save.connect(forget, sender=Terminal, dispatch_uid="terminal-cache")
        post_save.connect(forget, sender=Institution, dispatch_uid="terminal-cache-institution")
