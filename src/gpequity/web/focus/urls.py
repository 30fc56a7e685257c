"""URLs of the focus area (mounted at orgs/<ods_code>/focus/)."""

from django.urls import path

from . import views

app_name = "focus"
urlpatterns = [
    path("", views.focus_detail, name="detail"),
    path("edit/", views.focus_edit, name="edit"),
    path("criteria.json", views.focus_download, name="download"),
    path("versions/<int:version>/", views.focus_version, name="version"),
]
