"""The residents' web pages."""

from django.urls import include, path

from portal.web import pwa, views

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
    path("insurance/", include("portal.web.insurance.urls")),
    path("statement/", include("portal.web.statement.urls")),
    path("institutions/", include("portal.web.institutions.urls")),
    path("add-to-home-screen", pwa.add_to_home_screen, name="web-add-to-home-screen"),
    path("manifest.webmanifest", pwa.manifest, name="web-manifest"),
    path("icons/icon-192.png", pwa.icon_192, name="web-icon-192"),
    path("icons/icon-512.png", pwa.icon_512, name="web-icon-512"),
    path("apple-touch-icon.png", pwa.apple_touch_icon, name="web-apple-touch-icon"),
    path("favicon.ico", pwa.favicon, name="web-favicon"),
]
