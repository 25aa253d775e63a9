from celery import shared_task

from portal.signin.services import otp_purge_expired


@shared_task(name="portal.signin.tasks.purge_expired_challenges", time_limit=60, soft_time_limit=50)
def purge_expired_challenges() -> int:
    """Delete sign-in codes older than two days (they are useless and hold phone numbers)."""
    return otp_purge_expired()
