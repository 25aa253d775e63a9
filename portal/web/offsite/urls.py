"""Residents' offsite pages."""

from django.urls import path

from portal.web.offsite import views

urlpatterns = [
    path("", views.filings, name="web-offsite"),
    path("new", views.filing_new, name="web-offsite-new"),
    path("<int:filing_id>/change", views.filing_change, name="web-offsite-change"),
    path("<int:filing_id>/cancel", views.filing_cancel, name="web-offsite-cancel"),
]
