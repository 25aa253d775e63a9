"""Residents' family pages, under /family/: family sharing (家庭共济) and family display (亲情账户)."""

from django.urls import path

from portal.parsing import register_converters
from portal.web.family import holdings, views

register_converters()  # <id:...> path parameters

urlpatterns = [
    path("", views.family_home, name="web-family"),
    path("bind", views.bind, name="web-family-bind"),
    path("bindings/<id:binding_id>", views.binding_detail, name="web-family-binding"),
    path("bindings/<id:binding_id>/consent", views.binding_consent, name="web-family-consent"),
    path("bindings/<id:binding_id>/resend", views.binding_resend, name="web-family-resend"),
    path("bindings/<id:binding_id>/unbind", views.binding_unbind, name="web-family-unbind"),
    path("holdings/add", holdings.holding_add, name="web-family-holding-add"),
    path("holdings/<id:holding_id>", holdings.holding_detail, name="web-family-holding"),
    path("holdings/<id:holding_id>/consent", holdings.holding_consent, name="web-family-holding-consent"),
    path("holdings/<id:holding_id>/remove", holdings.holding_remove, name="web-family-holding-remove"),
]
