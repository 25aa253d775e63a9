"""Issuing dynamic codes to residents, and redeeming them at institution terminals."""

from __future__ import annotations

import io
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import qrcode
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathFillImage
from qrcode.util import MODE_ALPHA_NUM, QRData

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.crypto import decrypt
from portal.errors import DomainError, define
from portal.institutions.models import Institution, Terminal
from portal.observability import metrics
from portal.people.models import Person
from vouchers import codec, prepared
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
        """Vector paths on a white ground (a scanner reads it on any page colour)."""
        out = io.BytesIO()
        qr_code(self.text).make_image(image_factory=SvgPathFillImage).save(out)
        return out.getvalue()

    def png(self, scale: int = 6) -> bytes:
        out = io.BytesIO()
        qr_code(self.text, box_size=scale).make_image().save(out)
        return out.getvalue()


def qr_code(text: str, *, box_size: int = 4) -> qrcode.QRCode:
    """The design card's ``qrcode``: error correction M, alphanumeric mode (Base45 uses only QR's
    alphanumeric characters), the smallest version that holds it (6 for our codes), a 4-module quiet zone."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(QRData(text, mode=MODE_ALPHA_NUM))
    qr.make(fit=True)
    return qr


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


@dataclass(frozen=True)
class ScannedPerson:
    """What a scan answers about the person: read with the voucher, no model instance built."""

    name: str
    id_number_masked: str
    gender: str
    id_number_encrypted: str
    insurance_type: str
    insured: bool
    region_code: str
    region_name: str

    @property
    def birth_date(self) -> date:
        """As :attr:`Person.birth_date`: from the encrypted identity number (birth dates are not stored in clear)."""
        number = decrypt(self.id_number_encrypted, context="person.id_number")
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@dataclass(frozen=True)
class Scan:
    """A redeemed code: the scan session written (its id and expiry) and what the terminal is told."""

    session_id: uuid.UUID
    expires_at: datetime
    business_type: str
    voucher_status: str
    person: ScannedPerson
    holder_name: str | None  # the holder's name when a relative's code was shown by its holder


@metrics.counts_at_terminal(metrics.SCANS)
def scan(*, terminal: Terminal, text: str, business_type: str) -> Scan:
    """Verify a scanned code completely and redeem it once. Returns the scan session's figures.

    The checks, in this order, each with its own refusal: the institution's kind may do this business; the
    code (format, key and its signing start, signature, time); the voucher (unknown or revoked, suspended); a
    holder's code: the holding is still active; then the redemption itself, where the nonce's uniqueness makes a
    second scan of the same code, concurrent or not, ``code_replayed``.
    """
    institution = terminal.institution
    if business_type not in BUSINESS_BY_KIND.get(Institution.Kind(institution.kind), set()):
        raise _refuse("wrong_institution", business=business_type)
    now = _now()
    try:
        payload, body, signature = codec.decode(text)
        keys = ring()
        if payload.key_id not in keys.verifying:
            ring_reset()  # a key created in another process in the last few seconds
            keys = ring()
        codec.verify_decoded(
            payload,
            body,
            signature,
            public_keys=keys.verifying,
            now=now,
            skew=CLOCK_SKEW,
            signs_from=keys.signs_from,
        )
    except codec.CodeError as error:
        raise _refuse(error.code) from None
    created = timezone.now()
    redeem = _redeem_in_one_statement if connection.vendor == "postgresql" else _redeem_step_by_step
    return redeem(
        payload=payload,
        session_id=uuid.uuid4(),
        terminal=terminal,
        business_type=business_type,
        created=created,
        expires=created + timedelta(minutes=SCAN_SESSION_MINUTES),
    )


def _refuse_voucher(status: str) -> None:
    if status == Voucher.Status.REVOKED:
        raise _refuse("revoked")
    if status == Voucher.Status.SUSPENDED:
        raise _refuse("suspended")


# PostgreSQL: the whole redemption in one prepared statement (vouchers.prepared): one round trip, parsed
# and planned once per connection, and no transaction of its own (one statement is atomic; inside a
# caller's transaction, a savepoint). It reads the voucher, its person and region (and, for a code shown
# by a holder, the active holding and the holder's name); only when every check passes does it insert the
# scan session, whose nonce trigger (vouchers.0005) claims the nonce in RedeemedNonce, and the scan's audit
# row. It answers the row it read, so the caller tells the refusals apart exactly as the step-by-step scan
# does, in the same order. A replayed nonce fails the whole statement (IntegrityError): neither row is
# written.
_FOUND_HOLDER_COLUMNS = ", h.holder_id, hp.name AS holder_name"
_FOUND_HOLDER_JOINS = (
    " LEFT JOIN vouchers_familyholding h ON h.ref = %(holder_ref)s AND h.relative_id = v.person_id"
    " AND h.status = %(holding_active)s LEFT JOIN people_person hp ON hp.id = h.holder_id"
)
_SCAN_SQL = (
    "WITH found AS ("
    "SELECT v.id, v.status, v.person_id, p.name, p.id_number_masked, p.gender, p.id_number_encrypted, "
    "p.insurance_type, p.insured, r.code AS region_code, r.name AS region_name{holder_columns} "
    "FROM vouchers_voucher v JOIN people_person p ON p.id = v.person_id "
    "JOIN institutions_region r ON r.id = p.region_id{holder_joins} WHERE v.ref = %(ref)s"
    "), session AS ("
    "INSERT INTO vouchers_scansession (id, nonce, voucher_id, person_id, holder_id, terminal_id, institution_id, "
    "business_type, created_at, expires_at) "
    "SELECT %(id)s, %(nonce)s, id, person_id, {holder_id}, %(terminal)s, %(institution)s, %(business_type)s, "
    "%(created)s, %(expires)s FROM found WHERE status NOT IN (%(revoked)s, %(suspended)s){holder_present} "
    "RETURNING person_id"
    "), audit AS ("
    "INSERT INTO audit_auditevent (at, action, person_id, actor_user_id, actor_terminal_id, purpose, fields) "
    "SELECT %(created)s, %(action)s, person_id, NULL, %(terminal)s, %(purpose)s, %(fields)s::jsonb FROM session"
    ") "
    "SELECT status, name, id_number_masked, gender, id_number_encrypted, insurance_type, insured, region_code, "
    "region_name{holder_name} FROM found"
)
_SCAN_OWN_CODE_SQL = _SCAN_SQL.format(
    holder_columns="", holder_joins="", holder_id="NULL", holder_present="", holder_name=", NULL"
)
_SCAN_HOLDER_CODE_SQL = _SCAN_SQL.format(
    holder_columns=_FOUND_HOLDER_COLUMNS,
    holder_joins=_FOUND_HOLDER_JOINS,
    holder_id="holder_id",
    holder_present=" AND holder_id IS NOT NULL",
    holder_name=", holder_name",
)
_AUDIT_FIELDS = ["id_number_masked", "insurance_type", "name", "region"]
_AUDIT_FIELDS_JSON = json.dumps(sorted(_AUDIT_FIELDS))


def _redeem_in_one_statement(
    *,
    payload: codec.Payload,
    session_id: uuid.UUID,
    terminal: Terminal,
    business_type: str,
    created: datetime,
    expires: datetime,
) -> Scan:
    params: dict[str, Any] = {
        "ref": payload.voucher_ref.hex(),
        "id": session_id,
        "nonce": payload.nonce.hex(),
        "terminal": terminal.pk,
        "institution": terminal.institution_id,
        "business_type": business_type,
        "created": created,
        "expires": expires,
        "revoked": Voucher.Status.REVOKED.value,
        "suspended": Voucher.Status.SUSPENDED.value,
        "action": AuditEvent.Action.READ.value,
        "purpose": f"scan {business_type}"[:100],
        "fields": _AUDIT_FIELDS_JSON,
    }
    sql = _SCAN_OWN_CODE_SQL
    if payload.holder_ref is not None:
        sql = _SCAN_HOLDER_CODE_SQL
        params["holder_ref"] = payload.holder_ref.hex()
        params["holding_active"] = FamilyHolding.Status.ACTIVE.value
    try:
        row = prepared.fetch_one(sql, params)
    except IntegrityError:
        raise _refuse("replayed") from None
    if row is None:
        raise _refuse("revoked")  # no voucher with this reference
    status, *person_columns, holder_name = row
    _refuse_voucher(status)
    if payload.holder_ref is not None and holder_name is None:
        raise _refuse("holder_removed")
    return Scan(session_id, expires, business_type, status, ScannedPerson(*person_columns), holder_name)


_VOUCHER_SQL = (
    "SELECT v.id, v.status, v.person_id, p.name, p.id_number_masked, p.gender, p.id_number_encrypted, "
    "p.insurance_type, p.insured, r.code, r.name FROM vouchers_voucher v JOIN people_person p ON p.id = v.person_id "
    "JOIN institutions_region r ON r.id = p.region_id WHERE v.ref = %s"
)


def _redeem_step_by_step(
    *,
    payload: codec.Payload,
    session_id: uuid.UUID,
    terminal: Terminal,
    business_type: str,
    created: datetime,
    expires: datetime,
) -> Scan:
    """Elsewhere (SQLite, the embedded mode): the same checks in the same order, one query each, then the
    scan session (its unique nonce redeems the code) and its audit row in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_VOUCHER_SQL, [payload.voucher_ref.hex()])
        row = cursor.fetchone()
    if row is None:
        raise _refuse("revoked")  # no voucher with this reference
    _refuse_voucher(row[1])
    voucher_id, status, person_id, name, masked, gender, encrypted, insurance_type, insured, region, region_name = row
    person = ScannedPerson(name, masked, gender, encrypted, insurance_type, bool(insured), region, region_name)
    holder_id: int | None = None
    holder_name: str | None = None
    if payload.holder_ref is not None:
        holding = (
            FamilyHolding.objects.filter(
                ref=payload.holder_ref.hex(), relative_id=person_id, status=FamilyHolding.Status.ACTIVE
            )
            .values_list("holder_id", "holder__name")
            .first()
        )
        if holding is None:
            raise _refuse("holder_removed")
        holder_id, holder_name = holding
    try:
        with transaction.atomic():
            ScanSession.objects.create(
                id=session_id,
                nonce=payload.nonce.hex(),
                voucher_id=voucher_id,
                person_id=person_id,
                holder_id=holder_id,
                terminal=terminal,
                institution_id=terminal.institution_id,
                business_type=business_type,
                created_at=created,
                expires_at=expires,
            )
            audit_record(
                action=AuditEvent.Action.READ,
                person=person_id,
                purpose=f"scan {business_type}",
                terminal=terminal,
                fields=_AUDIT_FIELDS,
            )
    except IntegrityError:
        raise _refuse("replayed") from None
    return Scan(session_id, expires, business_type, status, person, holder_name)


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
