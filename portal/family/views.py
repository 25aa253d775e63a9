"""Family sharing API for residents: my bindings, bind, consent, unbind, proof, spending."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
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
from portal.hygiene import SafeJSONParser
from portal.money import money
from portal.people.models import Person
from portal.signin.permissions import IsResident, request_person


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


def _binding(binding: FamilyBinding, me: Person, spent: dict[int, int] | None = None) -> dict[str, Any]:
    as_initiator = binding.initiator_id == me.pk
    other = binding.bound if as_initiator else binding.initiator
    body: dict[str, Any] = {
        "id": binding.pk,
        "role": "initiator" if as_initiator else "bound",
        "person": {"id": other.pk, "name": other.name, "id_number_masked": other.id_number_masked},
        "relation": binding.relation,
        "relation_label": binding.get_relation_display(),
        "status": binding.status,
        "created_at": binding.created_at,
        "consent_expires_at": binding.consent_expires_at,
        "activated_at": binding.activated_at,
        "ended_at": binding.ended_at,
        "ended_by": binding.ended_by,
    }
    if as_initiator and spent is not None:
        body["spent_from_my_account"] = money(spent.get(binding.bound_id, 0))
    return body


class BindRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=20)
    relation = serializers.ChoiceField(choices=Relation.choices)
    proof = serializers.FileField(help_text="JPEG, PNG or PDF; at most 5 MB.")


class BindingsView(APIView):
    permission_classes = [IsResident]
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    @extend_schema(responses={200: None}, tags=["family sharing"])
    def get(self, request: Request) -> Response:
        me = _me(request)
        spent = selectors.spent_from_my_account(initiator=me)
        policy = services.FamilyPolicy.objects.filter(region_id=me.region_id).first()
        return Response(
            {
                "as_initiator": [_binding(b, me, spent) for b in selectors.bindings_as_initiator(person=me)],
                "as_bound": [_binding(b, me) for b in selectors.bindings_as_bound(person=me)],
                "policy": None
                if policy is None
                else {
                    "allowed_relations": policy.allowed_relations,
                    "max_bound": policy.max_bound,
                    "requires_staff_review": policy.requires_staff_review,
                    "consent_hours": policy.consent_hours,
                },
            }
        )

    @extend_schema(
        request={"multipart/form-data": BindRequestSerializer}, responses={201: None}, tags=["family sharing"]
    )
    def post(self, request: Request) -> Response:
        data = BindRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me = _me(request)
        binding = services.binding_request(initiator=me, **data.validated_data)
        return Response(_binding(binding, me), status=status.HTTP_201_CREATED)


class BindingConsentView(APIView):
    """The bound person confirms in the app, or the initiator sends the SMS code the relative received."""

    permission_classes = [IsResident]

    @extend_schema(
        request=inline_serializer("BindingConsent", {"sms_code": serializers.CharField(required=False)}),
        responses={200: None},
        tags=["family sharing"],
    )
    def post(self, request: Request, binding_id: int) -> Response:
        me = _me(request)
        code = request.data.get("sms_code") if hasattr(request.data, "get") else None
        if code:
            binding = services.binding_consent_by_sms(binding_id=binding_id, initiator=me, sms_code=str(code))
        else:
            binding = services.binding_consent_in_app(binding_id=binding_id, bound=me)
        return Response(_binding(binding, me))


class BindingCodeView(APIView):
    """The initiator asks for a new consent code for the relative (the first expired or was not sent)."""

    permission_classes = [IsResident]

    @extend_schema(request=None, responses={202: None}, tags=["family sharing"])
    def post(self, request: Request, binding_id: int) -> Response:
        me = _me(request)
        binding = services.binding_resend_code(binding_id=binding_id, initiator=me)
        return Response(_binding(binding, me), status=202)


class BindingView(APIView):
    permission_classes = [IsResident]

    @extend_schema(request=None, responses={204: None}, tags=["family sharing"])
    def delete(self, request: Request, binding_id: int) -> Response:
        services.binding_unbind(binding_id=binding_id, by=_me(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BindingProofView(APIView):
    """The uploaded proof, for the two people of the binding only; never cached."""

    permission_classes = [IsResident]

    @extend_schema(responses={200: None}, tags=["family sharing"])
    def get(self, request: Request, binding_id: int) -> FileResponse:
        me = _me(request)
        binding = FamilyBinding.objects.filter(pk=binding_id).first()
        if binding is None or me.pk not in (binding.initiator_id, binding.bound_id) or not binding.proof:
            raise DomainError(services.BINDING_NOT_FOUND)
        return private_file_response(binding.proof, binding.proof_content_type)
