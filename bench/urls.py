"""The project's URLs plus a bare DRF endpoint (one indexed SELECT) to measure against."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.people.models import Person


class BaselineView(APIView):
    """Authenticated like the real endpoints; one SELECT by primary key; a small JSON answer."""

    def get(self, request: Request, pk: int) -> Response:
        person = Person.objects.only("id", "name").get(pk=pk)
        return Response({"id": person.pk, "name": person.name})


class BareView(APIView):
    """No authentication at all: one SELECT by primary key and a small JSON answer."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request, pk: int) -> Response:
        person = Person.objects.only("id", "name").get(pk=pk)
        return Response({"id": person.pk, "name": person.name})


urlpatterns = [
    path("bench/baseline/<int:pk>", BaselineView.as_view()),
    path("bench/bare/<int:pk>", BareView.as_view()),
    path("", include("portal.urls")),
]
