"""URLs of the focus area."""

from django.urls import path  # noqa: F401

app_name = "focus"
urlpatterns: list = []
