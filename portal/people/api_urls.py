"""Resident API routes for 参保信息 and 消费明细 (under /api/v1/)."""

from django.urls import URLPattern, path

from portal.people.api_insurance import InsuranceView
from portal.people.api_statement import StatementView

urlpatterns: list[URLPattern] = [
    path("me/insurance", InsuranceView.as_view(), name="me-insurance"),
    path("me/statement", StatementView.as_view(), name="me-statement"),
]
