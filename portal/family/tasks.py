from celery import shared_task

from portal.family.services import bindings_expire_overdue


@shared_task(name="portal.family.tasks.expire_overdue_bindings", time_limit=120, soft_time_limit=100)
def expire_overdue_bindings() -> int:
    """Bindings whose relative did not consent in time expire (hourly)."""
    return bindings_expire_overdue()
