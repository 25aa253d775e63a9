from celery import shared_task
from django.conf import settings

from portal.offsite.services import filings_expire, verification_sample


@shared_task(name="portal.offsite.tasks.sample_for_verification", time_limit=120, soft_time_limit=100)
def sample_for_verification() -> int:
    """Daily: pick OFFSITE_VERIFICATION_SHARE of yesterday's commitment filings for staff to verify."""
    return verification_sample(share=settings.OFFSITE_VERIFICATION_SHARE)


@shared_task(name="portal.offsite.tasks.expire_filings", time_limit=120, soft_time_limit=100)
def expire_filings() -> int:
    """Daily: temporary filings past their end date expire."""
    return filings_expire()
