"""The web shell: pages render, security headers are set, sign-in works."""

from __future__ import annotations

import pytest

from tests.factories import PracticeFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_home_renders_with_nhsuk_layout(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="nhsuk-skip-link"' in html
    assert 'class="nhsuk-header"' in html
    assert 'class="nhsuk-footer"' in html
    assert "/static/nhsuk/nhsuk-frontend.min.css" in html


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_and_nhs_assets_are_served(client):
    assert client.get("/static/nhsuk/nhsuk-frontend.min.css").status_code == 200
    assert client.get("/assets/images/nhsuk-icon-search.svg").status_code == 200
    assert client.get("/static/gpequity/app.css").status_code == 200
    assert client.get("/static/gpequity/init.js").status_code == 200


def test_sign_in_and_out(client):
    UserFactory(username="alice")
    response = client.post("/sign-in/", {"username": "alice", "password": "password"})
    assert response.status_code == 302
    assert client.get("/orgs/").status_code == 200
    client.post("/sign-out/")
    assert client.get("/orgs/").status_code == 302


def test_wrong_password_is_refused_with_message(client):
    UserFactory(username="alice")
    response = client.post("/sign-in/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_my_organisations_lists_only_mine(client):
    mine, other = PracticeFactory(name="Mine Surgery"), PracticeFactory(name="Other Surgery")
    user = member(mine, "member")
    client.force_login(user)
    html = client.get("/orgs/").content.decode()
    assert "Mine Surgery" in html and "Other Surgery" not in html
    assert client.get(f"/orgs/{other.ods_code}/members/").status_code == 404
