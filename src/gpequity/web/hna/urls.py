"""URLs of the HNA area (mounted at orgs/<ods_code>/hna/)."""

from django.urls import path

from . import views

app_name = "hna"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("runs/new/", views.run_new, name="run_new"),
    path("trends/", views.trends, name="trends"),
    path("runs/<uuid:run_id>/", views.run_page, name="run"),
    path("runs/<uuid:run_id>/status/", views.run_status, name="run_status"),
    path("runs/<uuid:run_id>/drop-bad-rows/", views.run_drop, name="run_drop"),
    path("runs/<uuid:run_id>/retry/", views.run_retry, name="run_retry"),
    path("runs/<uuid:run_id>/discard/", views.run_discard, name="run_discard"),
    path("runs/<uuid:run_id>/delete/", views.run_delete, name="run_delete"),
    path("runs/<uuid:run_id>/report/", views.report, name="report"),
    path("runs/<uuid:run_id>/report.html", views.export_html, name="export_html"),
    path("runs/<uuid:run_id>/results.xlsx", views.export_xlsx, name="export_xlsx"),
    path("runs/<uuid:run_id>/files/<str:name>", views.export, name="export"),
    path("runs/<uuid:run_id>/pdf-builds/", views.pdf_build_new, name="pdf_build_new"),
    path("runs/<uuid:run_id>/pdf-builds/<uuid:build_id>/", views.pdf_build, name="pdf_build"),
    path(
        "runs/<uuid:run_id>/pdf-builds/<uuid:build_id>/status/",
        views.pdf_build_status,
        name="pdf_build_status",
    ),
    path(
        "runs/<uuid:run_id>/pdf-builds/<uuid:build_id>/download/",
        views.pdf_build_download,
        name="pdf_build_download",
    ),
    path("runs/<uuid:run_id>/add-to-plan/", views.add_to_plan, name="add_to_plan"),
    path(
        "runs/<uuid:run_id>/indicators/<str:indicator_id>/",
        views.indicator,
        name="indicator",
    ),
    path(
        "runs/<uuid:run_id>/indicators/<str:indicator_id>.csv",
        views.indicator_csv,
        name="indicator_csv",
    ),
]
