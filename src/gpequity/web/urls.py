"""Root URL configuration."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

from gpequity.web.api import api
from gpequity.web.core import views as core

urlpatterns = [
    path("", core.home, name="home"),
    path("about/", core.about, name="about"),
    path("accessibility/", core.accessibility, name="accessibility"),
    path("healthz", core.healthz, name="healthz"),
    path("sign-in/", auth_views.LoginView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("toolkit/", include("gpequity.web.catalogue.urls")),
    path("orgs/", include("gpequity.web.orgs.urls")),
    path("orgs/<str:ods_code>/assessment/", include("gpequity.web.assessment.urls")),
    path("orgs/<str:ods_code>/focus/", include("gpequity.web.focus.urls")),
    path("orgs/<str:ods_code>/plan/", include("gpequity.web.plans.urls")),
    path("orgs/<str:ods_code>/reports/", include("gpequity.web.reports.urls")),
    path("orgs/<str:ods_code>/feedback/", include("gpequity.web.feedback.urls")),
    path("staff-feedback/", include("gpequity.web.feedback.public_urls")),
    path("", include("gpequity.web.casestudies.urls")),
    path("orgs/<str:ods_code>/directory/", include("gpequity.web.directory.urls")),
    path("oruk/", include("gpequity.web.directory.oruk_urls")),
    path("orgs/<str:ods_code>/engagement/", include("gpequity.web.engagement.urls")),
    path("orgs/<str:ods_code>/hna/", include("gpequity.web.hna.urls")),
    path("orgs/<str:ods_code>/", include("gpequity.web.network.urls")),
    path("staff/", include("gpequity.web.staff.urls")),
    path("account/", include("gpequity.web.accounts.urls")),
    path("help/", include("gpequity.web.helpcentre.urls")),
    path("api/docs", core.api_docs, name="api_docs"),
    path("api/", api.urls),
    # NHS.UK frontend's CSS refers to its icons at /assets/images/...
    re_path(r"^assets/(?P<path>.*)$", serve, {"document_root": settings.NHSUK_DIST / "assets"}),
]
