"""/metrics under gunicorn with several workers (prometheus-client's multi-process mode): whichever worker
answers the scrape, it counts the requests every worker answered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.live.deployment import Deployment, at_once

pytestmark = pytest.mark.live

REQUESTS = "portal_http_requests_total"


def _healthz(samples: Iterable[Any]) -> float:
    return sum(
        sample.value for sample in samples if sample.name == REQUESTS and sample.labels.get("route") == "healthz"
    )


def _scraped(live: Deployment) -> float:
    answer = live.get("/metrics")
    assert answer.status == 200, answer.body
    families = text_string_to_metric_families(answer.body)
    return sum(_healthz(family.samples) for family in families)


def _by_process(live: Deployment) -> dict[str, float]:
    """Each process's own count, read from its own file in the shared directory."""
    return {
        path.stem: sum(_healthz(metric.samples) for metric in MultiProcessCollector.merge([str(path)]))
        for path in live.metrics_dir.glob("counter_*.db")
    }


def test_a_scrape_sums_the_requests_every_web_worker_answered(live: Deployment) -> None:
    before, each_before = _scraped(live), _by_process(live)
    sent = 0
    answered_by: set[str] = set()
    for _ in range(20):  # until connections reached at least two workers (the first round, as a rule)
        answers = at_once([lambda: live.get("/healthz")] * 24, threads=12)
        assert [a.status for a in answers] == [200] * len(answers)
        sent += len(answers)
        each = _by_process(live)
        answered_by = {name for name, count in each.items() if count > each_before.get(name, 0)}
        if len(answered_by) >= 2:
            break
    assert len(answered_by) >= 2, f"one worker answered everything: {answered_by}"
    after = _scraped(live)
    assert after - before == sent
    assert after == sum(_by_process(live).values())
