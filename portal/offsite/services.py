"""Filing, changing, cancelling, reviewing and verifying off-site medical-care filings."""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
import uuid
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal import divisions
from portal.errors import DomainError, define
from portal.family.proofs import check_proof
from portal.offsite.models import CommitmentText, FilingCategory, FilingEvent, OffsiteFiling
from portal.parsing import ascii_digits
from portal.people.models import Person
from portal.signin.sms import SmsError, get_backend
from portal.transitions import transition

CATEGORY_UNKNOWN = define(
    "filing_category_unknown", 400, "本统筹区没有该备案类别", "This region has no such filing category"
)
NOT_ELIGIBLE = define(
    "filing_not_eligible",
    409,
    "您的参保类别不能办理「{category}」备案",
    "Your kind of insurance cannot file as '{category}'",
)
DESTINATION_INVALID = define(
    "destination_invalid",
    400,
    "没有找到就医地「{code}」，请选择一个城市（如上海市 310100）",
    "We don't know the destination '{code}'; choose a city (such as Shanghai, 310100)",
)
DESTINATION_HOME = define(
    "destination_is_home", 400, "就医地不能是参保地", "The destination cannot be your own pooling region"
)
DATES_INVALID = define("filing_dates_invalid", 400, "备案日期有误：{reason}", "The filing dates are wrong: {reason}")
OVERLAP = define(
    "filing_overlaps",
    409,
    "与已有的有效备案（{destination}，{start} 起）时间重叠",
    "It overlaps an active filing ({destination} from {start})",
)
COMMITMENT_OUTDATED = define(
    "commitment_outdated",
    409,
    "承诺书已更新，请阅读最新版本（{version}）后重新确认",
    "The commitment wording changed; read version {version} and accept it again",
)
COMMITMENT_NOT_ALLOWED = define(
    "commitment_not_allowed", 400, "该类别须上传证明材料", "This category needs documents, not a commitment"
)
BASIS_MISSING = define(
    "filing_basis_missing", 400, "请确认承诺书或上传证明材料", "Accept the commitment or upload documents"
)
TOO_EARLY = define(
    "filing_change_too_early",
    409,
    "备案生效 {days} 天后方可变更或取消（{date} 起）",
    "The filing can be changed or cancelled {days} days after it started (from {date})",
)
FILING_NOT_FOUND = define("filing_not_found", 404, "未找到该备案", "No such filing")
FILING_STATE = define(
    "filing_state_refused",
    409,
    "备案当前状态（{status}）不能执行此操作",
    "The filing is {status}; this is not possible",
)

_REASONS = {
    "end_before_start": ("结束日期早于开始日期", "the end is before the start"),
    "too_long": ("超过该类别最长有效期", "longer than this category allows"),
    "end_required": ("临时类备案须填写结束日期", "this category needs an end date"),
    "end_not_allowed": ("长期类备案无需结束日期", "this category is valid until cancelled"),
    "start_too_early": (
        "开始日期不能早于今天（住院未结算可追溯）",
        "the start cannot be before today (except for an admission not yet settled)",
    ),
    "start_too_late": ("开始日期不能晚于一年后", "the start cannot be more than a year ahead"),
}


def _dates_error(reason: str) -> DomainError:
    from portal.errors import Bilingual

    zh, en = _REASONS[reason]
    return DomainError(DATES_INVALID, reason=Bilingual(zh, en), details={"reason": reason})


def check_destination(code: str, *, home: str) -> str:
    """A destination is a place of the shipped national list (portal.divisions): a city, prefecture or
    directly administered county-level place, or a municipality."""
    code = code.strip()
    if len(code) != 6 or not ascii_digits(code) or divisions.place(code) is None:
        raise DomainError(DESTINATION_INVALID, code=code[:12])
    if code == home:
        raise DomainError(DESTINATION_HOME)
    return code


def _move(filing: OffsiteFiling, new: str, *, by: str, note: str = "", **fields: object) -> OffsiteFiling:
    return transition(
        filing,
        new,
        transitions=OffsiteFiling.TRANSITIONS,
        refused=lambda old: DomainError(FILING_STATE, status=old),
        history=lambda old, to: FilingEvent.objects.create(
            filing=filing, from_status=old, to_status=to, by=by, note=note[:300]
        ),
        **fields,
    )


def current_commitment() -> CommitmentText:
    text = CommitmentText.objects.filter(active=True).order_by("-published_at", "-id").first()
    assert text is not None, "a commitment wording is shipped by migration"
    return text


def _overlapping(
    person: Person, start: dt.date, end: dt.date | None, exclude: int | None = None
) -> OffsiteFiling | None:
    qs = OffsiteFiling.objects.filter(person=person, status__in=OffsiteFiling.LIVE).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if end is not None:
        qs = qs.filter(start_date__lte=end)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.first()


def check_dates(
    category: FilingCategory, *, start_date: dt.date, end_date: dt.date | None, admission_date: dt.date | None
) -> None:
    """The dates a category allows, as of today (the start may go back to an admission for some categories)."""
    today = timezone.localdate()
    earliest = today
    if admission_date is not None and category.backdate_days:
        earliest = max(admission_date, today - timedelta(days=category.backdate_days))
    if start_date < earliest:
        raise _dates_error("start_too_early")
    if start_date > today + timedelta(days=366):
        raise _dates_error("start_too_late")
    if category.validity_days is None:
        if end_date is not None:
            raise _dates_error("end_not_allowed")
    else:
        if end_date is None:
            raise _dates_error("end_required")
        if end_date < start_date:
            raise _dates_error("end_before_start")
        if (end_date - start_date).days + 1 > category.validity_days:
            raise _dates_error("too_long")


def filing_create(
    *,
    person: Person,
    filed_by: Person,
    category_code: str,
    destination_code: str,
    start_date: dt.date,
    end_date: dt.date | None,
    contact_address: str,
    commitment_version: str | None = None,
    materials: UploadedFile | None = None,
    admission_date: dt.date | None = None,
) -> OffsiteFiling:
    category = FilingCategory.objects.filter(region_id=person.region_id, code=category_code, active=True).first()
    if category is None:
        raise DomainError(CATEGORY_UNKNOWN)
    if person.insurance_type not in category.eligible_insurance_types:
        raise DomainError(NOT_ELIGIBLE, category=category.get_code_display())
    destination = check_destination(destination_code, home=person.region.code)
    check_dates(category, start_date=start_date, end_date=end_date, admission_date=admission_date)
    commitment: CommitmentText | None = None
    if commitment_version:
        if not category.commitment_allowed:
            raise DomainError(COMMITMENT_NOT_ALLOWED)
        commitment = current_commitment()
        if commitment.version != commitment_version:
            raise DomainError(COMMITMENT_OUTDATED, version=commitment.version)
    elif materials is None:
        raise DomainError(BASIS_MISSING)
    with transaction.atomic():
        Person.objects.select_for_update(no_key=True).filter(pk=person.pk).first()  # serialise the overlap check
        clash = _overlapping(person, start_date, end_date)
        if clash is not None:
            raise DomainError(OVERLAP, destination=clash.destination_code, start=clash.start_date.isoformat())
        filing = OffsiteFiling(
            person=person,
            filed_by=filed_by,
            category=category,
            destination_code=destination,
            start_date=start_date,
            end_date=end_date,
            admission_date=admission_date,
            contact_address=contact_address.strip()[:200],
            basis=OffsiteFiling.Basis.COMMITMENT if commitment else OffsiteFiling.Basis.MATERIALS,
            commitment=commitment,
            commitment_accepted_at=timezone.now() if commitment else None,
            status=OffsiteFiling.Status.ACTIVE if commitment else OffsiteFiling.Status.PENDING_REVIEW,
        )
        if materials is not None and commitment is None:
            _, extension = check_proof(materials, max_bytes=5 * 1024 * 1024)
            filing.materials.save(f"{uuid.uuid4().hex}.{extension}", materials, save=False)
        filing.save()
        by = "resident" if filed_by.pk == person.pk else "guardian"
        FilingEvent.objects.create(
            filing=filing,
            to_status=filing.status,
            by=by,
            note=f"commitment {commitment.version}" if commitment else "documents",
        )
    return filing


def change_allowed_from(filing: OffsiteFiling) -> dt.date | None:
    """The first day an active filing may be changed or cancelled, while that day is still ahead; else None."""
    wait = filing.category.min_days_before_change
    allowed_from = filing.start_date + timedelta(days=wait)
    if filing.status == OffsiteFiling.Status.ACTIVE and wait and timezone.localdate() < allowed_from:
        return allowed_from
    return None


def _may_change(filing: OffsiteFiling) -> None:
    allowed_from = change_allowed_from(filing)
    if allowed_from is not None:
        raise DomainError(TOO_EARLY, days=filing.category.min_days_before_change, date=allowed_from.isoformat())


def filing_change(
    *, filing: OffsiteFiling, by: Person, end_date: dt.date | None = None, contact_address: str | None = None
) -> OffsiteFiling:
    """Change the address or (temporary filings) the end date, within the category's rules."""
    if filing.status not in OffsiteFiling.LIVE:
        raise DomainError(FILING_STATE, status=filing.status)
    _may_change(filing)
    fields: dict[str, object] = {}
    if contact_address is not None:
        fields["contact_address"] = contact_address.strip()[:200]
    if end_date is not None:
        validity = filing.category.validity_days
        if validity is None:
            raise _dates_error("end_not_allowed")
        if end_date < filing.start_date:
            raise _dates_error("end_before_start")
        if (end_date - filing.start_date).days + 1 > validity:
            raise _dates_error("too_long")
        fields["end_date"] = end_date
    with transaction.atomic():
        OffsiteFiling.objects.filter(pk=filing.pk).update(**fields)
        FilingEvent.objects.create(
            filing=filing,
            from_status=filing.status,
            to_status=filing.status,
            by="resident" if by.pk == filing.person_id else "guardian",
            note="changed: " + ", ".join(sorted(fields)),
        )
    filing.refresh_from_db()
    return filing


def filing_cancel(*, filing: OffsiteFiling, by: Person) -> OffsiteFiling:
    _may_change(filing)
    who = "resident" if by.pk == filing.person_id else "guardian"
    return _move(filing, OffsiteFiling.Status.CANCELLED, by=who, ended_on=timezone.localdate())


def filing_review(*, filing_id: int, approve: bool, note: str = "") -> OffsiteFiling:
    """Staff decide on a filing made with documents."""
    filing = OffsiteFiling.objects.get(pk=filing_id)
    new = OffsiteFiling.Status.ACTIVE if approve else OffsiteFiling.Status.REJECTED
    return _move(filing, new, by="staff", note=note)


def verification_sample(*, share: float, since: dt.datetime | None = None, seed: int | None = None) -> int:
    """Pick ``share`` (0-1) of the commitment filings not yet considered, for staff to verify."""
    since = since or timezone.now() - timedelta(days=1)
    candidates = list(
        OffsiteFiling.objects.filter(
            basis=OffsiteFiling.Basis.COMMITMENT, sampled_at__isnull=True, created_at__gte=since
        ).values_list("pk", flat=True)
    )
    if not candidates:
        return 0
    # Unpredictable in production (nobody can tell whose filing will be checked); seeded only in tests.
    rng = random.Random(seed) if seed is not None else secrets.SystemRandom()  # noqa: S311
    picked = rng.sample(candidates, math.ceil(len(candidates) * max(0.0, min(share, 1.0))))
    now = timezone.now()
    with transaction.atomic():
        OffsiteFiling.objects.filter(pk__in=candidates).update(sampled_at=now)
        OffsiteFiling.objects.filter(pk__in=picked).update(verification=OffsiteFiling.Verification.SELECTED)
    return len(picked)


def verification_decide(
    *, filing_id: int, truthful: bool, reason: str = "", revoke_from: dt.date | None = None
) -> OffsiteFiling:
    """Staff record the outcome of a verification. A false commitment revokes the filing from a date."""
    filing = OffsiteFiling.objects.select_related("person").get(pk=filing_id)
    if filing.verification != OffsiteFiling.Verification.SELECTED:
        raise DomainError(FILING_STATE, status=filing.verification)
    if truthful:
        OffsiteFiling.objects.filter(pk=filing.pk).update(verification=OffsiteFiling.Verification.CONFIRMED)
        FilingEvent.objects.create(
            filing=filing, from_status=filing.status, to_status=filing.status, by="staff", note="verified: true"
        )
        filing.refresh_from_db()
        return filing
    revoke_from = revoke_from or filing.start_date
    consequence = (
        f"备案自 {revoke_from} 起撤销，此后按备案享受的异地就医待遇将被追回；失信承诺已记录。"
        f" / Revoked from {revoke_from}; off-site benefits since then are recovered; the false commitment is "
        f"recorded. ({reason})"
    )[:300]
    with transaction.atomic():
        OffsiteFiling.objects.filter(pk=filing.pk).update(verification=OffsiteFiling.Verification.REJECTED)
        filing = _move(
            filing,
            OffsiteFiling.Status.REVOKED,
            by="staff",
            note=f"verified: false: {reason}",
            ended_on=revoke_from,
            consequence=consequence,
        )
    if filing.person.phone:
        try:
            get_backend().send_notice(
                phone=filing.person.phone,
                text=f"【医保服务】您的异地就医备案经核查与承诺不符，已自{revoke_from}起撤销。如有疑问请联系医保经办机构。",
            )
        except SmsError as error:  # the decision stands; the notice is in the resident's filing history
            FilingEvent.objects.create(
                filing=filing,
                from_status=filing.status,
                to_status=filing.status,
                by="system",
                note=f"SMS notice failed: {error.code}",
            )
    return filing


def filings_expire(*, today: dt.date | None = None) -> int:
    """Scheduled: temporary filings past their end date expire."""
    today = today or timezone.localdate()
    expired = 0
    for filing in OffsiteFiling.objects.filter(status=OffsiteFiling.Status.ACTIVE, end_date__lt=today):
        try:
            assert filing.end_date is not None
            _move(filing, OffsiteFiling.Status.EXPIRED, by="system", ended_on=filing.end_date + timedelta(days=1))
            expired += 1
        except DomainError:
            continue
    return expired
