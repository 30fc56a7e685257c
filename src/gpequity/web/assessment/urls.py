"""URLs of the assessment area."""

from django.urls import path  # noqa: F401

app_name = "assessment"
urlpatterns: list = []
