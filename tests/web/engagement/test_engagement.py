"""The engagement log through its services and pages, and the dashboard's figures against the
hand-counted fixtures (run on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from gpequity.web.audit.models import AuditEvent
from gpequity.web.engagement import presenters, services
from gpequity.web.engagement.models import Activity, Insight, ReachCount
from tests.engagement import fixtures as fx
from tests.factories import member
from tests.web.engagement.conftest import activity_data

pytestmark = pytest.mark.django_db

START = dt.date(2026, 4, 1)


def test_dashboard_figures_match_the_hand_counts(practice, counted):
    d = presenters.dashboard(practice, start=START, end=fx.ON, on=fx.ON)
    t = d["totals"]
    assert (t.activities, t.hours) == (6, D("21"))
    assert t.by_band == {"to": 1, "for": 2, "with": 3}
    assert d["with_share"] == "50%" and d["led_share"] == "33%"
    assert (t.evaluated, t.reviewed) == (2, 2)
    assert (d["loop"].eligible, d["loop"].closed_in_time, d["loop"].too_recent) == (5, 1, 2)
    assert d["loop_rate"] == "20%"
    reach = {(r["row"].grouping, r["row"].group): r["row"] for r in d["reach"]}
    focus = reach[("focus_group", "in")]
    assert (focus.reached, focus.target, focus.reached_where_targeted) == (27, 30, 22)
    assert reach[("core20", "Q1")].against_target == 0.6
    assert [(p.column, p.reached) for p in d["focus"].parts] == [
        ("imd_decile", 21),
        ("homeless", 8),
        ("asylum_seeker_or_refugee", 0),
    ]
    q1 = d["band_table"][0]
    assert q1["quarter"] == "2026/27 Q1" and q1["activities"] == 3 and q1["hours"] == "11"
    assert [c.activities for c in q1["cells"]] == [1, 1, 1]
    assert [r["insight"].theme for r in d["overdue"]] == ["Theme 4"]


def test_dashboard_page_shows_figures_charts_and_tables(practice, lead, counted, on_fixture_day):
    c = Client()
    c.force_login(lead)
    html = c.get(f"/orgs/{practice.ods_code}/engagement/?from=2026-04-01&to=2026-12-01").content
    html = html.decode()
    assert "50% of activities (3 of 6)" in html
    assert "20% (1 of 5 things people raised" in html
    assert html.count('class="app-chart"><svg') == 4  # activities, hours, levels, reach
    assert "Activities and hours by band and quarter" in html
    assert "22 of 30 (73%)" in html
    assert "Theme 4" in html and "Not reached" in html


def test_the_period_filter_narrows_the_dashboard(practice, lead, counted):
    d = presenters.dashboard(
        practice, start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30), on=fx.ON
    )
    assert d["totals"].activities == 2 and d["totals"].by_band == {"to": 0, "for": 1, "with": 1}


def test_band_comes_from_the_level_and_an_override_needs_a_reason(practice, lead):
    a = services.activity_create(actor=lead, organisation=practice, data=activity_data())
    assert a.band == "for" and not a.band_overridden
    with pytest.raises(ValidationError) as exc:
        services.activity_create(
            actor=lead, organisation=practice, data=activity_data(band_override="with")
        )
    assert "band_override_reason" in exc.value.message_dict
    b = services.activity_create(
        actor=lead,
        organisation=practice,
        data=activity_data(band_override="with", band_override_reason="They set the agenda"),
    )
    assert b.band == "with" and b.band_overridden
    assert Activity.objects.count() == 2
    assert AuditEvent.objects.filter(entity="engagement_activity", verb="created").count() == 2


def test_bad_values_name_the_field_and_change_nothing(practice, lead):
    for bad, field in (
        ({"methods": ["survey", "séance"]}, "methods"),
        ({"action_keys": ["nope_99"]}, "action_keys"),
        ({"end_date": dt.date(2020, 1, 1)}, "end_date"),
        ({"level": "shout"}, "level"),
        ({"indicator_ids": ["made_up"]}, "indicator_ids"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.activity_create(actor=lead, organisation=practice, data=activity_data(**bad))
        assert field in exc.value.message_dict, (bad, exc.value.message_dict)
    assert Activity.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_reach_is_counts_by_group_and_a_second_count_replaces_the_first(practice, lead):
    a = services.activity_create(actor=lead, organisation=practice, data=activity_data())
    services.reach_set(actor=lead, activity=a, grouping="language", group="Polish", count=4)
    services.reach_set(
        actor=lead, activity=a, grouping="language", group="Polish", count=6, target=10
    )
    row = ReachCount.objects.get()
    assert (row.count, row.target) == (6, 10)
    with pytest.raises(ValidationError) as exc:
        services.reach_set(actor=lead, activity=a, grouping="core20", group="Q3", count=1)
    assert "group" in exc.value.message_dict


def test_insight_response_loop_and_permissions(practice, lead):
    nurse = member(practice, "member")
    viewer = member(practice, "viewer")
    with pytest.raises(PermissionDenied):
        services.insight_create(actor=nurse, organisation=practice, theme="x", raised_on=fx.ON)
    i = services.insight_create(
        actor=lead,
        organisation=practice,
        theme="Phones busy at 8am",
        raised_on=fx.ON,
        owner=nurse,
        due_date=fx.ON + dt.timedelta(days=14),
    )
    with pytest.raises(ValidationError, match="Record the response before"):
        services.insight_close_loop(
            actor=lead, insight=i, loop_closed_on=fx.ON, loop_methods=["text"]
        )
    with pytest.raises(ValidationError) as exc:
        services.insight_respond(actor=nurse, insight=i, response="partly", responded_on=fx.ON)
    assert "response_reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.insight_respond(actor=viewer, insight=i, response="will_act", responded_on=fx.ON)
    i = services.insight_respond(
        actor=nurse,
        insight=i,
        response="will_act",
        responded_on=fx.ON,
        action_taken="Added two call handlers 8-9am",
        difference_made="Queue halved",
    )
    i = services.insight_close_loop(
        actor=nurse, insight=i, loop_closed_on=fx.ON, loop_methods=["text", "noticeboard"]
    )
    assert i.loop_methods == ["noticeboard", "text"]  # vocabulary order
    verbs = list(
        AuditEvent.objects.filter(entity="engagement_insight")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["created", "responded", "loop_closed"]


def test_every_page_opens_for_the_lead(practice, lead, counted):
    from gpequity.web.engagement.models import EvaluationPlan

    c = Client()
    c.force_login(lead)
    base = f"/orgs/{practice.ods_code}/engagement/"
    a = counted[1]
    i = Insight.objects.filter(organisation=practice).first()
    p = EvaluationPlan.objects.get()
    for path in (
        "",
        "activities/",
        "activities/new/",
        f"activities/{a.pk}/",
        f"activities/{a.pk}/edit/",
        f"activities/{a.pk}/reach/new/",
        f"activities/{a.pk}/review/",
        "partners/",
        "insights/",
        "insights/?show=overdue",
        "insights/?show=open",
        "insights/new/",
        f"insights/{i.pk}/",
        f"insights/{i.pk}/respond/",
        f"insights/{i.pk}/close/",
        "evaluation/",
        "evaluation/new/",
        f"evaluation/{p.pk}/",
        f"evaluation/{p.pk}/edit/",
        f"evaluation/{p.pk}/indicators/new/",
    ):
        response = c.get(base + path)
        assert response.status_code == 200, (path, response.status_code)


def test_activity_edit_keeps_typed_text_on_a_conflict(practice, lead):
    a = services.activity_create(actor=lead, organisation=practice, data=activity_data())
    c = Client()
    c.force_login(lead)
    url = f"/orgs/{practice.ods_code}/engagement/activities/{a.pk}/edit/"
    services.activity_update(
        actor=lead, activity=a, expected_version=1, data=activity_data(title="Changed elsewhere")
    )
    post = {
        "title": "My new title",
        "start_date": "2026-11-01",
        "level": "involve",
        "payment": "none",
        "version": "1",
        "hours": "3",
    }
    html = c.post(url, post).content.decode()
    assert "Someone else saved this" in html and 'value="My new title"' in html
    assert Activity.objects.get(pk=a.pk).title == "Changed elsewhere"
    assert c.post(url, {**post, "version": "2"}).status_code == 302
    assert Activity.objects.get(pk=a.pk).title == "My new title"


def test_overdue_insights_show_in_my_actions_and_the_due_list(
    practice, lead, counted, on_fixture_day
):
    c = Client()
    c.force_login(lead)
    mine = c.get(f"/orgs/{practice.ods_code}/plan/mine/").content.decode()
    due = c.get(f"/orgs/{practice.ods_code}/plan/due/").content.decode()
    assert "People are waiting for your response" in mine and "Theme 4" in mine
    assert "People are waiting for a response" in due and "Theme 4" in due
    other = member(practice, "member")
    c.force_login(other)
    assert "Theme 4" not in c.get(f"/orgs/{practice.ods_code}/plan/mine/").content.decode()
