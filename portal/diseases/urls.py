"""Specified-disease API routes (under /api/v1/)."""

from django.urls import URLPattern, path

from portal.diseases import views
from portal.parsing import register_converters

register_converters()  # <id:...> path parameters

urlpatterns: list[URLPattern] = [
    path("diseases", views.DiseasesView.as_view(), name="diseases"),
    path("diseases/recognitions", views.RecognitionsView.as_view(), name="disease-recognitions"),
    path("diseases/recognitions/<id:recognition_id>", views.RecognitionView.as_view(), name="disease-recognition"),
    path(
        "diseases/recognitions/<id:recognition_id>/withdraw",
        views.RecognitionWithdrawView.as_view(),
        name="disease-recognition-withdraw",
    ),
    path(
        "diseases/recognitions/<id:recognition_id>/institution",
        views.RecognitionInstitutionView.as_view(),
        name="disease-recognition-institution",
    ),
    path("diseases/suspensions", views.SuspensionsView.as_view(), name="disease-suspensions"),
    path(
        "diseases/suspensions/<id:suspension_id>/reinstatement",
        views.ReinstatementView.as_view(),
        name="disease-reinstatement",
    ),
]
