"""Operations tasks run by beat."""

from celery import shared_task


@shared_task(name="portal.ops.tasks.check_invariants", time_limit=1800, soft_time_limit=1700)
def check_invariants() -> dict[str, int]:
    """Nightly: prove the money and entitlement invariants; the result is kept for staff and logged."""
    from portal.ops.services import invariants_check

    _, run = invariants_check(record=True)
    assert run is not None
    return {"violations": run.violations, "run": run.pk}


@shared_task(name="portal.ops.tasks.maintain_partitions", time_limit=1800, soft_time_limit=1700)
def maintain_partitions() -> dict[str, object]:
    """Daily: the month partitions ahead of every partitioned table, and the one-time guards pruned
    (PostgreSQL; nothing on SQLite). Archiving old partitions stays an operator's command."""
    from portal.ops.partitions import maintain

    return maintain()
