"""Residents' offsite pages."""

from django.urls import path

from portal.parsing import register_converters
from portal.web.offsite import views, wizard

register_converters()  # <id:...> path parameters

urlpatterns = [
    path("", views.filings, name="web-offsite"),
    path("new", wizard.start, name="web-offsite-new"),
    path("new/<slug:name>", wizard.step, name="web-offsite-step"),
    path("<id:filing_id>/change", views.filing_change, name="web-offsite-change"),
    path("<id:filing_id>/cancel", views.filing_cancel, name="web-offsite-cancel"),
]
