"""Prometheus metrics at ``/metrics`` (prometheus-client), safe with several gunicorn workers.

Two kinds of figures:

- **Events** (requests, scans, settlements, notifies, Celery failures and retries, SMS) are counted where they
  happen, in the process they happen in. Under gunicorn (``PROMETHEUS_MULTIPROC_DIR`` set, see
  portal/gunicorn_conf.py) each process writes its values to files in that directory and a scrape sums them
  all (``MultiProcessCollector``), whichever worker answers it; a Celery worker sharing the directory on the
  same host is summed in too (its task failures and retries are counted in the worker). Without the directory
  (embedded mode, tests) they live in the process's default registry.
- **State** (the notify backlog, the Celery queue depth, hospital events pending, the last invariant check) is
  read from the database and Redis at scrape time by :class:`LiveCollector`, never kept per process: a process
  that died cannot leave a stale value behind, and every worker answers the same.

Labels are few and bounded: the URL *pattern* (never the raw path), the method, the status, error codes from
the catalogue (portal.errors), region codes, channel, queue and task names. Nothing about a person.

``/metrics`` answers ``Authorization: Bearer <METRICS_TOKEN>``; with no token configured, loopback clients only.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import lru_cache
from typing import Any, ParamSpec, Protocol, TypeVar

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from portal.clientip import client_ip
from portal.errors import FORBIDDEN, DomainError, error_body

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# --- events, counted where they happen ---------------------------------------------------------------------

REQUESTS = Counter(
    "portal_http_requests", "HTTP requests answered, by URL pattern, method and status.", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram("portal_http_request_duration_seconds", "Time to answer, by URL pattern.", ["route"])
SCANS = Counter(
    "portal_voucher_scans",
    "E-voucher codes scanned at terminals, by outcome (success or the refusal's code) and the institution's region.",
    ["outcome", "region"],
)
SETTLEMENTS = Counter(
    "portal_settlements",
    "Counter settlements asked for, by outcome (success, replayed: the same key again, or the refusal's code) "
    "and the institution's region.",
    ["outcome", "region"],
)
NOTIFIES = Counter(
    "portal_channel_notifies",
    "Payment channel notifies received, by channel and outcome (accepted, duplicate, or the refusal).",
    ["channel", "outcome"],
)
NOTIFY_LAG = Histogram(
    "portal_channel_notify_lag_seconds",
    "From a notify's arrival to its processing, by channel.",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
TASK_FAILURES = Counter("portal_celery_task_failures", "Celery tasks that failed, by task name.", ["task"])
TASK_RETRIES = Counter("portal_celery_task_retries", "Celery task retries, by task name.", ["task"])
SMS_SENT = Counter("portal_sms_sent", "One-time codes handed to the SMS provider, by purpose.", ["purpose"])
SMS_REFUSED = Counter(
    "portal_sms_refused",
    "One-time codes not sent, by reason (the answer's code: a limit, the global budget, the provider failing).",
    ["reason"],
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"  # no URL pattern: a 404, or refused by a middleware before routing


class MetricsMiddleware:
    """Counts every answer by its URL pattern (``api/v1/payments/orders/<str:number>``), method and status,
    and times it. The pattern, not the path: one series per route whatever the order numbers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.route if match is not None else "") or UNMATCHED
        method = request.method if request.method in _METHODS else "OTHER"
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)
        return response


class _AtTerminal(Protocol):
    @property
    def institution(self) -> Any: ...


def region_of(terminal: _AtTerminal) -> str:
    """The region code of a terminal's institution: read with the terminal when it signed in (its selector
    joins the region), otherwise looked up once per process (codes never change)."""
    institution = terminal.institution
    if type(institution).region.is_cached(institution):
        return str(institution.region.code)
    return _region_code(institution.region_id)


@lru_cache(maxsize=1024)
def _region_code(region_id: int) -> str:
    from portal.institutions.models import Region

    return Region.objects.filter(pk=region_id).values_list("code", flat=True).first() or ""


def counts_at_terminal(counter: Counter, *, replayed: Callable[[Any], bool] | None = None) -> Callable[..., Any]:
    """Decorate a terminal's service (``terminal=`` keyword): each call counts once, by outcome and the
    institution's region. The outcome is ``success``; ``replayed`` when ``replayed(result)`` says the call only
    answered an earlier one (an idempotent retry); the refusal's code; ``error`` for anything unexpected."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            region = region_of(kwargs["terminal"])  # type: ignore[arg-type]
            try:
                result = service(*args, **kwargs)
            except DomainError as refusal:
                counter.labels(refusal.code, region).inc()
                raise
            except Exception:
                counter.labels("error", region).inc()
                raise
            counter.labels("replayed" if replayed is not None and replayed(result) else "success", region).inc()
            return result

        return counted

    return decorate


class _Heard(Protocol):
    @property
    def accepted(self) -> bool: ...

    @property
    def message(self) -> str: ...


H = TypeVar("H", bound=_Heard)


def counts_notifies(receive: Callable[P, H]) -> Callable[P, H]:
    """Decorate ``notify_receive``: each notify counted by channel and outcome. Accepted ones are ``accepted``
    or ``duplicate`` (a channel's retry); a refused one carries its reason (the channel's verification code,
    ``malformed``, ``order_not_found``), a bounded set."""

    @functools.wraps(receive)
    def counted(*args: P.args, **kwargs: P.kwargs) -> H:
        channel = str(kwargs["channel_name"])
        try:
            heard = receive(*args, **kwargs)
        except Exception:
            NOTIFIES.labels(channel, "error").inc()
            raise
        accepted = "duplicate" if heard.message == "duplicate" else "accepted"
        NOTIFIES.labels(channel, accepted if heard.accepted else heard.message).inc()
        return heard

    return counted


def notify_processed(*, channel: str, received_at: Any) -> None:
    """A stored notify was just processed (settled, ignored or refused): how long it waited."""
    NOTIFY_LAG.labels(channel).observe(max((timezone.now() - received_at).total_seconds(), 0.0))


def counts_sms(request_code: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``otp_request``: a code handed to the provider counts as sent, by purpose; a refusal (a limit,
    the global budget, the provider failing: ``sms_unavailable``) by its code. A phone no insured person has
    gets the same answer but no message, and is counted in neither."""

    @functools.wraps(request_code)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            challenge = request_code(*args, **kwargs)
        except DomainError as refusal:
            SMS_REFUSED.labels(refusal.code).inc()
            raise
        if getattr(challenge, "person_id", None) is not None:
            SMS_SENT.labels(str(getattr(challenge, "purpose", ""))).inc()
        return challenge

    return counted


def _task_failed(sender: Any = None, **kwargs: Any) -> None:
    TASK_FAILURES.labels(str(getattr(sender, "name", None) or "unknown")).inc()


def _task_retried(sender: Any = None, **kwargs: Any) -> None:
    TASK_RETRIES.labels(str(getattr(sender, "name", None) or "unknown")).inc()


def connect() -> None:
    """Connect the Celery signals (idempotent): failures and retries are counted in the process that ran the
    task (a worker; the web process itself when tasks run eagerly)."""
    from celery.signals import task_failure, task_retry

    task_failure.connect(_task_failed, weak=False, dispatch_uid="portal.observability.metrics.task_failure")
    task_retry.connect(_task_retried, weak=False, dispatch_uid="portal.observability.metrics.task_retry")


# --- state, read at scrape time ----------------------------------------------------------------------------


class LiveCollector(Collector):
    """Gauges computed when Prometheus scrapes, from the database and the broker. A source that does not
    answer leaves its gauges without samples and says so in ``portal_metrics_source_up``; the scrape itself
    still succeeds."""

    def describe(self) -> Iterable[Metric]:
        return self._families()  # without samples: registering must not query anything

    def collect(self) -> Iterable[Metric]:
        up, backlog, oldest, queues, hospital, ok, violations, finished = self._families()
        for source, read in (
            ("database", lambda: self._database(backlog, oldest, hospital, ok, violations, finished)),
            ("broker", lambda: self._broker(queues)),
        ):
            try:
                read()
            except Exception:
                logger.warning("metrics: %s did not answer", source, exc_info=True)
                up.add_metric([source], 0)
            else:
                up.add_metric([source], 1)
        return [up, backlog, oldest, queues, hospital, ok, violations, finished]

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                "portal_metrics_source_up",
                "1 when the source of the live gauges answered this scrape.",
                labels=["source"],
            ),
            GaugeMetricFamily(
                "portal_channel_notify_backlog",
                "Notifies stored and verified but not processed yet, by channel.",
                labels=["channel"],
            ),
            GaugeMetricFamily(
                "portal_channel_notify_backlog_oldest_seconds",
                "Age of the oldest notify waiting to be processed, by channel.",
                labels=["channel"],
            ),
            GaugeMetricFamily(
                "portal_celery_queue_length",
                "Tasks waiting in the broker, by queue (none when eager).",
                labels=["queue"],
            ),
            GaugeMetricFamily(
                "portal_hospital_events_pending", "Hospital notifications not delivered yet and not given up."
            ),
            GaugeMetricFamily("portal_invariants_ok", "The last check_invariants run: 1 when every check held."),
            GaugeMetricFamily("portal_invariants_violations", "The last check_invariants run: violations found."),
            GaugeMetricFamily(
                "portal_invariants_finished_timestamp_seconds", "When the last check_invariants run finished."
            ),
        ]

    @staticmethod
    def _database(
        backlog: GaugeMetricFamily,
        oldest: GaugeMetricFamily,
        hospital: GaugeMetricFamily,
        ok: GaugeMetricFamily,
        violations: GaugeMetricFamily,
        finished: GaugeMetricFamily,
    ) -> None:
        from payments.online.models import ChannelNotification, HospitalEvent
        from portal.ops.models import InvariantRun

        now = timezone.now()
        # What beat's sweep looks at (payments.online.notifies.notifications_pending): the recent partitions.
        waiting = (
            ChannelNotification.objects.filter(
                received_at__gte=now - timedelta(days=settings.NOTIFY_DEDUP_DAYS),
                processed_at__isnull=True,
                duplicate_of__isnull=True,
                notify_id__isnull=False,
            )
            .values("channel")
            .annotate(count=Count("id"), first=Min("received_at"))
            .order_by("channel")
        )
        for row in waiting:
            backlog.add_metric([row["channel"]], row["count"])
            oldest.add_metric([row["channel"]], max((now - row["first"]).total_seconds(), 0.0))
        hospital.add_metric([], HospitalEvent.objects.filter(Q(delivered_at__isnull=True) & Q(gave_up=False)).count())
        last = InvariantRun.objects.order_by("-id").values("ok", "violations", "finished_at").first()
        if last is not None:
            ok.add_metric([], 1 if last["ok"] else 0)
            violations.add_metric([], last["violations"])
            finished.add_metric([], last["finished_at"].timestamp())

    @staticmethod
    def _broker(queues: GaugeMetricFamily) -> None:
        """LLEN of each queue the app sends to, on a Redis broker. Nothing when tasks run eagerly (no broker)."""
        from portal.celery import app

        url = str(app.conf.broker_url or "")
        if app.conf.task_always_eager or not url.startswith(("redis://", "rediss://", "unix://")):
            return
        names = sorted({app.conf.task_default_queue, *(queue.name for queue in app.conf.task_queues or ())})
        client = _redis(url)
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)
            lengths = pipe.execute()
        for name, length in zip(names, lengths, strict=True):
            queues.add_metric([name], length)


@lru_cache(maxsize=4)
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


@lru_cache(maxsize=1)
def registry() -> CollectorRegistry:
    """What a scrape reads: every process's files summed, and the live gauges (under gunicorn); the default
    registry with the live gauges registered once (embedded mode, tests)."""
    if MULTIPROCESS:
        summed = CollectorRegistry()
        MultiProcessCollector(summed)
        summed.register(LiveCollector())
        return summed
    REGISTRY.register(LiveCollector())
    return REGISTRY


# --- the endpoint ------------------------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = str(settings.METRICS_TOKEN or "")
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(client_ip(request)).is_loopback
    except ValueError:
        return False


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The exposition, in the format the scraper asks for. Refused (403, the project's error shape) without
    the bearer token, or, with no token configured, from anywhere but this machine."""
    if not _allowed(request):
        return JsonResponse(error_body(FORBIDDEN), status=403, json_dumps_params={"ensure_ascii": False})
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(registry()), content_type=content_type)
