"""URLs of the case-study area: the public library at /case-studies/ and each
organisation's own case studies at /orgs/<ods_code>/case-studies/."""

from django.urls import path

from . import views

app_name = "casestudies"
org = "orgs/<str:ods_code>/case-studies/"
urlpatterns = [
    path("case-studies/", views.library, name="library"),
    path("case-studies/export.json", views.export_json, name="export_json"),
    path("case-studies/export.csv", views.export_csv, name="export_csv"),
    path("case-studies/review/", views.queue, name="queue"),
    path("case-studies/review/<int:case_id>/", views.review, name="review"),
    path("case-studies/reviewers/", views.reviewers, name="reviewers"),
    path("case-studies/<int:case_id>/", views.detail, name="detail"),
    path("case-studies/<int:case_id>/print/", views.print_page, name="print"),
    path("case-studies/<int:case_id>/case-study.pdf", views.pdf, name="pdf"),
    path(org, views.org_list, name="org_list"),
    path(org + "new/", views.new, name="new"),
    path(org + "from-plan/<int:item_id>/", views.from_plan, name="from_plan"),
    path(org + "<int:case_id>/", views.own, name="own"),
    path(org + "<int:case_id>/edit/", views.edit, name="edit"),
    path(org + "<int:case_id>/transition/", views.transition, name="transition"),
    path(org + "<int:case_id>/notes/", views.note, name="note"),
]
