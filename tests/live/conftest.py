"""Fixtures for the tests of the service as deployed (see deployment.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.ops import invariants
from tests.live.deployment import Answer, Deployment, unavailable

pytestmark = pytest.mark.live


@pytest.fixture(scope="package")
def live_channel() -> Iterator[Any]:
    """The WeChat Pay stand-in, an outside party: it runs here and notifies the deployment over HTTP."""
    from payments.channels.wechatpay.standin import dev_standin

    server = dev_standin(retry_delays=(0.2, 0.5, 1.0, 2.0))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def live_alipay() -> Iterator[Any]:
    """The Alipay stand-in: the deployment runs both channels, as a bureau's would."""
    from payments.channels.alipay.dev import dev_standin

    server = dev_standin(retry_delays=(0.2, 0.5, 1.0, 2.0))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def deployment(
    django_db_setup: None, live_channel: Any, live_alipay: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """Started once for tests/live and stopped when they are done: its worker and beat must not touch the
    data of the tests that follow."""
    why = unavailable()
    if why:
        pytest.skip(why)
    workdir = Path(tmp_path_factory.mktemp("deployment"))
    running = Deployment(workdir=workdir, channel_url=live_channel.base_url, alipay_gateway=live_alipay.gateway)
    try:
        running.start()
    except BaseException:
        running.stop()
        raise
    yield running
    running.stop()


@pytest.fixture
def live(deployment: Deployment) -> Iterator[Deployment]:
    """The deployment, checked alive before and after each test."""
    deployment.alive()
    yield deployment
    deployment.alive()


def assert_invariants_hold() -> None:
    failed = [r for r in invariants.check_all() if not r.ok]
    assert not failed, "\n".join(f"{r.name}: {r.count} {r.violations[:5]}" for r in failed)


@pytest.fixture
def no_server_errors() -> Callable[[list[Answer]], None]:
    def check(answers: list[Answer]) -> None:
        bad = [a for a in answers if a.status >= 500]
        assert not bad, f"{len(bad)} answers 5xx: {[(a.status, a.body) for a in bad[:5]]}"

    return check
