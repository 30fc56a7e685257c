"""URLs of the catalogue area."""

from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [path("", views.index, name="index")]
