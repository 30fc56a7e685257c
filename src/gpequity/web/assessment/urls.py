"""URLs of the assessment area, mounted at /orgs/<ods_code>/assessment/."""

from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("actions/<str:action_key>/", views.action, name="action"),
    path(
        "actions/<str:action_key>/evidence/<int:evidence_id>/remove/",
        views.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "actions/<str:action_key>/evidence/<int:evidence_id>/restore/",
        views.evidence_restore,
        name="evidence_restore",
    ),
    path("evidence/<int:evidence_id>/download/", views.evidence_download, name="evidence_download"),
    path("history/", views.history, name="history"),
    path("snapshots/", views.snapshots, name="snapshots"),
    path("snapshots/compare/", views.snapshot_compare, name="compare"),
]
