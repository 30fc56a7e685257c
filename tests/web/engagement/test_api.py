"""The engagement API: the same rules as the pages, the same figures as the dashboard."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gpequity.web.engagement.models import Activity, Insight
from tests.engagement import fixtures as fx
from tests.factories import member

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_dashboard_figures_over_the_api_match_the_hand_counts(
    practice, lead, counted, on_fixture_day
):
    c = _client(lead)
    r = c.get(f"/api/orgs/{practice.ods_code}/engagement/dashboard?start=2026-04-01&end=2026-12-01")
    d = r.json()
    assert d["activities"] == 6 and d["by_band"] == {"to": 1, "for": 2, "with": 3}
    assert d["loop_closure"]["eligible"] == 5 and d["loop_closure"]["closed_in_time"] == 1
    focus = next(x for x in d["reach"] if x["grouping"] == "focus_group")
    assert (focus["reached"], focus["target"], focus["reached_where_targeted"]) == (27, 30, 22)
    acts = c.get(f"/api/orgs/{practice.ods_code}/engagement/activities").json()
    assert len(acts) == 6 and {a["band"] for a in acts} == {"to", "for", "with"}
    reach = c.get(f"/api/orgs/{practice.ods_code}/engagement/reach").json()
    assert sum(x["count"] for x in reach) == sum(r.count for r in fx.REACH)
    plans = c.get(f"/api/orgs/{practice.ods_code}/engagement/evaluation-plans").json()
    assert len(plans[0]["activities"]) == 2


def test_activity_insight_response_and_loop_through_the_api(practice, lead):
    c = _client(lead)
    base = f"/api/orgs/{practice.ods_code}/engagement/"

    def post(path, data):
        return c.post(base + path, json.dumps(data), content_type="application/json")

    r = post("activities", {"title": "Stall", "start_date": "2026-08-01", "level": "shout"})
    assert r.status_code == 422 and "level" in r.json()["detail"]
    assert Activity.objects.count() == 0
    r = post(
        "activities",
        {
            "title": "Stall",
            "start_date": "2026-08-01",
            "level": "collaborate",
            "methods": ["event"],
            "hours": "2.5",
        },
    )
    assert r.status_code == 201 and r.json()["band"] == "with"
    aid = r.json()["id"]
    r = post(f"activities/{aid}/reach", {"grouping": "language", "group": "Urdu", "count": 7})
    assert r.status_code == 200 and r.json()["label"] == "Urdu"
    r = post(
        "insights",
        {
            "theme": "More evening clinics",
            "raised_on": "2026-08-01",
            "activity": aid,
            "owner": "lead",
            "due_date": "2026-09-01",
        },
    )
    assert r.status_code == 201
    iid = r.json()["id"]
    r = post(f"insights/{iid}/loop", {"loop_closed_on": "2026-08-20", "loop_methods": ["text"]})
    assert r.status_code == 422 and "response" in r.json()["detail"]
    r = post(
        f"insights/{iid}/response",
        {
            "response": "will_act",
            "responded_on": "2026-08-10",
            "action_taken": "Tuesday evening clinic",
        },
    )
    assert r.status_code == 200
    r = post(f"insights/{iid}/loop", {"loop_closed_on": "2026-08-20", "loop_methods": ["text"]})
    assert r.status_code == 200 and r.json()["loop_closed_on"] == "2026-08-20"
    assert Insight.objects.get().loop_methods == ["text"]


def test_a_member_can_answer_only_insights_they_own(practice, lead):
    nurse = member(practice, "member")
    c = _client(lead)
    base = f"/api/orgs/{practice.ods_code}/engagement/insights"
    mine = c.post(
        base,
        json.dumps({"theme": "A", "raised_on": "2026-08-01", "owner": nurse.username}),
        content_type="application/json",
    ).json()["id"]
    theirs = c.post(
        base, json.dumps({"theme": "B", "raised_on": "2026-08-01"}), content_type="application/json"
    ).json()["id"]
    n = _client(nurse)
    body = json.dumps({"response": "will_act", "responded_on": "2026-08-02"})
    assert (
        n.post(f"{base}/{mine}/response", body, content_type="application/json").status_code == 200
    )
    assert (
        n.post(f"{base}/{theirs}/response", body, content_type="application/json").status_code
        == 403
    )
    assert (
        n.post(
            base,
            json.dumps({"theme": "C", "raised_on": "2026-08-01"}),
            content_type="application/json",
        ).status_code
        == 403
    )


def test_evaluation_plan_indicator_and_measurement_through_the_api(practice, lead):
    c = _client(lead)
    base = f"/api/orgs/{practice.ods_code}/engagement/evaluation-plans"

    def post(path, data):
        return c.post(base + path, json.dumps(data), content_type="application/json")

    r = post("", {"title": "Walks", "logic_model": {"impacts": "x"}})
    assert r.status_code == 422 and "impacts" in r.json()["detail"]
    r = post(
        "",
        {
            "title": "Walks",
            "logic_model": {"activities": "Weekly walks", "impact": "Fitter"},
            "community_involved": True,
        },
    )
    assert r.status_code == 201
    plan = r.json()
    assert plan["logic_model"]["activities"] == "Weekly walks"
    r = post(
        f"/{plan['id']}/indicators",
        {"name": "Blood pressure", "kind": "outcome", "source": "hna", "hna_indicator": "made_up"},
    )
    assert r.status_code == 422 and "hna_indicator" in r.json()["detail"]
    r = post(
        f"/{plan['id']}/indicators",
        {"name": "Walkers", "kind": "process", "source": "count", "target": "20", "unit": "people"},
    )
    ind = r.json()["indicators"][0]
    r = post(
        f"/{plan['id']}/indicators/{ind['id']}/measurements",
        {"measured_on": "2026-11-01", "value": "14.5"},
    )
    assert r.status_code == 201
    assert r.json()["indicators"][0]["measurements"] == [
        {"measured_on": "2026-11-01", "value": 14.5, "note": ""}
    ]
