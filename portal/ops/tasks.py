"""Operations tasks run by beat."""

from celery import shared_task


@shared_task(name="portal.ops.tasks.check_invariants", time_limit=1800, soft_time_limit=1700)
def check_invariants() -> dict[str, int]:
    """Nightly: prove the money and entitlement invariants; the result is kept for staff and logged."""
    from portal.ops.services import invariants_check

    _, run = invariants_check(record=True)
    assert run is not None
    return {"violations": run.violations, "run": run.pk}
