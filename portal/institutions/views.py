"""Institution terminals: who am I, and my institution's profile."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import NOT_FOUND, DomainError
from portal.institutions.models import Institution, Terminal
from portal.openapi import errors
from portal.signin.permissions import INSTITUTION_MISMATCH, IsTerminal, request_terminal, require_own_institution


class InstitutionSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")

    class Meta:
        model = Institution
        fields = ["code", "name", "kind", "level", "is_primary_level", "region", "region_name", "designated"]


class TerminalSerializer(serializers.ModelSerializer):
    institution = InstitutionSerializer()

    class Meta:
        model = Terminal
        fields = ["key_id", "name", "kind", "institution"]


class TerminalMeView(APIView):
    permission_classes = [IsTerminal]

    @extend_schema(responses=TerminalSerializer, tags=["institution"])
    def get(self, request: Request) -> Response:
        terminal = request_terminal(request)
        return Response(TerminalSerializer(terminal).data)


class InstitutionDetailView(APIView):
    """An institution's profile, for its own terminals only."""

    permission_classes = [IsTerminal]

    @extend_schema(responses=InstitutionSerializer, extensions=errors(INSTITUTION_MISMATCH), tags=["institution"])
    def get(self, request: Request, code: str) -> Response:
        institution = Institution.objects.select_related("region").filter(code=code).first()
        if institution is None:
            raise DomainError(NOT_FOUND)
        require_own_institution(request, institution.pk)
        return Response(InstitutionSerializer(institution).data)
