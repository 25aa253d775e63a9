from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from payments.benefits import views as benefit_views
from portal.institutions import views as institution_views
from portal.people import views as people_views
from portal.signin import views as signin_views


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database and the cache answer."""
    from django.core.cache import cache

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cache.set("healthz", 1, 5)
    return JsonResponse({"status": "ok"})


api_v1 = [
    path("auth/sms-code", signin_views.SmsCodeView.as_view(), name="auth-sms-code"),
    path("auth/login", signin_views.LoginView.as_view(), name="auth-login"),
    path("auth/logout", signin_views.LogoutView.as_view(), name="auth-logout"),
    path("me", people_views.MeView.as_view(), name="me"),
    path("accounts/<int:account_id>/entries", people_views.AccountEntriesView.as_view(), name="account-entries"),
    path("terminal/me", institution_views.TerminalMeView.as_view(), name="terminal-me"),
    path("institutions/<str:code>", institution_views.InstitutionDetailView.as_view(), name="institution-detail"),
    path("benefits/estimate", benefit_views.BenefitEstimateView.as_view(), name="benefit-estimate"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
]

handler404 = "portal.errors.json_not_found"
handler500 = "portal.errors.json_server_error"
