from django.urls import path

from portal.web.insurance import views

urlpatterns = [path("", views.insurance, name="web-insurance")]
