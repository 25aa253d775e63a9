"""Issuing dynamic codes to residents, and redeeming them at institution terminals."""

from __future__ import annotations

import io
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import segno
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.errors import DomainError, define
from portal.institutions.models import Institution, Region, Terminal
from portal.people.models import Person
from vouchers import codec
from vouchers.family import may_show_code_of
from vouchers.keys import ring, ring_reset
from vouchers.models import FamilyHolding, ScanSession, Voucher
from vouchers.services import NO_VOUCHER, VOUCHER_SUSPENDED

CODE_LIFETIME = 60  # seconds a code is valid
REFRESH_AFTER = 30  # the app shows a new code every 30 seconds
CLOCK_SKEW = 5
SCAN_SESSION_MINUTES = 5

NOT_YOUR_RELATIVE = define(
    "not_your_relative", 404, "您未被授权出示该亲属的医保码", "You are not allowed to show this person's code"
)
# Refusals at the scanner, one code each.
SCAN_ERRORS = {
    "malformed": define("code_malformed", 400, "无法识别的医保码", "This is not a readable e-voucher code"),
    "unsupported_version": define(
        "code_unsupported_version", 400, "医保码版本不受支持", "This code version is not supported"
    ),
    "unknown_key": define(
        "code_unknown_key", 400, "医保码签名密钥未知或已失效", "The code was signed with an unknown key"
    ),
    "bad_signature": define("code_bad_signature", 400, "医保码签名无效", "The code's signature is not valid"),
    "expired": define(
        "code_expired", 400, "医保码已过期，请刷新后重新出示", "The code has expired; refresh and show it again"
    ),
    "not_yet_valid": define(
        "code_not_yet_valid",
        400,
        "医保码时间异常，请检查手机时间",
        "The code is from the future; check the phone's clock",
    ),
    "replayed": define(
        "code_replayed", 409, "该医保码已被使用，请刷新后重新出示", "This code was already used; show a fresh one"
    ),
    "revoked": define("code_revoked", 403, "医保电子凭证已注销", "The e-voucher has been revoked"),
    "suspended": define("code_suspended", 403, "医保电子凭证已暂停使用", "The e-voucher is suspended"),
    "holder_removed": define(
        "code_holder_removed", 403, "出示人已无权出示该医保码", "The person showing this code may no longer show it"
    ),
    "wrong_institution": define(
        "code_wrong_institution",
        403,
        "本机构类型不能办理该业务（{business}）",
        "This kind of institution cannot do this business ({business})",
    ),
}

# Which institution kinds may use which business types.
BUSINESS_BY_KIND = {
    Institution.Kind.HOSPITAL: {"01101", "01301", "01302"},
    Institution.Kind.PHARMACY: {"02121", "02122"},
    Institution.Kind.INTERNET_HOSPITAL: {"01101", "01301"},
}


@dataclass(frozen=True)
class IssuedCode:
    text: str
    issued_at: int
    expires_at: int
    subject: Person
    holder: Person | None

    def svg(self) -> bytes:
        out = io.BytesIO()
        qr_code(self.text).save(out, kind="svg", scale=4, border=4, xmldecl=False)
        return out.getvalue()

    def png(self, scale: int = 6) -> bytes:
        out = io.BytesIO()
        qr_code(self.text).save(out, kind="png", scale=scale, border=4)
        return out.getvalue()


def qr_code(text: str) -> segno.QRCode:
    """Error correction M, alphanumeric mode (Base45 uses only QR's alphanumeric characters)."""
    return segno.make_qr(text, error="m", boost_error=False, mode="alphanumeric")


def _now() -> float:
    return time.time()


def code_issue(*, viewer: Person, subject: Person) -> IssuedCode:
    """A fresh code for the viewer's own voucher, or a relative's they hold (family display)."""
    holder: Person | None = None
    holding: FamilyHolding | None = None
    if subject.pk != viewer.pk:
        holding = may_show_code_of(viewer=viewer, subject=subject)
        if holding is None:
            raise DomainError(NOT_YOUR_RELATIVE)
        holder = viewer
    voucher = Voucher.objects.filter(person=subject).exclude(status=Voucher.Status.REVOKED).first()
    if voucher is None:
        raise DomainError(NO_VOUCHER)
    if voucher.status == Voucher.Status.SUSPENDED:
        raise DomainError(VOUCHER_SUSPENDED)
    holder_ref = bytes.fromhex(holding.ref) if holding is not None else None
    keys = ring()
    assert keys.signing is not None and keys.signing_private is not None
    issued_at = int(_now())
    payload = codec.Payload(
        key_id=bytes.fromhex(keys.signing.short_id),
        voucher_ref=bytes.fromhex(voucher.ref),
        issued_at=issued_at,
        lifetime=CODE_LIFETIME,
        nonce=secrets.token_bytes(8),
        holder_ref=holder_ref,
    )
    text = codec.encode(payload, keys.signing_private)
    return IssuedCode(text, issued_at, payload.expires_at, subject, holder)


def _refuse(reason: str, **params: object) -> DomainError:
    return DomainError(SCAN_ERRORS[reason], details={"reason": reason}, **params)


def scan(*, terminal: Terminal, text: str, business_type: str) -> ScanSession:
    """Verify a scanned code completely and redeem it once. Returns the scan session."""
    institution = terminal.institution
    if business_type not in BUSINESS_BY_KIND.get(Institution.Kind(institution.kind), set()):
        raise _refuse("wrong_institution", business=business_type)
    now = _now()
    keys = ring()
    try:
        payload, _, _ = codec.decode(text)
        if payload.key_id not in keys.verifying:
            ring_reset()  # a key created in another process in the last few seconds
            keys = ring()
        payload = codec.verify(text, public_keys=keys.verifying, now=now, skew=CLOCK_SKEW)
    except codec.CodeError as error:
        raise _refuse(error.code) from None
    voucher = _voucher_by_ref(payload.voucher_ref.hex())
    if voucher is None or voucher.status == Voucher.Status.REVOKED:
        raise _refuse("revoked")
    if voucher.status == Voucher.Status.SUSPENDED:
        raise _refuse("suspended")
    holder: Person | None = None
    if payload.holder_ref is not None:
        holding = (
            FamilyHolding.objects.select_related("holder")
            .filter(ref=payload.holder_ref.hex(), relative=voucher.person, status=FamilyHolding.Status.ACTIVE)
            .first()
        )
        if holding is None:
            raise _refuse("holder_removed")
        holder = holding.holder
    created = timezone.now()
    session = ScanSession(
        id=uuid.uuid4(),
        nonce=payload.nonce.hex(),
        voucher=voucher,
        person=voucher.person,
        holder=holder,
        terminal=terminal,
        institution=institution,
        business_type=business_type,
        created_at=created,
        expires_at=created + timedelta(minutes=SCAN_SESSION_MINUTES),
    )
    try:
        _record(session, purpose=f"scan {business_type}")
    except IntegrityError:
        raise _refuse("replayed") from None
    return session


_VOUCHER_SQL = (
    "SELECT v.id, v.status, p.id, p.name, p.id_number_masked, p.gender, p.id_number_encrypted, p.insurance_type, "
    "p.insured, r.id, r.code, r.name FROM vouchers_voucher v JOIN people_person p ON p.id = v.person_id "
    "JOIN institutions_region r ON r.id = p.region_id WHERE v.ref = %s"
)


def _voucher_by_ref(ref: str) -> Voucher | None:
    """The voucher with the fields a scan answers with. Plain SQL: the ORM spent longer composing this
    three-table query than the database took to run it, on the hottest read of the project."""
    with connection.cursor() as cursor:
        cursor.execute(_VOUCHER_SQL, [ref])
        row = cursor.fetchone()
    if row is None:
        return None
    (
        voucher_id,
        status,
        person_id,
        name,
        masked,
        gender,
        id_number_encrypted,
        insurance_type,
        insured,
        region_id,
        region_code,
        region_name,
    ) = row
    region = Region(id=region_id, code=region_code, name=region_name)
    person = Person(
        id=person_id,
        name=name,
        id_number_masked=masked,
        gender=gender,
        id_number_encrypted=id_number_encrypted,
        insurance_type=insurance_type,
        insured=bool(insured),
        region=region,
    )
    return Voucher(id=voucher_id, status=status, person=person, ref=ref)


_AUDIT_FIELDS = ["id_number_masked", "insurance_type", "name", "region"]


def _record(session: ScanSession, *, purpose: str) -> None:
    """Insert the scan session (its unique nonce redeems the code) and its audit row, atomically.

    On PostgreSQL outside a transaction this is one statement (both rows or neither, one round trip):
    scans are the hottest write. Elsewhere, the ORM in a transaction.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic():
            session.save(force_insert=True)
            audit_record(
                action=AuditEvent.Action.READ,
                person=session.person,
                purpose=purpose,
                terminal=session.terminal,
                fields=_AUDIT_FIELDS,
            )
        return
    sql = (
        "WITH s AS (INSERT INTO vouchers_scansession (id, nonce, voucher_id, person_id, holder_id, terminal_id, "
        "institution_id, business_type, created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "RETURNING person_id) "
        "INSERT INTO audit_auditevent (at, action, person_id, actor_user_id, actor_terminal_id, purpose, fields) "
        "SELECT %s, %s, person_id, NULL, %s, %s, %s::jsonb FROM s"
    )
    params: list[Any] = [
        session.id,
        session.nonce,
        session.voucher_id,
        session.person_id,
        session.holder_id,
        session.terminal_id,
        session.institution_id,
        session.business_type,
        session.created_at,
        session.expires_at,
        session.created_at,
        AuditEvent.Action.READ,
        session.terminal_id,
        purpose,
        json.dumps(_AUDIT_FIELDS),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def scan_session_valid(*, session_id: str, terminal: Terminal) -> ScanSession | None:
    """A scan session that this terminal's institution may still use for the next call."""
    now = timezone.now()
    return (
        ScanSession.objects.select_related("person", "voucher")
        .filter(
            pk=session_id,
            institution_id=terminal.institution_id,
            expires_at__gt=now,
            created_at__gt=now - timedelta(minutes=SCAN_SESSION_MINUTES),  # the partitions to read
        )
        .first()
    )


def epoch_to_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC).astimezone(timezone.get_current_timezone())
