"""Project-wide tasks."""

from celery import shared_task


@shared_task(name="portal.ping", acks_late=False, time_limit=10, soft_time_limit=8)
def ping(value: str) -> str:
    """Echo a value back: proves a worker consumes the broker and writes results."""
    return f"pong:{value}"
