"""The public institution directory (under /api/v1/)."""

from django.urls import URLPattern, path

from portal.institutions.api import DirectoryView

urlpatterns: list[URLPattern] = [
    path("institutions", DirectoryView.as_view(), name="institutions-directory"),
]
