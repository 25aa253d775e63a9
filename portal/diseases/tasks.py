from celery import shared_task

from portal.diseases.services import recognitions_expire


@shared_task(name="portal.diseases.tasks.expire_recognitions", time_limit=120, soft_time_limit=100)
def expire_recognitions() -> int:
    """Daily: approved recognitions past their end expire (a run twice expires nothing more)."""
    return recognitions_expire()
