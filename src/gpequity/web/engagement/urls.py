"""URLs of the engagement area (mounted at orgs/<ods_code>/engagement/)."""

from django.urls import path

from . import views

app_name = "engagement"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:activity_id>/", views.activity_detail, name="activity"),
    path("activities/<int:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:activity_id>/reach/new/", views.reach_new, name="reach_new"),
    path(
        "activities/<int:activity_id>/reach/<int:reach_id>/remove/",
        views.reach_remove,
        name="reach_remove",
    ),
    path("activities/<int:activity_id>/review/", views.activity_review, name="activity_review"),
    path("partners/", views.partners, name="partners"),
    path("insights/", views.insight_list, name="insights"),
    path("insights/new/", views.insight_new, name="insight_new"),
    path("insights/<int:insight_id>/", views.insight_detail, name="insight"),
    path("insights/<int:insight_id>/respond/", views.insight_respond, name="insight_respond"),
    path("insights/<int:insight_id>/close/", views.insight_close, name="insight_close"),
    path("evaluation/", views.evaluation_list, name="evaluations"),
    path("evaluation/new/", views.evaluation_new, name="evaluation_new"),
    path("evaluation/<int:plan_id>/", views.evaluation_detail, name="evaluation"),
    path("evaluation/<int:plan_id>/edit/", views.evaluation_edit, name="evaluation_edit"),
    path("evaluation/<int:plan_id>/indicators/new/", views.indicator_new, name="indicator_new"),
    path(
        "evaluation/<int:plan_id>/indicators/<int:indicator_id>/measurements/new/",
        views.measurement_new,
        name="measurement_new",
    ),
    path("activities.csv", views.activities_csv, name="activities_csv"),
    path("reach.csv", views.reach_csv, name="reach_csv"),
    path("you-said-we-did.csv", views.insights_csv, name="insights_csv"),
    path("engagement.xlsx", views.workbook, name="xlsx"),
    path("import/", views.import_json, name="import"),
    path("evidence/", views.evidence, name="evidence"),
]
