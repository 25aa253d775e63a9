"""Online payment API: internet hospitals (signed terminals), patients (residents), and channel notifies."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.benefits.selectors import POLICY_MISSING
from payments.benefits.services import BENEFITS_ALREADY_RECORDED, TOO_MANY_ITEMS, USAGE_RETURN_EXCEEDS
from payments.channels.base import NotifyAnswer
from payments.channels.factory import NAMES, UnknownChannel, get_channel
from payments.online import pay, refunds, state
from payments.online.hospital import NOTIFY_URL_INVALID, endpoint_register
from payments.online.models import OnlineOrder
from payments.online.notifies import headers_from_meta, notify_receive
from payments.online.serializers import (
    Authorization,
    AuthorizationSerializer,
    MyOrderSerializer,
    NotifyEndpointAnswerSerializer,
    OnlineOrderSerializer,
    OnlineOrderWithRefundsSerializer,
    OnlineRefundSerializer,
    split_shown,
)
from payments.settlement.entitlement import DISEASE_ERRORS
from portal import ratelimit
from portal.clientip import client_ip
from portal.errors import DomainError, json_not_found
from portal.family.deduction import REFUND_TOO_LARGE
from portal.identity import ID_NUMBER_INVALID
from portal.institutions.models import Terminal
from portal.ledger.services import IDEMPOTENCY_CONFLICT, INSUFFICIENT_BALANCE
from portal.openapi import errors
from portal.pagination import PAGE_PARAMETERS, page, paginated
from portal.people.models import Person
from portal.people.selectors import TERMINAL_LOOKUP_UNKNOWN, person_read_by_terminal
from portal.signin.permissions import IsResident, IsTerminal, request_person, request_terminal
from vouchers.family import people_visible_to

logger = logging.getLogger(__name__)


class OrderItemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    amount_fen = serializers.IntegerField(min_value=0, max_value=10_000_000_00, help_text="Integer fen.")
    in_catalogue = serializers.BooleanField(default=True)
    dual_channel = serializers.BooleanField(default=False)


class UploadSerializer(serializers.Serializer):
    idempotency_key = serializers.CharField(min_length=8, max_length=100)
    patient_id_number = serializers.CharField(max_length=20)
    items = OrderItemSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]
    description = serializers.CharField(max_length=120)
    diagnosis = serializers.CharField(max_length=200, required=False, default="")
    department = serializers.CharField(max_length=100, required=False, default="")
    doctor = serializers.CharField(max_length=100, required=False, default="")
    disease_code = serializers.CharField(
        max_length=40,
        required=False,
        default="",
        help_text="A chronic follow-up (慢病复诊): the patient's recognised specified disease, one this internet "
        "hospital may treat; its own deductible, rate and cap apply.",
    )
    delivery_address = serializers.CharField(
        max_length=200, required=False, default="", help_text="Where the drugs are delivered (送药上门)."
    )


class OrderRefundPartsSerializer(serializers.Serializer):
    fund = serializers.IntegerField(min_value=0, default=0)
    assistance = serializers.IntegerField(min_value=0, default=0)
    personal = serializers.IntegerField(min_value=0, default=0)
    cash = serializers.IntegerField(min_value=0, default=0)


class OrderRefundSerializer(serializers.Serializer):
    idempotency_key = serializers.CharField(min_length=8, max_length=100)
    whole = serializers.BooleanField(default=False)
    parts = OrderRefundPartsSerializer(required=False)
    reason = serializers.CharField(max_length=80, required=False, default="")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["whole"] == ("parts" in data):
            raise serializers.ValidationError("退款须为整单（whole）或指定部分（parts）之一 / give whole or parts")
        return data


def _terminal(request: Request) -> Terminal:
    terminal = request_terminal(request)
    assert terminal is not None
    return terminal


def _hospital_order(request: Request, number: str) -> OnlineOrder:
    order = OnlineOrder.objects.filter(number=number, institution_id=_terminal(request).institution_id).first()
    if order is None:
        raise DomainError(state.ORDER_NOT_FOUND)
    return order


def _with_refunds(order: OnlineOrder) -> dict[str, Any]:
    return dict(OnlineOrderWithRefundsSerializer(order).data)


# What the services behind each operation can refuse with (besides the generic codes: portal.openapi).
UPLOAD_ERRORS = (
    pay.NOT_INTERNET_HOSPITAL,
    IDEMPOTENCY_CONFLICT,
    TERMINAL_LOOKUP_UNKNOWN,
    ID_NUMBER_INVALID,
    TOO_MANY_ITEMS,
    POLICY_MISSING,
    *DISEASE_ERRORS,
)
REFUND_ERRORS = (
    state.ORDER_NOT_FOUND,
    IDEMPOTENCY_CONFLICT,
    refunds.REFUND_IN_PROGRESS,
    refunds.REFUND_NOT_ALLOWED,
    refunds.REFUND_EMPTY,
    REFUND_TOO_LARGE,
    USAGE_RETURN_EXCEEDS,
)


class HospitalOrdersView(APIView):
    """Upload fee details (6201): the order is saved and pre-settled; its split is returned."""

    permission_classes = [IsTerminal]

    @extend_schema(
        request=UploadSerializer,
        responses={201: OnlineOrderWithRefundsSerializer, 200: OnlineOrderWithRefundsSerializer},
        description="201: uploaded now. 200: the same idempotency key and body again: the first order.",
        extensions=errors(*UPLOAD_ERRORS),
        tags=["internet hospital"],
    )
    def post(self, request: Request) -> Response:
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        terminal = _terminal(request)
        patient = person_read_by_terminal(
            terminal=terminal,
            id_number=values.pop("patient_id_number"),
            purpose="online order upload",
            fields=["insurance_type", "personal_account"],
        )
        order, created = pay.order_upload(terminal=terminal, person=patient, **values)
        return Response(_with_refunds(order), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class HospitalOrderView(APIView):
    permission_classes = [IsTerminal]

    @extend_schema(
        responses={200: OnlineOrderWithRefundsSerializer},
        extensions=errors(state.ORDER_NOT_FOUND),
        tags=["internet hospital"],
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(_with_refunds(_hospital_order(request, number)))


class HospitalCancelView(APIView):
    permission_classes = [IsTerminal]

    @extend_schema(
        request=None,
        responses={200: OnlineOrderWithRefundsSerializer},
        extensions=errors(state.ORDER_NOT_FOUND, state.ORDER_STATE),
        tags=["internet hospital"],
    )
    def post(self, request: Request, number: str) -> Response:
        return Response(_with_refunds(pay.order_cancel(terminal=_terminal(request), number=number)))


class HospitalRefundView(APIView):
    permission_classes = [IsTerminal]

    @extend_schema(
        request=OrderRefundSerializer,
        responses={201: OnlineRefundSerializer},
        extensions=errors(*REFUND_ERRORS),
        tags=["internet hospital"],
    )
    def post(self, request: Request, number: str) -> Response:
        data = OrderRefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        refund = refunds.refund_request(
            institution_id=_terminal(request).institution_id,
            number=number,
            idempotency_key=values["idempotency_key"],
            parts=None if values["whole"] else dict(values["parts"]),
            reason=values["reason"],
        )
        return Response(OnlineRefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class EndpointSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)


class NotifyEndpointView(APIView):
    """Register the URL where this hospital receives our signed notifications; returns the secret once."""

    permission_classes = [IsTerminal]

    @extend_schema(
        request=EndpointSerializer,
        responses={200: NotifyEndpointAnswerSerializer},
        extensions=errors(pay.NOT_INTERNET_HOSPITAL, NOTIFY_URL_INVALID),
        tags=["internet hospital"],
    )
    def put(self, request: Request) -> Response:
        data = EndpointSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        url = data.validated_data["url"]
        terminal = _terminal(request)
        if terminal.institution.kind != "internet_hospital":
            raise DomainError(pay.NOT_INTERNET_HOSPITAL)
        secret = endpoint_register(institution=terminal.institution, url=url)
        return Response(NotifyEndpointAnswerSerializer({"url": url, "secret": secret}).data)


# --- Patients --------------------------------------------------------------------------------------


def _payer(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


def _patients(payer: Person) -> list[int]:
    return people_visible_to(viewer=payer)


def _patient_order(request: Request, number: str) -> tuple[OnlineOrder, Person]:
    payer = _payer(request)
    order = OnlineOrder.objects.filter(number=number, person_id__in=_patients(payer)).first()
    if order is None:
        raise DomainError(state.ORDER_NOT_FOUND)
    return order, payer


class MyOrdersView(APIView):
    """Bills from internet hospitals for me and for relatives whose e-voucher I hold, newest first."""

    permission_classes = [IsResident]

    @extend_schema(
        operation_id="my_online_orders",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(OnlineOrderSerializer)},
        tags=["online payment"],
    )
    def get(self, request: Request) -> Response:
        rows = (
            OnlineOrder.objects.filter(person_id__in=_patients(_payer(request)))
            .select_related("institution", "person")
            .prefetch_related("items", "refunds")
        )
        return page(request, rows, OnlineOrderSerializer)


class MyOrderView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        responses={200: MyOrderSerializer},
        extensions=errors(state.ORDER_NOT_FOUND),
        tags=["online payment"],
    )
    def get(self, request: Request, number: str) -> Response:
        order, _ = _patient_order(request, number)
        shown: dict[str, Any] = {"order": order}
        if order.status == OnlineOrder.Status.PRE_SETTLED:
            try:
                shown["split_now"] = split_shown(pay.order_split(order=order))
            except DomainError as refusal:  # e.g. the disease's recognition ended since the upload
                shown["split_now"] = None
                shown["cannot_pay"] = {"code": refusal.code, "message": refusal.message()}
        return Response(MyOrderSerializer(shown).data)


class AuthorizeSerializer(serializers.Serializer):
    use_personal_account = serializers.BooleanField(
        default=True,
        help_text="false: leave the personal accounts (own and family) out; that part is paid in cash instead. "
        "The authorisation keeps the choice, so paying with it keeps it too.",
    )


class AuthorizeView(APIView):
    """A one-time authorisation (5 minutes) for the split shown now (optionally without the personal accounts)."""

    permission_classes = [IsResident]

    @extend_schema(
        request=AuthorizeSerializer,
        responses={201: AuthorizationSerializer},
        extensions=errors(state.ORDER_NOT_FOUND, state.ORDER_STATE, pay.ORDER_EXPIRED, POLICY_MISSING, *DISEASE_ERRORS),
        tags=["online payment"],
    )
    def post(self, request: Request, number: str) -> Response:
        data = AuthorizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order, payer = _patient_order(request, number)
        raw, auth, split = pay.order_authorize(
            order=order, payer=payer, use_personal_account=data.validated_data["use_personal_account"]
        )
        return Response(
            AuthorizationSerializer(Authorization.of(raw, auth, split)).data, status=status.HTTP_201_CREATED
        )


class PaySerializer(serializers.Serializer):
    pay_auth_no = serializers.CharField(max_length=100)
    channel = serializers.ChoiceField(
        choices=NAMES,
        required=False,
        help_text="How to pay the cash part: wechatpay or alipay (default: the deployment's first, "
        "CASH_CHANNELS). Refunds go back the same way.",
    )


class PayView(APIView):
    """Pay: insurance legs are held and the cash payment starts (h5_url), or it settles at once."""

    permission_classes = [IsResident]

    @extend_schema(
        request=PaySerializer,
        responses={200: OnlineOrderSerializer},
        extensions=errors(
            state.ORDER_NOT_FOUND,
            pay.AUTH_INVALID,
            state.ORDER_STATE,
            pay.ORDER_EXPIRED,
            pay.SPLIT_CHANGED,
            pay.CHANNEL_UNAVAILABLE,
            pay.CHANNEL_UNKNOWN,
            INSUFFICIENT_BALANCE,
            BENEFITS_ALREADY_RECORDED,
            POLICY_MISSING,
            *DISEASE_ERRORS,
        ),
        tags=["online payment"],
    )
    def post(self, request: Request, number: str) -> Response:
        data = PaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _, payer = _patient_order(request, number)
        order = pay.order_pay(
            order_number=number,
            payer=payer,
            pay_auth_no=data.validated_data["pay_auth_no"],
            channel=data.validated_data.get("channel"),
            client_ip=client_ip(request) or "127.0.0.1",
        )
        return Response(OnlineOrderSerializer(order).data)


@method_decorator(csrf_exempt, name="dispatch")
class ChannelNotifyView(View):
    """A channel's notify (``/api/v1/payments/notify/<channel>``): the raw body verified by that channel's
    rules and answered the way it expects, always (accepted, or refused with a 4xx/503 so it retries:
    never a 500). A channel this deployment does not run is a 404."""

    def post(self, request: HttpRequest, channel_name: str) -> HttpResponse:
        try:
            channel = get_channel(channel_name)
        except UnknownChannel:
            return json_not_found(request)
        used, _ = ratelimit.hit(f"notify:{client_ip(request)}", period=60)
        if used > settings.NOTIFY_PER_MINUTE_PER_ADDRESS:
            return _answer(channel.notify_answer(accepted=False, message="too many notifies", status=429))
        try:
            heard = notify_receive(
                channel_name=channel_name, headers=headers_from_meta(request.META), body=request.body
            )
        except DatabaseError:
            logger.exception("notify not processed (database); the channel will retry")
            return _answer(channel.notify_answer(accepted=False, message="busy", status=503))
        status = 200 if heard.accepted else 400
        return _answer(channel.notify_answer(accepted=heard.accepted, message=heard.message, status=status))


def _answer(answer: NotifyAnswer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
