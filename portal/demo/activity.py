"""A day of activity for the staff dashboards, through the services: scans and settlements at demo clinics
and pharmacies (some paid from a relative's personal account, one reversed, one refunded), off-site filings,
Q&A votes and searches that found nothing. Deterministic and idempotent: it runs once per day of data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from payments.settlement import services as settlement
from payments.settlement.audit import ItemInput
from payments.settlement.models import Settlement
from portal.family.models import FamilyBinding
from portal.institutions.models import Region, Terminal
from portal.offsite.services import current_commitment, filing_create
from portal.people.models import Person
from portal.qa.models import EntryPage
from portal.qa.services import feedback_submit, search_and_log
from vouchers.models import ScanSession, Voucher
from vouchers.scanning import code_issue, scan

# (terminal, business type, item kind): a clinic's outpatient bill (the fund pays part) or a pharmacy purchase.
PLACES = [
    ("DEMO-H34060200005", ScanSession.BusinessType.SETTLEMENT, "service"),
    ("DEMO-P34060200010", ScanSession.BusinessType.PHARMACY_PURCHASE, "drug"),
    ("DEMO-H34060300003", ScanSession.BusinessType.SETTLEMENT, "service"),
    ("DEMO-H34050400018", ScanSession.BusinessType.SETTLEMENT, "service"),
    ("DEMO-P34050400019", ScanSession.BusinessType.PHARMACY_PURCHASE, "drug"),
]
DESTINATIONS = ["310100", "320100", "330100", "440300", "110100", "510100"]
FAILED_SEARCHES = ["火星", "飞机票", "火星", "量子"]


def build_activity(*, progress: Callable[[str], None] = print) -> int:
    """Returns the settlements made (0 when today's demo activity exists already)."""
    today = timezone.localdate()
    prefix = f"demo-{today.isoformat()}-"
    if Settlement.objects.filter(idempotency_key__startswith=prefix).exists():
        return 0
    made = _settlements(prefix)
    _filings(today)
    _qa()
    progress(f"  dashboards: {made} settlements today (one reversed, one refunded), filings, Q&A votes")
    return made


def _payers() -> list[tuple[Person, Person]]:
    """(who shows the code, whose care it is): residents bound by a relative first (their personal-account
    share is paid from the relative's account), then employees with their own account."""
    bound = (
        FamilyBinding.objects.filter(
            status=FamilyBinding.Status.ACTIVE,
            bound__insurance_type=Person.InsuranceType.RESIDENT,  # no personal account of their own
            bound__vouchers__status=Voucher.Status.ACTIVE,
        )
        .exclude(bound__phone="")
        .select_related("bound")
        .order_by("id")[:4]
    )
    pairs = [(b.bound, b.bound) for b in bound]
    own = (
        Person.objects.filter(insurance_type=Person.InsuranceType.EMPLOYEE, vouchers__status=Voucher.Status.ACTIVE)
        .exclude(phone="")
        .exclude(pk__in=[p.pk for p, _ in pairs])
        .order_by("id")[:8]
    )
    return pairs + [(p, p) for p in own]


def _settlements(prefix: str) -> int:
    terminals = {
        t.key_id: t for t in Terminal.objects.filter(key_id__in=[p[0] for p in PLACES]).select_related("institution")
    }
    made: list[tuple[Terminal, Settlement]] = []
    base = 86_000_000_000_000_000_000 + int(prefix[5:15].replace("-", "")) * 1_000  # trace codes: one day's
    for n, (viewer, subject) in enumerate(_payers()):
        places = [p for p in PLACES if p[0] in terminals and terminals[p[0]].institution.region_id == subject.region_id]
        if not places:
            continue
        key_id, business, kind = places[n % len(places)]
        terminal = terminals[key_id]
        session = scan(terminal=terminal, text=code_issue(viewer=viewer, subject=subject).text, business_type=business)
        price = 6_000 + 4_500 * (n % 5)
        if kind == "drug":
            item = ItemInput(
                line=1, code="XA01", name="阿莫西林胶囊", kind=kind, quantity=1, unit_price_fen=price,
                trace_codes=(str(base + n),),
            )  # fmt: skip
        else:
            item = ItemInput(line=1, code="S001", name="门诊诊查及检查", kind=kind, quantity=1, unit_price_fen=price)
        key = f"{prefix}{n}"
        result, _ = settlement.settle(
            terminal=terminal,
            scan_session_id=str(session.session_id),
            idempotency_key=key,
            items=[item],
            prescription=None,
            use_personal_account=True,
            body_hash=settlement.request_hash({"key": key, "price": price}),
        )
        made.append((terminal, result))
    if len(made) >= 2:
        settlement.reverse(terminal=made[-1][0], number=made[-1][1].number)
        settlement.refund_items(
            terminal=made[-2][0], number=made[-2][1].number, lines=[1], idempotency_key=f"{prefix}r"
        )
    return len(made)


def _filings(today: dt.date) -> None:
    """Temporary trips (on commitment, in force at once) to a few cities, for residents of both regions."""
    version = current_commitment().version
    people = Person.objects.filter(offsite_filings__isnull=True).exclude(phone="").order_by("id")
    for n, person in enumerate(people[:: max(1, people.count() // 8)][:8]):
        filing_create(
            person=person,
            filed_by=person,
            category_code="temporary_trip",
            destination_code=DESTINATIONS[n % len(DESTINATIONS)],
            start_date=today,
            end_date=today + dt.timedelta(days=10 + n),
            contact_address="演示地址 1号",
            commitment_version=version,
        )


def _qa() -> None:
    """Votes on a few answers (some not helpful, with a comment) and searches that found nothing."""
    entries = list(EntryPage.objects.live().order_by("id").values_list("pk", flat=True)[:6])
    for n, entry_id in enumerate(entries):
        for voter in range(3):
            helpful = (n + voter) % 3 == 0
            comment = "" if helpful else "没有说清楚需要带什么材料"
            feedback_submit(entry_id=entry_id, helpful=helpful, comment=comment, client_key=f"demo-voter-{voter}")
    region = Region.objects.order_by("code").first()
    for query in FAILED_SEARCHES:
        search_and_log(query=query, region=region)
