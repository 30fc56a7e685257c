"""The case-study API: the open library holds published case studies only; an
organisation's own endpoints and the reviewers' endpoints follow the pages' rules."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gpequity.web.casestudies import services
from tests.factories import PracticeFactory, UserFactory, member
from tests.web.casestudies.factories import make

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_open_library_lists_published_only_and_filters(practice, lead):
    pub = make(practice, lead, "published", title="Open one", region="london")
    hidden = make(practice, lead, "in_review", title="Hidden one")
    services.review_note_add(actor=hidden.reviewer, case_study=hidden, text="internal remark")
    c = _client()
    data = c.get("/api/case-studies").json()
    assert [r["id"] for r in data] == [pub.pk]
    assert "notes" not in data[0] and "checklist" not in data[0]
    assert c.get("/api/case-studies?region=london").json()[0]["title"] == "Open one"
    assert c.get("/api/case-studies?region=south_west").json() == []
    assert c.get(f"/api/case-studies/{pub.pk}").json()["action_codes"] == ["ACC_01"]
    assert c.get(f"/api/case-studies/{hidden.pk}").status_code == 404
    assert "internal remark" not in c.get("/api/case-studies").content.decode()


def test_own_endpoints_need_the_organisation(practice, lead):
    draft = make(practice, lead, "draft", title="Our draft")
    outsider = member(PracticeFactory(), "equity_lead")
    assert _client(outsider).get(f"/api/orgs/{practice.ods_code}/case-studies").status_code == 404
    assert _client().get(f"/api/orgs/{practice.ods_code}/case-studies").status_code == 401
    own = _client(lead).get(f"/api/orgs/{practice.ods_code}/case-studies").json()
    assert [r["title"] for r in own] == ["Our draft"] and own[0]["can_submit"] is True
    viewer = member(practice, "viewer")
    url = f"/api/orgs/{practice.ods_code}/case-studies/{draft.pk}/submit"
    assert _client(viewer).post(url).status_code == 403
    response = _client(lead).post(url)
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert _client(lead).post(url).status_code == 422  # already sent


def test_review_endpoints_follow_the_same_rules(practice, lead):
    case = make(practice, lead, "submitted")
    reviewer = member(PracticeFactory(), "equity_lead")
    url = f"/api/case-studies/{case.pk}/review"

    def post(user, payload):
        return _client(user).post(url, json.dumps(payload), content_type="application/json")

    assert post(reviewer, {"action": "start_review"}).status_code == 404  # not a reviewer yet
    services.reviewer_grant(actor=UserFactory(is_staff=True), user=reviewer)
    assert post(lead, {"action": "start_review"}).status_code == 404
    queue = _client(reviewer).get("/api/case-studies/review-queue").json()
    assert [r["id"] for r in queue] == [case.pk]
    assert post(reviewer, {"action": "start_review"}).json()["state"] == "in_review"
    response = post(reviewer, {"action": "publish", "checks": ["baseline"]})
    assert response.status_code == 422 and "Tick every check" in response.json()["detail"]
    assert post(reviewer, {"action": "request_changes"}).status_code == 422
    response = post(reviewer, {"action": "request_changes", "note": "Add the cost."})
    assert response.json()["state"] == "changes_requested"
    own = _client(lead).get(f"/api/orgs/{practice.ods_code}/case-studies/{case.pk}").json()
    assert [n["text"] for n in own["notes"]] == ["Add the cost."]
    assert post(reviewer, {"action": "withdraw"}).status_code == 422
