"""Prescription API: issuers upload and cancel (signed terminals), pharmacies list a scanned person's open
prescriptions and record paper ones, residents see their own and their relatives'."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.prescriptions import selectors, services
from payments.prescriptions.errors import (
    ISSUER_UNKNOWN,
    NOT_A_PHARMACY,
    NOT_AN_ISSUER,
    PHOTO_INVALID,
    PHOTO_REQUIRED,
    PRESCRIPTION_CONFLICT,
    PRESCRIPTION_EXPIRED,
    PRESCRIPTION_IN_USE,
    PRESCRIPTION_INVALID,
    PRESCRIPTION_NOT_FOUND,
    PRESCRIPTION_STATE,
)
from payments.prescriptions.serializers import (
    PaperPrescriptionSerializer,
    PrescriptionDetailSerializer,
    PrescriptionRecordSerializer,
    PrescriptionUploadSerializer,
    ScannedSerializer,
    item_inputs,
)
from payments.settlement.services import SCAN_SESSION_INVALID
from portal.identity import ID_NUMBER_INVALID
from portal.institutions.models import Terminal
from portal.institutions.selectors import terminal_by_key
from portal.openapi import errors
from portal.pagination import PAGE_PARAMETERS, page, paginated
from portal.people.models import Person
from portal.people.selectors import TERMINAL_LOOKUP_UNKNOWN, person_read_by_terminal
from portal.signin.permissions import IsResident, IsTerminal, request_person, request_terminal


def _terminal(request: Request) -> Terminal:
    terminal = request_terminal(request)
    assert terminal is not None
    return terminal


def _signed(request: Request) -> services.SignedRequest:
    """The signed request's key id, timestamp, nonce, body hash and signature (already verified)."""
    meta = request.META
    return services.SignedRequest(
        key_id=meta.get("HTTP_X_TERMINAL_KEY", "")[:40],
        timestamp=meta.get("HTTP_X_TIMESTAMP", "")[:12],
        nonce=meta.get("HTTP_X_NONCE", "")[:64],
        body_sha256=hashlib.sha256(request._request.body).hexdigest(),
        signature=meta.get("HTTP_X_SIGNATURE", "")[:100],
    )


def _shown(prescription_id: int, *, created: bool) -> Response:
    body = PrescriptionRecordSerializer(selectors.prescription_shown(prescription_id=prescription_id)).data
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def read_signed_upload(request: HttpRequest) -> None:
    """Keep a signed multipart body in memory before the signature check reads it.

    The check hashes ``request.body``, which Django refuses past DATA_UPLOAD_MAX_MEMORY_SIZE (meant for
    JSON and forms); a photo is larger. The hygiene middleware has already refused a body over
    UPLOAD_MAX_BYTES by its Content-Length, so it is read whole here, as ``HttpRequest.body`` would; only
    for a known terminal key (an unknown one is refused before any body is read)."""
    key_id = request.META.get("HTTP_X_TERMINAL_KEY")
    if not key_id or hasattr(request, "_body") or request._read_started:  # type: ignore[attr-defined]
        return
    if not (request.META.get("CONTENT_TYPE") or "").startswith("multipart/form-data"):
        return
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length <= int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or length > int(settings.UPLOAD_MAX_BYTES):
        return
    if terminal_by_key(key_id=key_id) is None:
        return
    body = request.read()
    request._body = body
    request._stream = io.BytesIO(body)


# --- Issuers (hospital systems) -----------------------------------------------------------------------


class HospitalPrescriptionsView(APIView):
    """Upload an electronic prescription (电子处方流转). Replaying the same body returns the first (200)."""

    permission_classes = [IsTerminal]

    @extend_schema(
        request=PrescriptionUploadSerializer,
        responses={201: PrescriptionRecordSerializer, 200: PrescriptionRecordSerializer},
        tags=["internet hospital"],
        description="201: recorded now. 200: the same number and content again: the first record.",
        extensions=errors(
            NOT_AN_ISSUER,
            TERMINAL_LOOKUP_UNKNOWN,
            ID_NUMBER_INVALID,
            PRESCRIPTION_CONFLICT,
            PRESCRIPTION_INVALID,
            PRESCRIPTION_EXPIRED,
        ),
    )
    def post(self, request: Request) -> Response:
        data = PrescriptionUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        terminal = _terminal(request)
        services.require_issuer(terminal=terminal)  # before reading anyone by identity number
        patient = person_read_by_terminal(
            terminal=terminal,
            id_number=values["patient_id_number"],
            purpose="prescription upload",
            fields=["insured"],
        )
        prescription, created = services.prescription_upload(
            terminal=terminal,
            person=patient,
            number=values["number"],
            doctor_code=values["doctor_code"],
            doctor_name=values["doctor_name"],
            diagnosis_code=values["diagnosis_code"],
            diagnosis_text=values["diagnosis_text"],
            specified_disease=values["specified_disease"],
            disease_code=values["disease_code"],
            issued_on=values["issued_on"],
            items=item_inputs(values["items"]),
            signed=_signed(request),
        )
        return _shown(prescription.pk, created=created)


class HospitalPrescriptionCancelView(APIView):
    """The issuer voids a prescription no settlement has used."""

    permission_classes = [IsTerminal]

    @extend_schema(
        request=None,
        responses={200: PrescriptionRecordSerializer},
        tags=["internet hospital"],
        extensions=errors(PRESCRIPTION_NOT_FOUND, PRESCRIPTION_IN_USE, PRESCRIPTION_STATE),
    )
    def post(self, request: Request, number: str) -> Response:
        prescription = services.prescription_cancel(terminal=_terminal(request), number=number)
        return _shown(prescription.pk, created=False)


# --- Pharmacies (scanners) ----------------------------------------------------------------------------


class ScannedPrescriptionsView(APIView):
    """The open prescriptions of the person this institution just scanned (audited)."""

    permission_classes = [IsTerminal]

    @extend_schema(
        responses={200: ScannedSerializer},
        tags=["scanner"],
        description="The person's open prescriptions and recognised specified diseases. scan_session_invalid: "
        "unknown, expired, of another institution, or a registration scan.",
        extensions=errors(SCAN_SESSION_INVALID),
    )
    def get(self, request: Request, scan_session_id: str) -> Response:
        scanned = selectors.open_prescriptions_for_scan(
            terminal=_terminal(request), scan_session_id=scan_session_id, on=timezone.localdate()
        )
        diseases = [
            {
                "disease_code": d.disease_code,
                "disease_name_zh": d.disease_name_zh,
                "disease_name_en": d.disease_name_en,
                "chosen_institution": scanned.institutions.get(d.institution_id) if d.institution_id else None,
                "valid_to": d.valid_to,
                "pharmacy_suspended": d.pharmacy_suspended,
                "internet_hospital": d.internet_hospital,
            }
            for d in scanned.diseases
        ]
        return Response(ScannedSerializer({"results": scanned.prescriptions, "diseases": diseases}).data)


class PaperPrescriptionsView(APIView):
    """Record the paper prescription the scanned resident brought, with its photo (multipart)."""

    permission_classes = [IsTerminal]
    parser_classes = [MultiPartParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        read_signed_upload(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": PaperPrescriptionSerializer},
        responses={201: PrescriptionRecordSerializer, 200: PrescriptionRecordSerializer},
        tags=["scanner"],
        description="201: recorded now. 200: the same paper for the same person again: the first record.",
        extensions=errors(
            NOT_A_PHARMACY,
            SCAN_SESSION_INVALID,
            PHOTO_REQUIRED,
            PHOTO_INVALID,
            ISSUER_UNKNOWN,
            PRESCRIPTION_CONFLICT,
            PRESCRIPTION_INVALID,
            PRESCRIPTION_EXPIRED,
        ),
    )
    def post(self, request: Request, scan_session_id: str) -> Response:
        data = PaperPrescriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        prescription, created = services.paper_prescription_record(
            terminal=_terminal(request),
            scan_session_id=scan_session_id,
            number=values["number"],
            issuer_institution_code=values["issuer_institution_code"],
            doctor_code=values["doctor_code"],
            doctor_name=values["doctor_name"],
            diagnosis_code=values["diagnosis_code"],
            diagnosis_text=values["diagnosis_text"],
            issued_on=values["issued_on"],
            specified_disease=values["specified_disease"],
            disease_code=values["disease_code"],
            items=item_inputs(values["items"]),
            photo=values.get("photo"),
            signed=_signed(request),
        )
        return _shown(prescription.pk, created=created)


# --- Residents ----------------------------------------------------------------------------------------


def _me(request: Request) -> Person:
    person = request_person(request)
    assert person is not None
    return person


class MyPrescriptionsView(APIView):
    """My prescriptions and those of relatives whose e-voucher I hold, newest first."""

    permission_classes = [IsResident]

    @extend_schema(
        operation_id="my_prescriptions_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(PrescriptionRecordSerializer)},
        tags=["resident"],
    )
    def get(self, request: Request) -> Response:
        return page(request, selectors.prescriptions_visible_to(viewer=_me(request)), PrescriptionRecordSerializer)


class MyPrescriptionView(APIView):
    permission_classes = [IsResident]

    @extend_schema(
        responses={200: PrescriptionDetailSerializer},
        tags=["resident"],
        description="prescription_not_found for anyone else's.",
        extensions=errors(PRESCRIPTION_NOT_FOUND),
    )
    def get(self, request: Request, prescription_id: int) -> Response:
        found = selectors.prescription_detail(prescription_id=prescription_id, viewer=_me(request))
        return Response(PrescriptionDetailSerializer(found).data)
