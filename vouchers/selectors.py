"""Reads: published keys, revocation lists, and activation and scan figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from portal.people.models import Person
from vouchers import codec
from vouchers.keys import ring, verifying_keys_queryset
from vouchers.models import ScanSession, Voucher, VoucherEvent

# Codes of a suspended or revoked voucher stop being issued at once and expire within a minute;
# lists carry a day of changes so that a terminal caching them for up to a day misses nothing.
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
                "signs_from": (key.signs_from or key.created_at).isoformat(),
                "signs_until": key.signs_until.isoformat() if key.signs_until else None,
                "verifies_until": key.verifies_until.isoformat() if key.verifies_until else None,
            }
        )
    return {"keys": keys}


def revocation_version() -> int:
    affecting = Q(to_status__in=[Voucher.Status.SUSPENDED, Voucher.Status.REVOKED]) | Q(
        from_status=Voucher.Status.SUSPENDED
    )
    return VoucherEvent.objects.filter(affecting).aggregate(v=Max("id"))["v"] or 0


def revocations(*, kid: str | None = None) -> dict[str, Any]:
    """``{"version", "generated_at", "keys": {kid: [revocation ids]}}`` of vouchers not usable now."""
    since = timezone.now() - REVOCATION_WINDOW
    refs = list(
        Voucher.objects.filter(
            status__in=[Voucher.Status.SUSPENDED, Voucher.Status.REVOKED], status_changed_at__gte=since
        ).values_list("ref", flat=True)
    )
    keys = verifying_keys_queryset()
    if kid is not None:  # the full thumbprint, or the 8-hex short id a code carries
        keys = keys.filter(Q(kid=kid) | Q(short_id=kid.lower()))
    listed = {
        key.kid: sorted(codec.revocation_id(bytes.fromhex(key.short_id), bytes.fromhex(ref)) for ref in refs)
        for key in keys
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
