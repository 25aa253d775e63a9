"""Residents' specified-disease page."""

from django.urls import path

from portal.web.diseases import views

urlpatterns = [path("", views.diseases, name="web-diseases")]
