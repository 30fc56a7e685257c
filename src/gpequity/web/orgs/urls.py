"""Organisation pages. The practice dashboard itself is the assessment area's view."""

from django.urls import path

from gpequity.web.assessment import views as assessment_views

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.org_list, name="list"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("<str:ods_code>/", assessment_views.dashboard, name="dashboard"),
    path("<str:ods_code>/members/", views.members, name="members"),
    path("<str:ods_code>/members/invite/", views.invite, name="invite"),
    path(
        "<str:ods_code>/members/<int:membership_id>/remove/",
        views.remove_member,
        name="remove_member",
    ),
]
