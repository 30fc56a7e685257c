"""URLs of the directory (mounted at orgs/<ods_code>/directory/)."""

from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("services/new/", views.service_new, name="service_new"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/checked/", views.service_checked, name="service_checked"),
    path("services/<int:pk>/print/", views.service_print, name="service_print"),
    path("services/<int:pk>/report/", views.problem_new, name="problem_new"),
    path("services/<int:pk>/shortlist/", views.shortlist_toggle, name="shortlist_toggle"),
    path("shortlist/", views.shortlist, name="shortlist"),
    path("problems/", views.problems, name="problems"),
    path("problems/<int:report_id>/close/", views.problem_close, name="problem_close"),
    path("import/", views.import_upload, name="import"),
    path("import/apply/", views.import_apply, name="import_apply"),
    path("export.json", views.export_json, name="export_json"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]
