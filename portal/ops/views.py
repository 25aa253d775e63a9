"""Staff figures of operations: the last invariant check."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.ops.models import InvariantRun
from portal.signin.permissions import IsStaff


class InvariantCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    checked = serializers.IntegerField(help_text="Rows checked.")
    violations = serializers.IntegerField()


class InvariantRunSerializer(serializers.Serializer):
    finished_at = serializers.DateTimeField()
    ok = serializers.BooleanField()
    violations = serializers.IntegerField(help_text="Violations found, over every check.")
    checks = InvariantCheckSerializer(many=True)


class InvariantsSerializer(serializers.Serializer):
    last_run = InvariantRunSerializer(allow_null=True, help_text="Null: the check has not run yet.")


class InvariantsView(APIView):
    """For staff: the last run of the nightly invariant check (money and entitlements)."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: InvariantsSerializer}, tags=["staff"])
    def get(self, request: Request) -> Response:
        run = InvariantRun.objects.first()
        last_run = None
        if run is not None:
            last_run = {
                "finished_at": run.finished_at,
                "ok": run.ok,
                "violations": run.violations,
                "checks": [{"name": r["name"], "checked": r["checked"], "violations": r["count"]} for r in run.results],
            }
        return Response(InvariantsSerializer({"last_run": last_run}).data)
