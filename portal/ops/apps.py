from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations commands (health of workers, maintenance), and the observability signals."""

    name = "portal.ops"
    label = "ops"

    def ready(self) -> None:
        # Celery's signals, in the web processes and the worker and beat alike (each loads the apps).
        from portal.observability import health, logs, metrics

        logs.connect()
        metrics.connect()
        health.connect()
