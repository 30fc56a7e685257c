"""URLs of the site staff area (mounted at /staff/)."""

from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("", views.index, name="index"),
    path("organisations/new/", views.org_new, name="org_new"),
    path("organisations/load/", views.bulk_upload, name="bulk_upload"),
    path("organisations/load/check/", views.bulk_preview, name="bulk_preview"),
    path("organisations/load/apply/", views.bulk_apply, name="bulk_apply"),
    path("organisations/load/cancel/", views.bulk_cancel, name="bulk_cancel"),
]
