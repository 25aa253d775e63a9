"""/admin/dashboards/<area>/: a page per area and its Excel export (the admin index links the pages).
Every view goes through the admin's own guard (sign-in, staff only) first."""

from django.contrib import admin
from django.urls import URLPattern, path

from portal.dashboards import views

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/", admin.site.admin_view(views.dashboard), name="dashboards-page"),
    path("<slug:slug>/export.xlsx", admin.site.admin_view(views.dashboard_export), name="dashboards-export"),
]
