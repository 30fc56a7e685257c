"""URLs of a person's account settings (mounted at /account/)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_settings, name="settings"),
    path("tokens/new/", views.token_new, name="token_new"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("reminders/", views.reminders, name="reminders"),
]
