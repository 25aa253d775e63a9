"""Prescription API routes (under /api/v1/)."""

from django.urls import URLPattern, path

from payments.prescriptions import views

urlpatterns: list[URLPattern] = [
    path("hospital/prescriptions", views.HospitalPrescriptionsView.as_view(), name="hospital-prescriptions"),
    path(
        "hospital/prescriptions/<str:number>/cancel",
        views.HospitalPrescriptionCancelView.as_view(),
        name="hospital-prescription-cancel",
    ),
    path(
        "scanner/sessions/<str:scan_session_id>/prescriptions",
        views.ScannedPrescriptionsView.as_view(),
        name="scanner-prescriptions",
    ),
    path(
        "scanner/sessions/<str:scan_session_id>/paper-prescriptions",
        views.PaperPrescriptionsView.as_view(),
        name="scanner-paper-prescriptions",
    ),
    path("prescriptions", views.MyPrescriptionsView.as_view(), name="my-prescriptions"),
    path("prescriptions/<id:prescription_id>", views.MyPrescriptionView.as_view(), name="my-prescription"),
]
