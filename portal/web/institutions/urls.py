from django.urls import path

from portal.web.institutions import views

urlpatterns = [path("", views.institutions, name="web-institutions")]
