"""Staff figures of operations: the last invariant check."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.ops.models import InvariantRun
from portal.signin.permissions import IsStaff


class InvariantsView(APIView):
    """For staff: the last run of the nightly invariant check (money and entitlements)."""

    permission_classes = [IsStaff]

    @extend_schema(responses={200: None}, tags=["staff"])
    def get(self, request: Request) -> Response:
        run = InvariantRun.objects.first()
        if run is None:
            return Response({"last_run": None})
        return Response(
            {
                "last_run": {
                    "finished_at": run.finished_at,
                    "ok": run.ok,
                    "violations": run.violations,
                    "checks": [
                        {"name": r["name"], "checked": r["checked"], "violations": r["count"]} for r in run.results
                    ],
                }
            }
        )
