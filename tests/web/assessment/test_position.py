"""Tier and progress rules over a small hand-made pack (no database needed)."""

from __future__ import annotations

from gpequity.catalogue import Pack
from gpequity.web.assessment.selectors import Position


def action(key: str, tier: str, theme: str) -> dict:
    return {
        "key": key,
        "title": f"Action {key}",
        "tier": tier,
        "theme": theme,
        "summary": "First sentence here. Second sentence here.",
    }


PACK = Pack.model_validate(
    {
        "id": "tiny",
        "name": "Tiny",
        "publisher": "Tests",
        "version": "1",
        "attribution": "Test pack.",
        "tiers": [
            {"key": "t1", "name": "Tier 1"},
            {"key": "t2", "name": "Tier 2"},
            {"key": "t3", "name": "Tier 3"},
        ],
        "themes": [{"key": "a", "name": "Access"}, {"key": "b", "name": "Belonging"}],
        "actions": [
            action("a1", "t1", "a"),
            action("b1", "t1", "b"),
            action("a2", "t2", "a"),
            action("b2", "t2", "b"),
            action("b3", "t3", "b"),
        ],
    }
)


def test_tier_reached_needs_every_action_in_place_or_embedded():
    pos = Position(PACK, {"a1": "in_place", "b1": "in_progress"})
    assert not pos.tier_reached("t1")
    assert [a.key for a in pos.left_in("t1")] == ["b1"]
    pos = Position(PACK, {"a1": "in_place", "b1": "embedded"})
    assert pos.tier_reached("t1")
    assert pos.left_in("t1") == []


def test_reached_tier_is_cumulative_and_next_tier_is_first_gap():
    nothing = Position(PACK, {})
    assert nothing.reached_tier is None
    assert nothing.next_tier.key == "t1"
    # Tier 2 complete but tier 1 not: the practice has not reached tier 2 yet.
    skipped = Position(PACK, {"a2": "embedded", "b2": "in_place"})
    assert skipped.tier_reached("t2")
    assert skipped.reached_tier is None
    assert skipped.next_tier.key == "t1"
    two = Position(PACK, {k: "in_place" for k in ("a1", "b1", "a2", "b2")})
    assert two.reached_tier.key == "t2"
    assert two.next_tier.key == "t3"
    assert [a.key for a in two.left_in("t3")] == ["b3"]
    everything = Position(PACK, {a.key: "embedded" for a in PACK.actions})
    assert everything.reached_tier.key == "t3"
    assert everything.next_tier is None


def test_progress_counts_by_tier_and_theme():
    pos = Position(PACK, {"a1": "in_place", "b1": "planned", "a2": "embedded", "b3": "in_progress"})
    tiers = {r.key: r for r in pos.by_tier}
    assert (tiers["t1"].total, tiers["t1"].done, tiers["t1"].percent) == (2, 1, 50)
    assert tiers["t1"].counts == {
        "not_started": 0,
        "planned": 1,
        "in_progress": 0,
        "in_place": 1,
        "embedded": 0,
    }
    assert (tiers["t2"].done, tiers["t2"].counts["not_started"]) == (1, 1)
    assert (tiers["t3"].done, tiers["t3"].reached) == (0, False)
    themes = {r.key: r for r in pos.by_theme}
    assert (themes["a"].total, themes["a"].done, themes["a"].percent) == (2, 2, 100)
    assert themes["a"].reached
    assert (themes["b"].total, themes["b"].done, themes["b"].percent) == (3, 0, 0)
    assert (pos.overall.total, pos.overall.done, pos.overall.percent) == (5, 2, 40)


def test_percent_rounds_down_so_unfinished_never_shows_100():
    keys = [a.key for a in PACK.actions]
    pos = Position(PACK, {k: "in_place" for k in keys[:-1]})
    # 4 of 5 = 80%; the point is the floor, checked on a 199/200-like ratio below.
    assert pos.overall.percent == 80
    from gpequity.web.assessment.selectors import ProgressRow

    row = ProgressRow("x", "X", 200, {"in_place": 199})
    assert row.percent == 99 and not row.reached


def test_unknown_keys_in_statuses_are_ignored():
    pos = Position(PACK, {"gone": "in_place", "a1": "in_place", "b1": "in_place"})
    assert pos.overall.total == 5
    assert pos.reached_tier.key == "t1"
