"""What the e-voucher API answers: one output serializer per body, which the views build their answers with,
so the published document (drf-spectacular) and the answers cannot drift apart."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from portal.people.models import Person
from vouchers.models import FamilyHolding, ScanSession, Voucher

# --- Activation and the voucher ----------------------------------------------------------------------


class ActivationCodeSentSerializer(serializers.Serializer):
    sent = serializers.BooleanField(help_text="Always true: a code went to the registered phone.")
    phone_masked = serializers.CharField(help_text="The phone the code went to, masked (138****1234).")


@extend_schema_serializer(component_name="VoucherState")  # its status enum: VoucherStateStatusEnum
class VoucherSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Voucher.Status.choices)
    channel = serializers.ChoiceField(choices=Voucher.Channel.choices, help_text="Where it was activated.")
    activated_at = serializers.DateTimeField()
    status_reason = serializers.CharField(allow_blank=True, help_text="Why it was suspended or revoked; empty if not.")


class MyVoucherSerializer(serializers.Serializer):
    voucher = VoucherSerializer(allow_null=True, help_text="My live (not revoked) voucher; null before activation.")


# --- Codes ---------------------------------------------------------------------------------------------


class CodePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The signed code text, YB1:... (docs/e-voucher-code.md).")
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    refresh_after_seconds = serializers.IntegerField(help_text="Show a fresh code after this many seconds.")
    person = CodePersonSerializer(help_text="Whose code it is: mine, or a relative's I hold.")
    shown_by_holder = serializers.BooleanField(help_text="True for a relative's code shown by me as their holder.")


# --- Family display (亲情账户) ----------------------------------------------------------------------------


class HoldingPersonSerializer(serializers.Serializer):
    """The other side of a holding. Until the relative consents, the holder sees only the name they typed
    (``id`` null), the same whether or not it matched anyone."""

    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_blank=True)
    id_number_masked = serializers.CharField(
        required=False, help_text="Only for a relative I actively hold (after consent)."
    )


class HoldingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(
        choices=["holder", "relative"], help_text="holder: I show their code; relative: they show mine."
    )
    person = HoldingPersonSerializer()
    status = serializers.ChoiceField(choices=FamilyHolding.Status.choices)
    consent = serializers.ChoiceField(
        choices=FamilyHolding.Consent.choices,
        allow_blank=True,
        help_text="How the relative consented; empty until then.",
    )
    created_at = serializers.DateTimeField()


class HoldingCreatedSerializer(HoldingSerializer):
    status = serializers.ChoiceField(choices=["pending"], help_text="A new request always waits for consent.")
    next = serializers.ChoiceField(
        choices=["consent"], help_text="The next step, the same for every request: the relative's consent."
    )


class FamilySerializer(serializers.Serializer):
    """Whole lists: a holder holds at most ``max_relatives``; requests nobody consents to expire in a day."""

    i_show = HoldingSerializer(many=True, help_text="Relatives whose codes I show (or asked to).")
    shown_by = HoldingSerializer(many=True, help_text="People who show my code (or asked to).")
    max_relatives = serializers.IntegerField()


# --- Scanning -------------------------------------------------------------------------------------------


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ScannedPersonSerializer(serializers.Serializer):
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    gender = serializers.ChoiceField(choices=Person.Gender.choices)
    birth_date = serializers.DateField()
    insurance_type = serializers.ChoiceField(choices=Person.InsuranceType.choices)
    region = RegionSerializer()
    insured = serializers.BooleanField()


class HolderNameSerializer(serializers.Serializer):
    name = serializers.CharField()


class ScanResultSerializer(serializers.Serializer):
    scan_session_id = serializers.UUIDField(help_text="Give it to the next calls (settlement) within five minutes.")
    expires_at = serializers.DateTimeField()
    business_type = serializers.ChoiceField(choices=ScanSession.BusinessType.choices)
    person = ScannedPersonSerializer()
    voucher_status = serializers.ChoiceField(
        choices=[Voucher.Status.ACTIVE.value],
        help_text="Always active: a code of a suspended or revoked voucher is refused (403).",
    )
    shown_by_holder = HolderNameSerializer(
        allow_null=True, help_text="Who showed a relative's code (their holder); null for one's own code."
    )


# --- Published keys and revocation lists (docs/e-voucher-code.md, sections 4 and 5) --------------------


class JwkSerializer(serializers.Serializer):
    kty = serializers.ChoiceField(choices=["OKP"])
    crv = serializers.ChoiceField(choices=["Ed25519"])
    x = serializers.CharField(help_text="The raw 32-byte public key, base64url without padding.")
    kid = serializers.CharField(help_text="RFC 7638 thumbprint, base64url without padding.")
    use = serializers.ChoiceField(choices=["sig"])
    alg = serializers.ChoiceField(choices=["EdDSA"])
    short_id = serializers.CharField(help_text="First 4 bytes of the thumbprint, lower-case hex: the codes' key id.")
    signs_from = serializers.DateTimeField(help_text="From when it signs; a code claiming an earlier time is refused.")
    signs_until = serializers.DateTimeField(
        allow_null=True, help_text="When a newer key took over; null while signing."
    )
    verifies_until = serializers.DateTimeField(
        allow_null=True, help_text="After this its codes cannot be valid; null while signing."
    )


class JwksSerializer(serializers.Serializer):
    keys = JwkSerializer(many=True, help_text="Newest first; never empty.")


class KeyRevocationsSerializer(serializers.Serializer):
    """One key's lists of revocation ids (16 lower-case hex characters each), one list per verdict."""

    revoked = serializers.ListField(
        child=serializers.CharField(), help_text="HMAC over the voucher ref: revoked vouchers (code_revoked)."
    )
    suspended = serializers.ListField(
        child=serializers.CharField(), help_text="HMAC over the voucher ref: suspended vouchers (code_suspended)."
    )
    holder_removed = serializers.ListField(
        child=serializers.CharField(),
        help_text="HMAC over voucher ref + holder ref: codes shown by a holder since removed (code_holder_removed).",
    )


class RevocationsSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="Grows with every change; the ETag.")
    generated_at = serializers.DateTimeField()
    keys = serializers.DictField(child=KeyRevocationsSerializer(), help_text="Per key, by its full kid.")


# --- Staff figures --------------------------------------------------------------------------------------


class RegionFiguresSerializer(serializers.Serializer):
    insured = serializers.IntegerField(help_text="Insured persons of the region.")
    active = serializers.IntegerField(help_text="Active vouchers.")
    by_channel = serializers.DictField(child=serializers.IntegerField(), help_text="Active vouchers per channel.")
    activation_rate = serializers.FloatField(help_text="active / insured, 4 decimals; 0 without insured persons.")
    scans = serializers.DictField(child=serializers.IntegerField(), help_text="Scans per business type.")
    scan_people = serializers.IntegerField(help_text="Distinct persons scanned at the region's institutions.")


class VoucherFiguresSerializer(serializers.Serializer):
    regions = serializers.DictField(child=RegionFiguresSerializer(), help_text="By region code.")
