from django.urls import path

from portal.web.statement import views

urlpatterns = [path("", views.statement, name="web-statement")]
