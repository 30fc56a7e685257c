"""Batching, week truncation and the group-of-five rule for coarse roles (ADR 22)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.feedback import ReleaseRule, due_for_release, keep_roles, shuffled, week_of

MON = dt.date(2026, 11, 2)


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (dt.date(2026, 11, 2), MON),
        (dt.date(2026, 11, 8), MON),
        (dt.date(2026, 11, 9), dt.date(2026, 11, 9)),
        (dt.datetime(2026, 11, 5, 23, 59, 59, tzinfo=dt.UTC), MON),
    ],
)
def test_week_of_keeps_only_the_monday(day, monday):
    assert week_of(day) == monday


# On a shared, loaded machine drawing inputs can be slow; the property is what matters.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RELAXED
@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_week_of_is_a_monday_within_the_week(day):
    w = week_of(day)
    assert w.weekday() == 0 and 0 <= (day - w).days < 7


def test_nothing_goes_out_before_k():
    rule = ReleaseRule()
    assert not due_for_release([MON], today=MON, rule=rule)
    assert not due_for_release([MON, MON], today=MON, rule=rule)
    assert due_for_release([MON, MON, MON], today=MON, rule=rule)


def test_a_larger_k_waits_longer():
    rule = ReleaseRule(min_batch=5)
    assert not due_for_release([MON] * 4, today=MON, rule=rule)
    assert due_for_release([MON] * 5, today=MON, rule=rule)


def test_after_the_longest_wait_two_go_out_together_but_one_never_alone():
    rule = ReleaseRule(max_wait_days=28)
    later = MON + dt.timedelta(days=28)
    assert not due_for_release([MON, MON], today=later - dt.timedelta(days=1), rule=rule)
    assert due_for_release([MON, MON + dt.timedelta(days=21)], today=later, rule=rule)
    assert not due_for_release([MON], today=later + dt.timedelta(days=365), rule=rule)


def test_k_below_three_is_refused():
    with pytest.raises(ValueError, match="at least 3"):
        ReleaseRule(min_batch=2)


def test_roles_kept_only_when_every_group_has_five():
    assert keep_roles(["clinical"] * 5)
    assert keep_roles(["clinical"] * 5 + ["admin"] * 6)
    assert not keep_roles(["clinical"] * 5 + ["admin"])
    # "not given" is a group too: its complement would otherwise show
    assert not keep_roles(["clinical"] * 5 + [""])
    assert keep_roles(["clinical"] * 5 + [""] * 5)
    assert not keep_roles([""] * 7)
    assert not keep_roles([])


@RELAXED
@given(st.lists(st.sampled_from(["clinical", "admin", "other", ""]), max_size=30))
def test_a_kept_batch_has_no_group_smaller_than_five(roles):
    if keep_roles(roles):
        assert min(Counter(roles).values()) >= 5


def test_shuffled_keeps_every_item():
    items = list(range(50))
    out = shuffled(items)
    assert sorted(out) == items
    # 50! orders: the chance that 20 shuffles all leave the order alone is nil
    assert any(shuffled(items) != items for _ in range(20))
