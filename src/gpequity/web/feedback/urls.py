"""URLs of the practice's side of staff feedback (mounted at orgs/<ods_code>/feedback/)."""

from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("you-said-we-did/", views.you_said, name="you_said"),
    path("settings/", views.settings_page, name="settings"),
    path("address/", views.link, name="link"),
    path("address/replace/", views.link_replace, name="link_replace"),
    path("address/poster/", views.poster, name="poster"),
    path("<uuid:feedback_id>/", views.item, name="item"),
    path("<uuid:feedback_id>/reply/", views.reply, name="reply"),
    path("<uuid:feedback_id>/update/", views.update, name="update"),
]
