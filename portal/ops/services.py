"""Running the invariant check and keeping its result for staff."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.utils import timezone

from portal.ops.invariants import Result, check_all
from portal.ops.models import InvariantRun

logger = logging.getLogger("portal.invariants")


def invariants_check(*, record: bool) -> tuple[list[Result], InvariantRun | None]:
    """Check every invariant over one snapshot; log the outcome; keep it when ``record``."""
    started = timezone.now()
    results = check_all()
    violations = sum(r.count for r in results)
    if violations:
        logger.error(
            "invariants violated: %s",
            ", ".join(f"{r.name}={r.count}" for r in results if not r.ok),
            extra={"invariant_violations": violations},
        )
    else:
        logger.info("invariants hold (%s checks, %s rows)", len(results), sum(r.checked for r in results))
    if not record:
        return results, None
    run = InvariantRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        ok=not violations,
        violations=violations,
        results=[asdict(r) for r in results],
    )
    return results, run
