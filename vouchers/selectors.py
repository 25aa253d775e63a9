"""Reads: published keys, revocation lists, and activation and scan figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from portal.people.models import Person
from vouchers import codec
from vouchers.keys import published_signs_from, ring, verifying_keys_queryset
from vouchers.models import FamilyHolding, FamilyHoldingEvent, ScanSession, Voucher, VoucherEvent

# Codes of a suspended or revoked voucher, or shown by a holder whose holding was removed, stop being
# issued at once and expire within a minute; lists carry a day of changes so that a terminal caching them
# for up to a day misses nothing.
REVOCATION_WINDOW = timedelta(days=1)


def jwks() -> dict[str, Any]:
    """The published keys, newest first; a key announced ahead of signing (``signs_from`` in the future)
    is here from its creation. Never empty: with no key signing, one is made first."""
    ring()
    keys = []
    for key in verifying_keys_queryset().order_by("-created_at"):
        keys.append(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": key.public_key,
                "kid": key.kid,
                "use": "sig",
                "alg": "EdDSA",
                "short_id": key.short_id,
                "signs_from": published_signs_from(key).isoformat(),
                "signs_until": key.signs_until.isoformat() if key.signs_until else None,
                "verifies_until": key.verifies_until.isoformat() if key.verifies_until else None,
            }
        )
    return {"keys": keys}


def revocation_version() -> int:
    """Grows with every change the lists reflect: a voucher suspended, revoked or reinstated (its history
    rows), and an active holding removed (its history rows). The sum of the two tables' newest ids grows
    whenever either gets a row."""
    affecting = Q(to_status__in=[Voucher.Status.SUSPENDED, Voucher.Status.REVOKED]) | Q(
        from_status=Voucher.Status.SUSPENDED
    )
    vouchers = VoucherEvent.objects.filter(affecting).aggregate(v=Max("id"))["v"] or 0
    holdings = (
        FamilyHoldingEvent.objects.filter(
            from_status=FamilyHolding.Status.ACTIVE, to_status=FamilyHolding.Status.REMOVED
        ).aggregate(v=Max("id"))["v"]
        or 0
    )
    return vouchers + holdings


def _removed_holdings(since: datetime) -> list[tuple[bytes, bytes]]:
    """(voucher ref, holder ref) of the codes that holders removed since ``since`` may still carry: every
    holding that was active (consented) and was removed, with each voucher of the relative usable then."""
    removed = list(
        FamilyHolding.objects.filter(
            status=FamilyHolding.Status.REMOVED,
            removed_at__gte=since,
            relative__isnull=False,
            consented_at__isnull=False,
        ).values_list("relative_id", "ref")
    )
    if not removed:
        return []
    vouchers: dict[int, list[str]] = {}
    usable = Voucher.objects.filter(person_id__in={relative for relative, _ in removed}).filter(
        ~Q(status=Voucher.Status.REVOKED) | Q(status_changed_at__gte=since)
    )
    for person_id, ref in usable.values_list("person_id", "ref"):
        vouchers.setdefault(person_id, []).append(ref)
    return [
        (bytes.fromhex(voucher_ref), bytes.fromhex(holder_ref))
        for relative, holder_ref in removed
        for voucher_ref in vouchers.get(relative, [])
    ]


def revocations(*, kid: str | None = None) -> dict[str, Any]:
    """``{"version", "generated_at", "keys": {kid: {"revoked": [...], "suspended": [...], "holder_removed":
    [...]}}}``: per verifying key, the revocation ids of vouchers revoked or suspended and of holdings
    removed in the last day (docs/e-voucher-code.md, section 5)."""
    since = timezone.now() - REVOCATION_WINDOW
    stopped = Voucher.objects.filter(
        status__in=[Voucher.Status.SUSPENDED, Voucher.Status.REVOKED], status_changed_at__gte=since
    ).values_list("ref", "status")
    refs: dict[str, list[bytes]] = {Voucher.Status.REVOKED: [], Voucher.Status.SUSPENDED: []}
    for ref, status in stopped:
        refs[status].append(bytes.fromhex(ref))
    removed = _removed_holdings(since)
    keys = verifying_keys_queryset()
    if kid is not None:  # the full thumbprint, or the 8-hex short id a code carries
        keys = keys.filter(Q(kid=kid) | Q(short_id=kid.lower()))
    listed = {}
    for key in keys:
        short = bytes.fromhex(key.short_id)
        listed[key.kid] = {
            "revoked": sorted(codec.revocation_id(short, ref) for ref in refs[Voucher.Status.REVOKED]),
            "suspended": sorted(codec.revocation_id(short, ref) for ref in refs[Voucher.Status.SUSPENDED]),
            "holder_removed": sorted(codec.holder_revocation_id(short, ref, holder) for ref, holder in removed),
        }
    return {"version": revocation_version(), "generated_at": timezone.now().isoformat(), "keys": listed}


def voucher_figures() -> dict[str, Any]:
    """Activation rate (active vouchers / insured persons) per region and channel; scans by business."""
    insured = dict(
        Person.objects.filter(insured=True)
        .values("region__code")
        .annotate(n=Count("id"))
        .values_list("region__code", "n")
    )
    active = (
        Voucher.objects.filter(status=Voucher.Status.ACTIVE)
        .values("person__region__code", "channel")
        .annotate(n=Count("id"))
    )
    regions: dict[str, dict[str, Any]] = {
        code: {"insured": n, "active": 0, "by_channel": {}, "activation_rate": 0.0} for code, n in insured.items()
    }
    for row in active:
        entry = regions.setdefault(
            row["person__region__code"], {"insured": 0, "active": 0, "by_channel": {}, "activation_rate": 0.0}
        )
        entry["active"] += row["n"]
        entry["by_channel"][row["channel"]] = row["n"]
    for entry in regions.values():
        entry["activation_rate"] = round(entry["active"] / entry["insured"], 4) if entry["insured"] else 0.0
    scans = (
        ScanSession.objects.values("institution__region__code", "business_type")
        .annotate(n=Count("id"))
        .order_by("institution__region__code", "business_type")
    )
    by_region_scans: dict[str, dict[str, int]] = {}
    for row in scans:
        by_region_scans.setdefault(row["institution__region__code"], {})[row["business_type"]] = row["n"]
    for code, entry in regions.items():
        entry["scans"] = by_region_scans.get(code, {})
        entry["scan_people"] = (
            ScanSession.objects.filter(institution__region__code=code).values("person").distinct().count()
        )
    return {"regions": regions}
