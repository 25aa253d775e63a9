"""E-voucher API: activation, codes, family display, scanning, published keys and figures."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.clientip import client_ip
from portal.errors import NOT_FOUND, DomainError
from portal.identity import ID_NUMBER_INVALID
from portal.openapi import errors
from portal.parsing import row_id
from portal.people.models import Person
from portal.signin.models import OtpChallenge
from portal.signin.permissions import IsResident, IsStaff, IsTerminal, request_person, request_terminal
from portal.signin.services import SMS_CHECKING, SMS_SENDING, otp_request
from vouchers import family, scanning, selectors
from vouchers.models import FamilyHolding, ScanSession, Voucher
from vouchers.serializers import (
    ActivationCodeSentSerializer,
    CodeSerializer,
    FamilySerializer,
    HoldingCreatedSerializer,
    HoldingSerializer,
    JwksSerializer,
    MyVoucherSerializer,
    RevocationsSerializer,
    ScanResultSerializer,
    VoucherFiguresSerializer,
    VoucherSerializer,
)
from vouchers.services import (
    ALREADY_ACTIVE,
    IDENTITY_MISMATCH,
    NO_PHONE,
    NO_VOUCHER,
    NOT_INSURED,
    REACTIVATION_BLOCKED,
    VOUCHER_SUSPENDED,
    live_voucher,
    voucher_activate,
)

NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}
TAGS = ["e-voucher"]
FAMILY_TAGS = ["e-voucher family"]
KEY_TAGS = ["e-voucher keys"]
NOT_MODIFIED = OpenApiResponse(description="Not modified: `If-None-Match` named the current ETag. No body.")


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


def _voucher_body(voucher: Voucher | None) -> dict[str, Any] | None:
    if voucher is None:
        return None
    return {
        "status": voucher.status,
        "channel": voucher.channel,
        "activated_at": voucher.activated_at,
        "status_reason": voucher.status_reason,
    }


class ActivationCodeView(APIView):
    """Send an SMS code to my registered phone, to confirm an activation."""

    permission_classes = [IsResident]

    @extend_schema(
        request=None,
        responses={202: ActivationCodeSentSerializer},
        extensions=errors(NO_PHONE, *SMS_SENDING),
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        me = _me(request)
        if not me.phone:
            raise DomainError(NO_PHONE)
        otp_request(phone=me.phone, purpose=OtpChallenge.Purpose.ACTIVATION, client_ip=client_ip(request))
        body = ActivationCodeSentSerializer({"sent": True, "phone_masked": me.masked_phone}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ActivateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=20)
    sms_code = serializers.CharField(max_length=10)
    channel = serializers.ChoiceField(choices=["app", "wechat", "alipay", "web"])


class ActivateView(APIView):
    """Activate my e-voucher: name + identity number must match my record, plus the SMS code."""

    permission_classes = [IsResident]

    @extend_schema(
        request=ActivateSerializer,
        responses={201: VoucherSerializer},
        extensions=errors(
            NOT_INSURED,
            IDENTITY_MISMATCH,
            ID_NUMBER_INVALID,
            NO_PHONE,
            *SMS_CHECKING,
            ALREADY_ACTIVE,
            VOUCHER_SUSPENDED,
            REACTIVATION_BLOCKED,
        ),
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = ActivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = voucher_activate(person=_me(request), **data.validated_data)
        return Response(VoucherSerializer(_voucher_body(voucher)).data, status=status.HTTP_201_CREATED)


class MyVoucherView(APIView):
    """My e-voucher's status (null before activation)."""

    permission_classes = [IsResident]

    @extend_schema(responses={200: MyVoucherSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        me = _me(request)
        return Response(MyVoucherSerializer({"voucher": _voucher_body(live_voucher(person=me))}).data)


class CodeView(APIView):
    """A fresh signed code (valid 60 s, refresh every 30 s) as text, SVG or PNG. Never cached."""

    permission_classes = [IsResident]

    @extend_schema(
        parameters=[
            OpenApiParameter("person", int, description="A relative whose code I may show (default: mine)."),
            OpenApiParameter("as", str, enum=["json", "svg", "png"], description="Default json."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(CodeSerializer, description="The code as text (as=json)."),
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY, description="The QR code as SVG (as=svg)."),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The QR code as PNG (as=png)."),
        },
        extensions=errors(scanning.NOT_YOUR_RELATIVE, NO_VOUCHER, VOUCHER_SUSPENDED),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response | HttpResponse:
        me = _me(request)
        subject = me
        wanted = request.query_params.get("person")
        if wanted and wanted != str(me.pk):
            subject = Person.objects.filter(pk=row_id(wanted) or 0).first() or me
            if subject.pk == me.pk:
                raise DomainError(scanning.NOT_YOUR_RELATIVE)
        issued = scanning.code_issue(viewer=me, subject=subject)
        kind = request.query_params.get("as", "json")
        if kind == "svg":
            return HttpResponse(issued.svg(), content_type="image/svg+xml", headers=NO_STORE)
        if kind == "png":
            return HttpResponse(issued.png(), content_type="image/png", headers=NO_STORE)
        body = {
            "code": issued.text,
            "issued_at": scanning.epoch_to_datetime(issued.issued_at),
            "expires_at": scanning.epoch_to_datetime(issued.expires_at),
            "refresh_after_seconds": scanning.REFRESH_AFTER,
            "person": {"id": subject.pk, "name": subject.name},
            "shown_by_holder": issued.holder is not None,
        }
        return Response(CodeSerializer(body).data, headers=NO_STORE)


def _holding_body(holding: FamilyHolding, me: Person) -> dict[str, Any]:
    """Seen from ``me``'s side. Until the relative consents, the holder sees only what they typed: the
    answer is the same whether or not the request matched anyone."""
    if holding.holder_id != me.pk:
        other: dict[str, Any] = {"id": holding.holder.pk, "name": holding.holder.name}
    elif holding.status == FamilyHolding.Status.ACTIVE and holding.relative is not None:
        relative = holding.relative
        other = {"id": relative.pk, "name": relative.name, "id_number_masked": relative.id_number_masked}
    else:
        other = {"id": None, "name": holding.requested_name or (holding.relative.name if holding.relative else "")}
    return {
        "id": holding.pk,
        "role": "holder" if holding.holder_id == me.pk else "relative",
        "person": other,
        "status": holding.status,
        "consent": holding.consent,
        "created_at": holding.created_at,
    }


class FamilyAddSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=20)


class FamilyView(APIView):
    """Relatives whose codes I show, and people who show mine."""

    permission_classes = [IsResident]

    @extend_schema(responses={200: FamilySerializer}, tags=FAMILY_TAGS)
    def get(self, request: Request) -> Response:
        me = _me(request)
        body = {
            "i_show": [_holding_body(h, me) for h in family.holdings_of_holder(holder=me)],
            "shown_by": [_holding_body(h, me) for h in family.holders_of_relative(relative=me)],
            "max_relatives": family.MAX_RELATIVES,
        }
        return Response(FamilySerializer(body).data)

    @extend_schema(
        request=FamilyAddSerializer,
        responses={201: HoldingCreatedSerializer},
        extensions=errors(ID_NUMBER_INVALID, family.HOLDING_SELF, family.HOLDING_LIMIT, family.HOLDING_EXISTS),
        tags=FAMILY_TAGS,
    )
    def post(self, request: Request) -> Response:
        data = FamilyAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me = _me(request)
        holding = family.holding_request(holder=me, **data.validated_data)
        # The same next step whoever it is: if the name and number match an insured person, they get a
        # code by SMS (or confirm in the app); without a phone, they register at the bureau counter.
        body = {**_holding_body(holding, me), "next": "consent"}
        return Response(HoldingCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class FamilyConsentView(APIView):
    """Consent: the holder sends the SMS code the relative received, or the relative confirms in the app."""

    permission_classes = [IsResident]

    @extend_schema(
        request=inline_serializer("FamilyConsent", {"sms_code": serializers.CharField(required=False)}),
        responses={200: HoldingSerializer},
        extensions=errors(
            family.HOLDING_NOT_FOUND, *SMS_CHECKING, ALREADY_ACTIVE, VOUCHER_SUSPENDED, REACTIVATION_BLOCKED
        ),
        tags=FAMILY_TAGS,
    )
    def post(self, request: Request, holding_id: int) -> Response:
        me = _me(request)
        code = request.data.get("sms_code") if hasattr(request.data, "get") else None
        if code:
            holding = family.holding_consent_by_sms(holding_id=holding_id, holder=me, sms_code=str(code))
        else:
            holding = family.holding_consent_in_app(holding_id=holding_id, relative=me)
        return Response(HoldingSerializer(_holding_body(holding, me)).data)


class FamilyRemoveView(APIView):
    """End a holding, from either side. Codes that holder showed of the relative are refused from then on
    (and listed in the revocation lists, ``holder_removed``)."""

    permission_classes = [IsResident]

    @extend_schema(request=None, responses={204: None}, extensions=errors(family.HOLDING_NOT_FOUND), tags=FAMILY_TAGS)
    def delete(self, request: Request, holding_id: int) -> Response:
        family.holding_remove(holding_id=holding_id, by=_me(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


_CODE_MAX_LENGTH = 400
_BUSINESS_TYPES = frozenset(ScanSession.BusinessType.values)


class ScanSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=_CODE_MAX_LENGTH, trim_whitespace=True)
    business_type = serializers.ChoiceField(choices=ScanSession.BusinessType.choices)


def scan_input(data: Any) -> tuple[str, str]:
    """The code and the business type of a scan request, exactly as :class:`ScanSerializer` validates them.

    Scans are the hottest request: the plain case (a JSON object with two short ASCII strings, a known
    business type) is read directly, giving what the serializer would (the code stripped); anything else
    goes through the serializer, so every refusal and its body are the serializer's own."""
    if type(data) is dict:
        code, business_type = data.get("code"), data.get("business_type")
        if (
            type(code) is str
            and code.isascii()
            and "\x00" not in code
            and type(business_type) is str
            and business_type in _BUSINESS_TYPES
        ):
            code = code.strip()
            if code and len(code) <= _CODE_MAX_LENGTH:
                return code, business_type
    serializer = ScanSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["code"], serializer.validated_data["business_type"]


# Scans are the hottest request: one serializer, its fields built once (DRF copies the declared fields for
# every new instance, 10 times the cost of the answer itself). ``to_representation`` keeps no state.
_SCAN_RESULT = ScanResultSerializer()


class ScanView(APIView):
    """A terminal scans a resident's code: who it is, and a scan session for the next calls."""

    permission_classes = [IsTerminal]

    @extend_schema(
        request=ScanSerializer,
        responses={201: ScanResultSerializer},
        extensions=errors(*scanning.SCAN_ERRORS.values()),
        tags=["scanner"],
    )
    def post(self, request: Request) -> Response:
        code, business_type = scan_input(request.data)
        terminal = request_terminal(request)
        assert terminal is not None
        scanned = scanning.scan(terminal=terminal, text=code, business_type=business_type)
        person = scanned.person
        body = {
            "scan_session_id": str(scanned.session_id),
            "expires_at": scanned.expires_at,
            "business_type": scanned.business_type,
            "person": {
                "name": person.name,
                "id_number_masked": person.id_number_masked,
                "gender": person.gender,
                "birth_date": person.birth_date,
                "insurance_type": person.insurance_type,
                "region": {"code": person.region_code, "name": person.region_name},
                "insured": person.insured,
            },
            "voucher_status": scanned.voucher_status,
            "shown_by_holder": {"name": scanned.holder_name} if scanned.holder_name is not None else None,
        }
        return Response(_SCAN_RESULT.to_representation(body), status=status.HTTP_201_CREATED)


def _conditional(request: Request, document: Any, etag: str, cache: str) -> Response:
    """The document, or 304 Not Modified when the client's ``If-None-Match`` names the same version."""
    headers = {"Cache-Control": cache, "ETag": etag}
    wanted = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
    if etag in wanted or "*" in wanted:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(document, headers=headers)


class JwksView(APIView):
    """Public keys that verify voucher codes (RFC 7517; kid = RFC 7638 thumbprint). A new key is here
    ``VOUCHER_KEY_LEAD_SECONDS`` before it signs. Conditional GET: ``If-None-Match`` with the ETag gives 304."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: JwksSerializer, 304: NOT_MODIFIED}, tags=KEY_TAGS)
    def get(self, request: Request) -> Response:
        document = JwksSerializer(selectors.jwks()).data
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]
        return _conditional(request, document, f'"{digest}"', "public, max-age=60")


class RevocationsView(APIView):
    """Revocation ids per key, one list per verdict: revoked and suspended vouchers, and codes shown by a
    holder whose holding was removed (docs/e-voucher-code.md, section 5), with a version number (the ETag).
    Conditional GET: ``If-None-Match`` with the ETag gives 304."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: RevocationsSerializer, 304: NOT_MODIFIED}, tags=KEY_TAGS)
    def get(self, request: Request, kid: str | None = None) -> Response:
        document = selectors.revocations(kid=kid)
        if kid is not None and not document["keys"]:
            raise DomainError(NOT_FOUND)
        version = document["version"]
        return _conditional(request, RevocationsSerializer(document).data, f'"{version}"', "public, max-age=30")


class RevocationsForKeyView(RevocationsView):
    """The revocation lists of one key, by its full ``kid`` or the 8-hex short id a code carries."""

    @extend_schema(
        operation_id="vouchers_revocations_for_key",
        responses={200: RevocationsSerializer, 304: NOT_MODIFIED},
        tags=KEY_TAGS,
    )
    def get(self, request: Request, kid: str | None = None) -> Response:
        return super().get(request, kid)


class FiguresView(APIView):
    """For staff: activation rate per region and channel, and scans by business type."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: VoucherFiguresSerializer}, tags=["staff"])
    def get(self, request: Request) -> Response:
        return Response(VoucherFiguresSerializer(selectors.voucher_figures()).data)
