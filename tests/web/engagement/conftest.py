"""Fixtures of the engagement web tests: the hand-counted fixtures of
tests/engagement/fixtures.py entered through the services, so the dashboard's figures can be
checked against the same hand counts on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from gpequity.web.engagement import services
from gpequity.web.engagement.models import Activity, Insight
from gpequity.web.focus import services as focus
from tests.engagement import fixtures as fx


def activity_data(**over) -> dict:
    data = {
        "title": "Coffee morning about booking",
        "start_date": fx.ON,
        "level": "consult",
        "hours": 2,
    }
    data.update(over)
    return data


@pytest.fixture
def counted(practice, lead):
    """The fixture activities, reach and insights of tests/engagement/fixtures.py."""
    ids = {}
    for f in fx.ACTIVITIES:
        override = (
            ""
            if f.band == {"inform": "to", "consult": "for", "involve": "for"}.get(f.level, "with")
            else f.band
        )
        a = services.activity_create(
            actor=lead,
            organisation=practice,
            data=activity_data(
                title=f"Activity {f.id}",
                start_date=f.start,
                level=f.level,
                band_override=override,
                band_override_reason="People chose the topics" if override else "",
                hours=f.hours,
                community_led=f.community_led,
            ),
        )
        ids[f.id] = a
        if f.reviewed:
            services.activity_review(
                actor=lead,
                activity=a,
                went_well="Good turnout",
                do_differently="",
                reviewed_on=f.start,
            )
    evaluated = [ids[f.id] for f in fx.ACTIVITIES if f.evaluated]
    services.evaluation_plan_create(
        actor=lead,
        organisation=practice,
        data={"title": "Co-produced work", "activities": evaluated},
    )
    for r in fx.REACH:
        services.reach_set(
            actor=lead,
            activity=ids[r.activity_id],
            grouping=r.grouping,
            group=r.group,
            count=r.count,
            target=r.target,
        )
    for f in fx.INSIGHTS:
        i = services.insight_create(
            actor=lead,
            organisation=practice,
            theme=f"Theme {f.id}",
            raised_on=f.raised_on,
            due_date=f.due_date,
            owner=lead,
        )
        if f.response:
            services.insight_respond(
                actor=lead,
                insight=i,
                response=f.response,
                responded_on=f.raised_on,
                response_reason="" if f.response == "will_act" else "Outside our contract",
            )
            if f.loop_closed_on:
                services.insight_close_loop(
                    actor=lead, insight=i, loop_closed_on=f.loop_closed_on, loop_methods=["meeting"]
                )
        elif f.loop_closed_on:
            # The fixture's insight 7: a loop closed without a response. The service refuses
            # that, so it is written directly to keep the hand count's edge case.
            Insight.objects.filter(pk=i.pk).update(loop_closed_on=f.loop_closed_on)
    focus.focus_group_save(
        actor=lead, organisation=practice, criteria=fx.FOCUS_CRITERIA, based_on=0
    )
    assert Activity.objects.filter(organisation=practice).count() == 6
    return ids


@pytest.fixture
def on_fixture_day(monkeypatch):
    """Pages see "today" as the hand counts' day (1 December 2026)."""
    from gpequity.web.engagement import selectors
    from gpequity.web.plans import selectors as plan_selectors

    monkeypatch.setattr(selectors, "today", lambda: fx.ON)
    monkeypatch.setattr(plan_selectors, "today", lambda: fx.ON)
