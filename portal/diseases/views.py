"""Specified-disease API: the region's list (public), recognitions and suspensions for residents, who act for
themselves and for the relatives whose e-voucher code they hold (the one access rule, vouchers.family)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.diseases import selectors, services
from portal.diseases.errors import (
    APPLICATION_REQUIRED,
    COMMITMENT_OUTDATED,
    COMMITMENT_REQUIRED,
    DISEASE_UNKNOWN,
    DOCUMENT_INVALID,
    DOCUMENTS_MISSING,
    DOCUMENTS_TOO_MANY,
    INSTITUTION_NOT_ELIGIBLE,
    INSTITUTION_NOT_NEEDED,
    INSTITUTION_REQUIRED,
    INSTITUTION_UNCHANGED,
    RECOGNITION_EXISTS,
    RECOGNITION_NOT_FOUND,
    RECOGNITION_NOT_INSURED,
    RECOGNITION_STATE,
    REGION_REQUIRED,
    REGION_UNKNOWN,
    REINSTATEMENT_PENDING,
    REINSTATEMENT_TOO_EARLY,
    SUSPENSION_NOT_FOUND,
    SUSPENSION_STATE,
    reasoned,
)
from portal.diseases.models import Recognition, Suspension
from portal.diseases.serializers import (
    ApplySerializer,
    ChangeInstitutionSerializer,
    CommitmentSerializer,
    DiseaseListSerializer,
    RecognitionListSerializer,
    RecognitionSerializer,
    ReinstatementRequestSerializer,
    SuspensionListSerializer,
    SuspensionSerializer,
)
from portal.errors import DomainError
from portal.family.proofs import PROOF_UNSAFE
from portal.hygiene import SafeJSONParser
from portal.institutions.models import Institution, Region
from portal.openapi import errors
from portal.pagination import PAGE_PARAMETERS, page
from portal.people.models import Person
from portal.signin.permissions import IsResident, request_person
from vouchers.family import people_visible_to, person_visible_to

TAGS = ["specified diseases"]


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


def _subject(me: Person, person_id: int | None) -> Person:
    """Myself, or a relative whose e-voucher I hold; anyone else is not found."""
    subject = person_visible_to(viewer=me, person_id=person_id)
    if subject is None:
        raise DomainError(RECOGNITION_NOT_FOUND)
    return subject


def _institution_id(code: str) -> int:
    found = Institution.objects.filter(code=code).values_list("pk", flat=True).first()
    if found is None:
        raise reasoned(INSTITUTION_NOT_ELIGIBLE, "unknown")
    return found


def _recognition(request: Request, recognition_id: int) -> Recognition:
    found = selectors.recognitions_of(person_ids=people_visible_to(viewer=_me(request))).filter(pk=recognition_id)
    recognition = found.first()
    if recognition is None:
        raise DomainError(RECOGNITION_NOT_FOUND)
    return recognition


def _recognition_body(recognition_id: int) -> Any:
    return RecognitionSerializer(selectors.recognition_detail(recognition_id=recognition_id)).data


class DiseasesView(APIView):
    """The region's listed diseases, their groups' rules today and the institutions a resident may choose."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="diseases_list",
        parameters=[OpenApiParameter("region", str, description="6-digit region code (default: my region).")],
        responses=DiseaseListSerializer,
        extensions=errors(REGION_REQUIRED, REGION_UNKNOWN),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        code = request.query_params.get("region")
        region: Region | None
        if code:
            region = Region.objects.filter(code=code[:6], active=True).first()
            if region is None:
                raise DomainError(REGION_UNKNOWN)
        else:
            me = request_person(request)
            if me is None:
                raise DomainError(REGION_REQUIRED)
            region = me.region
        groups = selectors.groups_of_region(region=region, on=timezone.localdate())
        body = {
            "region": region,
            "groups": [
                {"code": g.code, "name_zh": g.name_zh, "name_en": g.name_en, "rules_today": rules}
                for g, rules in groups
            ],
            "diseases": selectors.diseases_of_region(region=region),
            "institutions": selectors.choosable_institutions(region=region),
        }
        return Response(DiseaseListSerializer(body).data)


class RecognitionsView(APIView):
    permission_classes = [IsResident]
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    @extend_schema(
        operation_id="diseases_recognitions_list",
        parameters=[
            OpenApiParameter("person_id", int, description="Only this person (me or a relative I hold)."),
            *PAGE_PARAMETERS,
        ],
        responses=RecognitionListSerializer,
        tags=TAGS,
        description="Mine and those of the relatives whose code I hold, newest first, a page at a time.",
    )
    def get(self, request: Request) -> Response:
        me = _me(request)
        people = people_visible_to(viewer=me)
        wanted = request.query_params.get("person_id")
        if wanted is not None:
            people = [p for p in people if str(p) == wanted]
        return page(request, selectors.recognitions_of(person_ids=people), RecognitionSerializer)

    @extend_schema(
        operation_id="diseases_recognitions_apply",
        request={"multipart/form-data": ApplySerializer},
        responses={201: RecognitionSerializer},
        extensions=errors(
            DISEASE_UNKNOWN,
            INSTITUTION_REQUIRED,
            INSTITUTION_NOT_NEEDED,
            INSTITUTION_NOT_ELIGIBLE,
            DOCUMENTS_MISSING,
            DOCUMENTS_TOO_MANY,
            DOCUMENT_INVALID,
            PROOF_UNSAFE,
            RECOGNITION_NOT_FOUND,
            RECOGNITION_EXISTS,
            RECOGNITION_NOT_INSURED,
            RECOGNITION_STATE,
        ),
        tags=TAGS,
        description="`recognition_not_found` (404) also for a person I do not act for.",
    )
    def post(self, request: Request) -> Response:
        data = ApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        me = _me(request)
        person = _subject(me, values.get("person_id"))
        code = values.get("institution_code")
        recognition = services.recognition_apply(
            person=person,
            applied_by=me,
            disease_code=values["disease_code"],
            institution_id=_institution_id(code) if code else None,
            documents=values.get("documents") or [],
        )
        return Response(_recognition_body(recognition.pk), status=status.HTTP_201_CREATED)


class RecognitionView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        operation_id="diseases_recognition_retrieve",
        responses=RecognitionSerializer,
        extensions=errors(RECOGNITION_NOT_FOUND),
        tags=TAGS,
    )
    def get(self, request: Request, recognition_id: int) -> Response:
        return Response(RecognitionSerializer(_recognition(request, recognition_id)).data)


class RecognitionWithdrawView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        operation_id="diseases_recognition_withdraw",
        request=None,
        responses=RecognitionSerializer,
        extensions=errors(RECOGNITION_NOT_FOUND, RECOGNITION_STATE),
        tags=TAGS,
    )
    def post(self, request: Request, recognition_id: int) -> Response:
        recognition = _recognition(request, recognition_id)
        services.recognition_withdraw(recognition_id=recognition.pk, by=_me(request))
        return Response(_recognition_body(recognition.pk))


class RecognitionInstitutionView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        operation_id="diseases_recognition_change_institution",
        request=ChangeInstitutionSerializer,
        responses=RecognitionSerializer,
        extensions=errors(
            INSTITUTION_NOT_ELIGIBLE,
            INSTITUTION_NOT_NEEDED,
            RECOGNITION_NOT_FOUND,
            RECOGNITION_STATE,
            INSTITUTION_UNCHANGED,
        ),
        tags=TAGS,
        description="Change the chosen institution of an approved recognition.",
    )
    def post(self, request: Request, recognition_id: int) -> Response:
        data = ChangeInstitutionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recognition = _recognition(request, recognition_id)
        services.recognition_change_institution(
            recognition_id=recognition.pk,
            by=_me(request),
            institution_id=_institution_id(data.validated_data["institution_code"]),
        )
        return Response(_recognition_body(recognition.pk))


class SuspensionsView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        operation_id="diseases_suspensions_list",
        parameters=PAGE_PARAMETERS,
        responses=SuspensionListSerializer,
        tags=TAGS,
        description="Mine and those of the relatives whose code I hold, newest first, a page at a time, with the "
        "commitment to sign when asking for reinstatement.",
    )
    def get(self, request: Request) -> Response:
        me = _me(request)
        rows = selectors.suspensions_of(person_ids=people_visible_to(viewer=me))
        commitment = selectors.commitment_in_force()
        english = (translation.get_language() or "").startswith("en")
        extra = {
            "commitment": None
            if commitment is None
            else CommitmentSerializer(
                {"version": commitment.version, "text": commitment.text_en if english else commitment.text_zh}
            ).data
        }
        return page(request, rows, SuspensionSerializer, extra=extra)


class ReinstatementView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        operation_id="diseases_reinstatement_apply",
        request=ReinstatementRequestSerializer,
        responses={201: SuspensionSerializer},
        extensions=errors(
            APPLICATION_REQUIRED,
            COMMITMENT_REQUIRED,
            SUSPENSION_NOT_FOUND,
            COMMITMENT_OUTDATED,
            REINSTATEMENT_TOO_EARLY,
            REINSTATEMENT_PENDING,
            SUSPENSION_STATE,
        ),
        tags=TAGS,
        description="Ask in writing, signing the commitment, to settle at pharmacies again once the suspension "
        "period is over.",
    )
    def post(self, request: Request, suspension_id: int) -> Response:
        data = ReinstatementRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        me = _me(request)
        visible = selectors.suspensions_of(person_ids=people_visible_to(viewer=me))
        if not visible.filter(pk=suspension_id).exists():
            raise DomainError(SUSPENSION_NOT_FOUND)
        services.reinstatement_apply(suspension_id=suspension_id, by=me, **data.validated_data)
        suspension: Suspension = visible.get(pk=suspension_id)
        return Response(SuspensionSerializer(suspension).data, status=status.HTTP_201_CREATED)
