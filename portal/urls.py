from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from payments.benefits import views as benefit_views
from payments.online import views as online_views
from payments.settlement import views as settlement_views
from portal.family import views as family_views
from portal.institutions import views as institution_views
from portal.observability import health, metrics
from portal.offsite import views as offsite_views
from portal.ops import views as ops_views
from portal.parsing import register_converters
from portal.people import views as people_views
from portal.qa import pages as qa_pages
from portal.qa import views as qa_views
from portal.signin import views as signin_views
from vouchers import views as voucher_views

register_converters()  # <id:...> path parameters


api_v1: list[URLPattern | URLResolver] = [
    path("auth/sms-code", signin_views.SmsCodeView.as_view(), name="auth-sms-code"),
    path("auth/login", signin_views.LoginView.as_view(), name="auth-login"),
    path("auth/logout", signin_views.LogoutView.as_view(), name="auth-logout"),
    path("me", people_views.MeView.as_view(), name="me"),
    path("accounts/<id:account_id>/entries", people_views.AccountEntriesView.as_view(), name="account-entries"),
    path("terminal/me", institution_views.TerminalMeView.as_view(), name="terminal-me"),
    path("institutions/<str:code>", institution_views.InstitutionDetailView.as_view(), name="institution-detail"),
    path("benefits/estimate", benefit_views.BenefitEstimateView.as_view(), name="benefit-estimate"),
    path("vouchers/activation/sms-code", voucher_views.ActivationCodeView.as_view(), name="voucher-activation-code"),
    path("vouchers/activate", voucher_views.ActivateView.as_view(), name="voucher-activate"),
    path("vouchers/mine", voucher_views.MyVoucherView.as_view(), name="voucher-mine"),
    path("vouchers/code", voucher_views.CodeView.as_view(), name="voucher-code"),
    path("vouchers/family", voucher_views.FamilyView.as_view(), name="voucher-family"),
    path("vouchers/family/<id:holding_id>/consent", voucher_views.FamilyConsentView.as_view(), name="voucher-consent"),
    path("vouchers/family/<id:holding_id>", voucher_views.FamilyRemoveView.as_view(), name="voucher-family-remove"),
    path("vouchers/jwks", voucher_views.JwksView.as_view(), name="voucher-jwks"),
    path("vouchers/revocations", voucher_views.RevocationsView.as_view(), name="voucher-revocations"),
    path(
        "vouchers/revocations/<str:kid>", voucher_views.RevocationsForKeyView.as_view(), name="voucher-revocations-key"
    ),
    path("scanner/scan", voucher_views.ScanView.as_view(), name="scanner-scan"),
    path("staff/vouchers/figures", voucher_views.FiguresView.as_view(), name="staff-voucher-figures"),
    path("family/bindings", family_views.BindingsView.as_view(), name="family-bindings"),
    path("family/bindings/<id:binding_id>", family_views.BindingView.as_view(), name="family-binding"),
    path("family/bindings/<id:binding_id>/consent", family_views.BindingConsentView.as_view(), name="family-consent"),
    path("family/bindings/<id:binding_id>/proof", family_views.BindingProofView.as_view(), name="family-proof"),
    path("family/bindings/<id:binding_id>/consent-code", family_views.BindingCodeView.as_view(), name="family-code"),
    path("scanner/settlements/preview", settlement_views.PreviewView.as_view(), name="settlement-preview"),
    path("scanner/settlements", settlement_views.SettleView.as_view(), name="settlement-create"),
    path("scanner/settlements/<str:number>", settlement_views.TerminalSettlementView.as_view(), name="settlement"),
    path(
        "scanner/settlements/<str:number>/reversal", settlement_views.ReversalView.as_view(), name="settlement-reversal"
    ),
    path("scanner/settlements/<str:number>/refunds", settlement_views.RefundView.as_view(), name="settlement-refunds"),
    path("settlements", settlement_views.MySettlementsView.as_view(), name="my-settlements"),
    path("settlements/<str:number>", settlement_views.MySettlementView.as_view(), name="my-settlement"),
    path("hospital/orders", online_views.HospitalOrdersView.as_view(), name="hospital-orders"),
    path("hospital/orders/<str:number>", online_views.HospitalOrderView.as_view(), name="hospital-order"),
    path("hospital/orders/<str:number>/cancel", online_views.HospitalCancelView.as_view(), name="hospital-cancel"),
    path("hospital/orders/<str:number>/refunds", online_views.HospitalRefundView.as_view(), name="hospital-refund"),
    path("hospital/notify-endpoint", online_views.NotifyEndpointView.as_view(), name="hospital-notify-endpoint"),
    path("payments/orders", online_views.MyOrdersView.as_view(), name="my-orders"),
    path("payments/orders/<str:number>", online_views.MyOrderView.as_view(), name="my-order"),
    path("payments/orders/<str:number>/authorize", online_views.AuthorizeView.as_view(), name="order-authorize"),
    path("payments/orders/<str:number>/pay", online_views.PayView.as_view(), name="order-pay"),
    path("payments/notify/<str:channel_name>", online_views.ChannelNotifyView.as_view(), name="channel-notify"),
    path("offsite/destinations", offsite_views.DestinationsView.as_view(), name="offsite-destinations"),
    path("offsite/categories", offsite_views.CategoriesView.as_view(), name="offsite-categories"),
    path("offsite/filings", offsite_views.FilingsView.as_view(), name="offsite-filings"),
    path("offsite/filings/<id:filing_id>", offsite_views.FilingView.as_view(), name="offsite-filing"),
    path("offsite/filings/<id:filing_id>/cancel", offsite_views.FilingCancelView.as_view(), name="offsite-cancel"),
    path("staff/offsite/figures", offsite_views.FiguresView.as_view(), name="staff-offsite-figures"),
    path("staff/invariants", ops_views.InvariantsView.as_view(), name="staff-invariants"),
    path("qa/topics", qa_views.TopicsView.as_view(), name="qa-topics"),
    path("qa/entries", qa_views.EntriesView.as_view(), name="qa-entries"),
    path("qa/entries/<id:entry_id>", qa_views.EntryView.as_view(), name="qa-entry"),
    path("qa/entries/<id:entry_id>/feedback", qa_views.FeedbackView.as_view(), name="qa-feedback"),
    path("qa/search", qa_views.SearchView.as_view(), name="qa-search"),
    path("", include("portal.diseases.urls")),
    path("", include("payments.prescriptions.urls")),
    path("", include("portal.people.api_urls")),
    path("", include("portal.institutions.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("admin/dashboards/", include("portal.dashboards.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("cms/", include(wagtailadmin_urls)),
    path("qa/search/", qa_pages.search_page, name="qa-search-page"),
    path("qa/entries/<id:entry_id>/feedback", qa_pages.feedback_form, name="qa-feedback-form"),
    path("qa/", include(wagtail_urls)),
    path("", include("portal.web.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path(".well-known/jwks.json", voucher_views.JwksView.as_view(), name="jwks"),
]

handler404 = "portal.errors.json_not_found"
handler500 = "portal.errors.json_server_error"
