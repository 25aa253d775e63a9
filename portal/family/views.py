"""Family sharing API for residents: my bindings, bind, consent, unbind, proof, spending."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.audit.private_files import private_file_response
from portal.errors import DomainError
from portal.family import selectors, services
from portal.family.models import FamilyBinding, Relation
from portal.family.proofs import PROOF_INVALID, PROOF_MISSING, PROOF_UNSAFE
from portal.family.serializers import BindingSerializer, BindingsSerializer, binding_body, policy_body
from portal.hygiene import SafeJSONParser
from portal.identity import ID_NUMBER_INVALID
from portal.openapi import errors
from portal.people.models import Person
from portal.signin.permissions import IsResident, request_person
from portal.signin.services import OTP_EXPIRED, OTP_INVALID, OTP_LOCKED, OTP_TOO_SOON, SMS_BUSY, SMS_UNAVAILABLE

TAGS = ["family sharing"]
# What the proof is stored as; octet-stream is private_file_response's fallback (and what generated clients read).
PROOF_TYPES = ("image/jpeg", "image/png", "application/pdf", "application/octet-stream")


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


class BindRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=20)
    relation = serializers.ChoiceField(choices=Relation.choices)
    proof = serializers.FileField(help_text="JPEG, PNG or PDF; at most 5 MB.")


class BindingsView(APIView):
    permission_classes = [IsResident]
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    @extend_schema(responses={200: BindingsSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        me = _me(request)
        spent = selectors.spent_from_my_account(initiator=me)
        policy = services.FamilyPolicy.objects.filter(region_id=me.region_id).first()
        body = {
            "as_initiator": [binding_body(b, me, spent) for b in selectors.bindings_as_initiator(person=me)],
            "as_bound": [binding_body(b, me) for b in selectors.bindings_as_bound(person=me)],
            "policy": policy_body(policy),
        }
        return Response(BindingsSerializer(body).data)

    @extend_schema(
        request={"multipart/form-data": BindRequestSerializer},
        responses={201: BindingSerializer},
        extensions=errors(
            services.NO_POLICY,
            services.INITIATOR_NOT_ALLOWED,
            ID_NUMBER_INVALID,
            services.BOUND_NOT_FOUND,
            services.BIND_SELF,
            services.BOUND_NOT_INSURED,
            services.OTHER_REGION,
            services.RELATION_NOT_ALLOWED,
            PROOF_INVALID,
            PROOF_MISSING,
            PROOF_UNSAFE,
            services.LIMIT_REACHED,
            services.ALREADY_BOUND,
            services.CONSENT_EXPIRED,
            services.BINDING_TRANSITION,
        ),
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = BindRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me = _me(request)
        binding = services.binding_request(initiator=me, **data.validated_data)
        return Response(BindingSerializer(binding_body(binding, me)).data, status=status.HTTP_201_CREATED)


class BindingConsentView(APIView):
    """The bound person confirms in the app, or the initiator sends the SMS code the relative received."""

    permission_classes = [IsResident]

    @extend_schema(
        request=inline_serializer("BindingConsent", {"sms_code": serializers.CharField(required=False)}),
        responses={200: BindingSerializer},
        extensions=errors(
            services.BINDING_NOT_FOUND,
            services.CONSENT_EXPIRED,
            services.BINDING_TRANSITION,
            OTP_EXPIRED,
            OTP_INVALID,
            OTP_LOCKED,
        ),
        tags=TAGS,
    )
    def post(self, request: Request, binding_id: int) -> Response:
        me = _me(request)
        code = request.data.get("sms_code") if hasattr(request.data, "get") else None
        if code:
            binding = services.binding_consent_by_sms(binding_id=binding_id, initiator=me, sms_code=str(code))
        else:
            binding = services.binding_consent_in_app(binding_id=binding_id, bound=me)
        return Response(BindingSerializer(binding_body(binding, me)).data)


class BindingCodeView(APIView):
    """The initiator asks for a new consent code for the relative (the first expired or was not sent)."""

    permission_classes = [IsResident]

    @extend_schema(
        request=None,
        responses={202: BindingSerializer},
        extensions=errors(
            services.BINDING_NOT_FOUND, services.NO_PHONE_FOR_CODE, OTP_TOO_SOON, SMS_BUSY, SMS_UNAVAILABLE
        ),
        tags=TAGS,
    )
    def post(self, request: Request, binding_id: int) -> Response:
        me = _me(request)
        binding = services.binding_resend_code(binding_id=binding_id, initiator=me)
        return Response(BindingSerializer(binding_body(binding, me)).data, status=202)


class BindingView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        request=None,
        responses={204: None},
        extensions=errors(services.BINDING_NOT_FOUND, services.BINDING_TRANSITION),
        tags=TAGS,
    )
    def delete(self, request: Request, binding_id: int) -> Response:
        services.binding_unbind(binding_id=binding_id, by=_me(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BindingProofView(APIView):
    """The uploaded proof, for the two people of the binding only; never cached."""

    permission_classes = [IsResident]

    @extend_schema(
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in PROOF_TYPES},
        extensions=errors(services.BINDING_NOT_FOUND),
        tags=TAGS,
    )
    def get(self, request: Request, binding_id: int) -> FileResponse:
        me = _me(request)
        binding = FamilyBinding.objects.filter(pk=binding_id).first()
        if binding is None or me.pk not in (binding.initiator_id, binding.bound_id) or not binding.proof:
            raise DomainError(services.BINDING_NOT_FOUND)
        return private_file_response(binding.proof, binding.proof_content_type)
