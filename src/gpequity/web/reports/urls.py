"""URLs of the reports area (mounted at /orgs/<ods_code>/reports/)."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("equity-report/", views.report_page, name="report"),
    path("equity-report.pdf", views.report_pdf, name="pdf"),
    path("pdf-builds/", views.pdf_build_new, name="pdf_build_new"),
    path("pdf-builds/<uuid:build_id>/", views.pdf_build, name="pdf_build"),
    path("pdf-builds/<uuid:build_id>/status/", views.pdf_build_status, name="pdf_build_status"),
    path(
        "pdf-builds/<uuid:build_id>/download/",
        views.pdf_build_download,
        name="pdf_build_download",
    ),
    path("workbook.xlsx", views.workbook, name="xlsx"),
    path("assessment.csv", views.assessment_csv, name="assessment_csv"),
    path("plan.csv", views.plan_csv, name="plan_csv"),
    path("export.json", views.export_json, name="json"),
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/apply/", views.import_apply, name="import_apply"),
    path("import/cancel/", views.import_cancel, name="import_cancel"),
]
