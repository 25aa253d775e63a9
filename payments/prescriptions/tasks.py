from celery import shared_task

from payments.prescriptions.services import prescriptions_expire


@shared_task(name="payments.prescriptions.tasks.expire_prescriptions", time_limit=120, soft_time_limit=100)
def expire_prescriptions() -> int:
    """Daily: open prescriptions past their last day are marked expired (claims refuse them by date anyway)."""
    return prescriptions_expire()
