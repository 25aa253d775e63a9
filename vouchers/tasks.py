from celery import shared_task

from vouchers.keys import key_rotate_if_due


@shared_task(name="vouchers.tasks.rotate_signing_key", time_limit=60, soft_time_limit=50)
def rotate_signing_key() -> str | None:
    """Daily: a new signing key, published VOUCHER_KEY_LEAD_SECONDS before it signs; the previous one signs
    until then and verifies until its codes have expired."""
    key = key_rotate_if_due()
    return key.short_id if key else None


@shared_task(name="vouchers.tasks.expire_pending_holdings", time_limit=120, soft_time_limit=100)
def expire_pending_holdings() -> int:
    """Hourly: requests to show a relative's code that nobody consented to within a day are removed."""
    from vouchers.family import holdings_expire_pending

    return holdings_expire_pending()
