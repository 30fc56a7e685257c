"""The engagement figures against the hand-counted fixtures (tests/engagement/fixtures.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from gpequity import engagement as eg
from tests.engagement.fixtures import ACTIVITIES, FOCUS_CRITERIA, INSIGHTS, ON, REACH


def test_band_is_derived_from_the_level_and_can_be_overridden():
    assert [eg.band_for(level) for level in eg.LEVELS] == ["to", "for", "for", "with", "with"]
    assert eg.band_for("inform", "with") == "with"
    with pytest.raises(eg.EngagementError, match="level: 'shout'"):
        eg.band_for("shout")
    with pytest.raises(eg.EngagementError, match="band: 'by'"):
        eg.band_for("consult", "by")


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2026, 4, 1), "2026/27 Q1"),
        (dt.date(2026, 6, 30), "2026/27 Q1"),
        (dt.date(2026, 7, 1), "2026/27 Q2"),
        (dt.date(2026, 12, 31), "2026/27 Q3"),
        (dt.date(2027, 1, 1), "2026/27 Q4"),
        (dt.date(2027, 3, 31), "2026/27 Q4"),
        (dt.date(2099, 4, 1), "2099/00 Q1"),
    ],
)
def test_financial_quarters(day, label):
    assert eg.quarter_of(day) == label


def test_quarters_between_fills_quiet_quarters():
    assert eg.quarters_between(dt.date(2026, 2, 1), dt.date(2026, 11, 30)) == [
        "2025/26 Q4",
        "2026/27 Q1",
        "2026/27 Q2",
        "2026/27 Q3",
    ]


def test_band_shares_by_quarter():
    rows = {(r.quarter, r.key): r for r in eg.by_quarter(ACTIVITIES)}
    assert len(rows) == 9  # 3 quarters x 3 bands
    q1_to = rows[("2026/27 Q1", "to")]
    assert (q1_to.activities, q1_to.hours) == (1, D("2"))
    assert q1_to.activity_share == pytest.approx(1 / 3)
    assert q1_to.hours_share == pytest.approx(2 / 11)
    assert rows[("2026/27 Q1", "with")].hours_share == pytest.approx(6 / 11)
    q2 = [rows[("2026/27 Q2", b)] for b in ("to", "for", "with")]
    assert [r.activities for r in q2] == [0, 1, 1]
    assert [r.hours for r in q2] == [D(0), D(4), D(5)]
    assert q2[0].activity_share == 0
    assert rows[("2026/27 Q3", "with")].activity_share == 1


def test_levels_by_quarter():
    rows = {(r.quarter, r.key): r.activities for r in eg.by_quarter(ACTIVITIES, by="level")}
    assert len(rows) == 15
    assert rows[("2026/27 Q1", "co_produce")] == 1
    assert rows[("2026/27 Q3", "inform")] == 1  # the overridden activity keeps its level
    assert sum(rows.values()) == 6


def test_totals():
    t = eg.totals(ACTIVITIES)
    assert (t.activities, t.hours) == (6, D("21"))
    assert t.by_band == {"to": 1, "for": 2, "with": 3}
    assert t.hours_by_band == {"to": D(2), "for": D(7), "with": D(12)}
    assert t.with_share == 0.5
    assert t.community_led == 2 and t.community_led_share == pytest.approx(1 / 3)
    assert (t.evaluated, t.reviewed) == (2, 2)
    assert t.evaluated_share == pytest.approx(1 / 3)


def test_no_activities_gives_no_shares_rather_than_zero():
    t = eg.totals([])
    assert t.with_share is None and t.community_led_share is None
    assert eg.by_quarter([]) == []
    assert eg.loop_closure([], on=ON).rate is None


def test_loop_closure():
    lc = eg.loop_closure(INSIGHTS, on=ON, weeks=8)
    assert (lc.eligible, lc.closed_in_time, lc.too_recent, lc.closed_total) == (5, 1, 2, 4)
    assert lc.rate == pytest.approx(0.2)
    # With 12 weeks, insight 2 (75 days) still misses, 84-day window starts 8 Sep:
    # judged are 1, 2, 3, 7 (4); closed in time 1 and 2 (75 <= 84) -> 2 of 4.
    lc12 = eg.loop_closure(INSIGHTS, on=ON, weeks=12)
    assert (lc12.eligible, lc12.closed_in_time) == (4, 2)


def test_overdue_insights():
    assert [i.id for i in eg.overdue(INSIGHTS, ON)] == [4]
    assert [i.id for i in eg.overdue(INSIGHTS, dt.date(2026, 12, 16))] == [4, 6]


def test_reach_against_targets():
    rows = eg.reach(REACH)
    assert [(r.grouping, r.group) for r in rows] == [
        ("focus_group", "in"),
        ("core20", "Q1"),
        ("inclusion_health", "homeless"),
        ("language", "Polish"),
    ]
    focus, core20, homeless, polish = rows
    assert (focus.reached, focus.activities, focus.target, focus.reached_where_targeted) == (
        27,
        3,
        30,
        22,
    )
    assert focus.against_target == pytest.approx(22 / 30)
    assert (core20.reached, core20.target, core20.against_target) == (21, 10, 0.6)
    assert homeless.against_target == pytest.approx(8 / 6)
    assert (polish.reached, polish.target, polish.against_target) == (4, None, None)


def test_reach_against_the_focus_group():
    fr = eg.focus_reach(REACH, criteria=FOCUS_CRITERIA, activity_ids=range(1, 7))
    assert (fr.reached_in_focus, fr.activities_reaching_focus, fr.activities) == (27, 3, 6)
    assert [(p.column, p.reached, p.activities) for p in fr.parts] == [
        ("imd_decile", 21, 2),
        ("homeless", 8, 1),
        ("asylum_seeker_or_refugee", 0, 0),
    ]


def test_choices_and_groups_are_checked_with_the_field_named():
    assert eg.check_choices("stages", ["deliver", "plan"], eg.STAGES) == ["plan", "deliver"]
    with pytest.raises(eg.EngagementError, match="methods: 'séance'"):
        eg.check_choices("methods", ["survey", "séance"], eg.METHODS)
    assert eg.check_group("language", " Polish ") == "Polish"
    with pytest.raises(eg.EngagementError, match="group: 'Q2'"):
        eg.check_group("core20", "Q2")
    with pytest.raises(eg.EngagementError, match="grouping: 'name'"):
        eg.check_group("name", "x")


@pytest.mark.parametrize(
    "text", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx", "'=x", "'", "'hi", "plain", ""]
)
def test_spreadsheet_escaping_round_trips(text):
    escaped = eg.escape_cell(text)
    assert not str(escaped).startswith(eg.FORMULA_LEADS)
    assert eg.unescape_cell(escaped) == text
