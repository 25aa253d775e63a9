"""The residents' web pages."""

from django.urls import include, path

from portal.web import views

urlpatterns = [
    path("", views.home, name="web-home"),
    path("signin", views.signin, name="web-signin"),
    path("signout", views.signout, name="web-signout"),
    path("voucher", views.voucher, name="web-voucher"),
    path("voucher/activate", views.activate, name="web-activate"),
    path("preferences", views.preferences, name="web-preferences"),
    path("family/", include("portal.web.family.urls")),
    path("payments/", include("portal.web.payments.urls")),
    path("offsite/", include("portal.web.offsite.urls")),
    path("diseases/", include("portal.web.diseases.urls")),
]
