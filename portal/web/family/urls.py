"""Residents' family pages, under /family/: a chooser, family sharing (家庭共济, /family/sharing/) and relatives'
codes (亲情账户, /family/relatives/).

The earlier addresses (/family/bind, /family/bindings/..., /family/holdings/...) still answer, with the same
views, for bookmarks, open tabs and text messages already sent.
"""

from django.urls import path

from portal.parsing import register_converters
from portal.web.family import holdings, views

register_converters()  # <id:...> path parameters

urlpatterns = [
    path("", views.family_home, name="web-family"),
    # Family sharing: relatives pay medical bills from my personal account.
    path("sharing/", views.sharing_home, name="web-family-sharing"),
    path("sharing/bind", views.bind, name="web-family-bind"),
    path("sharing/<id:binding_id>", views.binding_detail, name="web-family-binding"),
    path("sharing/<id:binding_id>/consent", views.binding_consent, name="web-family-consent"),
    path("sharing/<id:binding_id>/resend", views.binding_resend, name="web-family-resend"),
    path("sharing/<id:binding_id>/stop", views.binding_end, name="web-family-unbind"),
    # Relatives' codes: I show a relative's e-voucher code for them.
    path("relatives/", holdings.relatives_home, name="web-family-relatives"),
    path("relatives/add", holdings.holding_add, name="web-family-holding-add"),
    path("relatives/<id:holding_id>", holdings.holding_detail, name="web-family-holding"),
    path("relatives/<id:holding_id>/consent", holdings.holding_consent, name="web-family-holding-consent"),
    path("relatives/<id:holding_id>/remove", holdings.holding_remove, name="web-family-holding-remove"),
    # The earlier addresses.
    path("bind", views.bind),
    path("bindings/<id:binding_id>", views.binding_detail),
    path("bindings/<id:binding_id>/consent", views.binding_consent),
    path("bindings/<id:binding_id>/resend", views.binding_resend),
    path("bindings/<id:binding_id>/unbind", views.binding_end),
    path("holdings/add", holdings.holding_add),
    path("holdings/<id:holding_id>", holdings.holding_detail),
    path("holdings/<id:holding_id>/consent", holdings.holding_consent),
    path("holdings/<id:holding_id>/remove", holdings.holding_remove),
]
