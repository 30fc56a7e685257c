"""URLs of the catalogue area (mounted at /toolkit/)."""

from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("", views.index, name="index"),
    path("tiers/<slug:tier>/", views.tier, name="tier"),
    path("themes/<slug:theme>/", views.theme, name="theme"),
    path("actions/<slug:key>/", views.action, name="action"),
    path("download/<slug:fmt>/", views.export, name="export"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/history/", views.import_history, name="import_history"),
]
