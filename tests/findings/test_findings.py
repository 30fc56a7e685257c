"""DATA.md "Findings: the largest gaps", on small tables worked by hand.

Each table is a few GroupCount rows turned into DATA.md ``indicators`` rows by the same
code a run uses (``hna.results.indicator_rows``, which sets ``compared_with_rest``); the
expected findings are worked out in the comments.
"""

from __future__ import annotations

import math

import pytest

from gpequity import stats
from gpequity.catalogue import load_pack
from gpequity.findings import MIN_GROUP_SIZE, find
from gpequity.hna.indicators import default_indicators
from gpequity.hna.results import GroupCount, IndicatorInfo, apply_disclosure, indicator_rows

SCREENED = IndicatorInfo("screened", "proportion", "Screened", higher_is_better=True)
MISSED = IndicatorInfo("missed", "proportion", "Missed", higher_is_better=False)
UNDIRECTED = IndicatorInfo("register", "proportion", "On a register", higher_is_better=None)
CONTINUITY = IndicatorInfo("continuity", "mean", "Continuity", higher_is_better=True)


def _rows(counts, info):
    return indicator_rows(counts, info)


def _key(f):
    return (f.indicator, f.grouping, f.group)


def test_lower_is_worse_when_higher_is_better():
    # Overall 700 of 1000. Q1: 52 of 100 (52%); the rest 648 of 900 (72%): lower, worse.
    # Q5: 648 of 900 against Q1's 52 of 100: higher, which is better, so no finding.
    # To match the rest Q1 needs 100 * 648 / 900 = 72 in the numerator: 72 - 52 = 20.
    counts = [
        GroupCount("screened", "overall", "all", 700, 1000),
        GroupCount("screened", "imd_quintile", "Q1", 52, 100),
        GroupCount("screened", "imd_quintile", "Q5", 648, 900),
    ]
    (f,) = find(_rows(counts, [SCREENED]), definitions=[SCREENED])
    assert _key(f) == ("screened", "imd_quintile", "Q1")
    assert (f.value, f.rest_value) == (0.52, 0.72)
    assert (f.numerator, f.denominator, f.rest_numerator, f.rest_denominator) == (52, 100, 648, 900)
    assert f.comparison == "lower" and f.group_is_worse
    assert f.difference == pytest.approx(-0.20)
    assert (f.difference_lower, f.difference_upper) == stats.newcombe_difference(52, 100, 648, 900)
    assert f.patients_to_act_on == 20


def test_higher_is_worse_when_lower_is_better():
    # Overall 100 of 1000 missed. Q1: 30 of 100 (30%), the rest 70 of 900 (7.8%): higher,
    # worse. Q5 is lower (better): no finding. Q1 matches the rest at 100 * 70 / 900 = 7.78,
    # so 30 - 7.78 = 22.2 would have to leave the numerator: 23, rounded up.
    counts = [
        GroupCount("missed", "overall", "all", 100, 1000),
        GroupCount("missed", "imd_quintile", "Q1", 30, 100),
        GroupCount("missed", "imd_quintile", "Q5", 70, 900),
    ]
    (f,) = find(_rows(counts, [MISSED]), definitions=[MISSED])
    assert _key(f) == ("missed", "imd_quintile", "Q1")
    assert f.comparison == "higher" and f.patients_to_act_on == 23
    assert f.sentence.startswith("Missed is higher in the most deprived fifth (Q1): 30.0% ")
    assert "about 23 fewer patients in this group counted by this indicator." in f.sentence


def test_an_indicator_without_a_direction_gives_no_findings():
    # The same gap as above on an indicator where neither way is better.
    counts = [
        GroupCount("register", "overall", "all", 700, 1000),
        GroupCount("register", "imd_quintile", "Q1", 52, 100),
        GroupCount("register", "imd_quintile", "Q5", 648, 900),
    ]
    rows = _rows(counts, [UNDIRECTED])
    assert {r["compared_with_rest"] for r in rows} == {"not_compared", "lower", "higher"}
    assert find(rows, definitions=[UNDIRECTED]) == []


def test_a_flag_pair_gives_one_finding_named_by_the_smaller_group():
    # homeless yes: 10 of 30 (33.3%); no: 690 of 970 (71.1%). "yes" is lower (worse), "no"
    # higher: one finding, named by "yes" (30 < 970). 30 * 690 / 970 = 21.34; 21.34 - 10
    # = 11.34, so 12 patients to act on.
    counts = [
        GroupCount("screened", "overall", "all", 700, 1000),
        GroupCount("screened", "homeless", "yes", 10, 30),
        GroupCount("screened", "homeless", "no", 690, 970),
    ]
    (f,) = find(_rows(counts, [SCREENED]), definitions=[SCREENED])
    assert _key(f) == ("screened", "homeless", "yes")
    assert (f.group_label, f.rest_label) == ("recorded as homeless", "not recorded as homeless")
    assert f.group_is_worse and f.patients_to_act_on == 12
    assert f.worse_group == "yes"
    assert f.sentence.startswith(
        "Screened is lower for patients recorded as homeless: 33.3% against 71.1% for "
        "patients not recorded as homeless, a gap of 37.8 points"
    )


def test_the_smaller_group_names_the_finding_even_when_the_larger_is_worse():
    # Focus in: 27 of 30 (90%); out: 400 of 970 (41.2%). "out" is lower (worse); the pair
    # gives one finding, named by "in" (30 < 970), which is the better side here. The worse
    # side is "out": 970 * 27 / 30 = 873 to match, 873 - 400 = 473 to act on.
    counts = [
        GroupCount("screened", "overall", "all", 427, 1000),
        GroupCount("screened", "focus_group", "in", 27, 30),
        GroupCount("screened", "focus_group", "out", 400, 970),
    ]
    (f,) = find(_rows(counts, [SCREENED]), definitions=[SCREENED])
    assert _key(f) == ("screened", "focus_group", "in")
    assert f.comparison == "higher" and not f.group_is_worse
    assert (f.worse_group, f.worse_group_label) == ("out", "not in the Focus group")
    assert (f.value, f.rest_value) == (0.9, 400 / 970)
    assert f.difference == pytest.approx(0.9 - 400 / 970)
    assert f.patients_to_act_on == 473
    assert f.sentence.startswith(
        "Screened is lower outside the Focus group: 41.2% against 90.0% in the Focus group, "
        "a gap of 48.8 points (95% CI "
    )
    assert "about 473 more patients in this group meeting this indicator." in f.sentence


def test_groups_under_twenty_give_no_finding():
    # sex other: 0 of 19 against 700 of 981: far lower, yet under the floor of 20.
    # With 0 of 20 it is a finding: 20 * 700 / 980 = 14.29, so 15 to act on.
    assert MIN_GROUP_SIZE == 20
    nineteen = [
        GroupCount("screened", "overall", "all", 700, 1000),
        GroupCount("screened", "sex", "other", 0, 19),
    ]
    rows = _rows(nineteen, [SCREENED])
    assert rows[1]["compared_with_rest"] == "lower"
    assert find(rows, definitions=[SCREENED]) == []
    twenty = [
        GroupCount("screened", "overall", "all", 700, 1000),
        GroupCount("screened", "sex", "other", 0, 20),
    ]
    (f,) = find(_rows(twenty, [SCREENED]), definitions=[SCREENED])
    assert f.group == "other" and f.patients_to_act_on == 15


def test_a_pair_whose_smaller_group_is_under_twenty_gives_no_finding():
    # homeless no: 689 of 989, significantly lower than yes: 11 of 11. The pair is named by
    # "yes", 11 people: under the floor, so no finding though "no" is nearly everyone.
    counts = [
        GroupCount("screened", "overall", "all", 700, 1000),
        GroupCount("screened", "homeless", "no", 689, 989),
        GroupCount("screened", "homeless", "yes", 11, 11),
    ]
    rows = _rows(counts, [SCREENED])
    assert next(r for r in rows if r["group"] == "no")["compared_with_rest"] == "lower"
    assert find(rows, definitions=[SCREENED]) == []


def test_ranked_by_patients_to_act_on_then_by_the_gap():
    # Overall 700 of 1000, three groups in different groupings, each against its own rest:
    #   male:  240 of 400 (60%) vs 460 of 600 (76.7%): 400 * 460 / 600 = 306.67 -> 67
    #   Q1:     52 of 100 (52%) vs 648 of 900 (72%):   100 * 0.72 = 72, 72 - 52   =  20
    #   18-39: 124 of 200 (62%) vs 576 of 800 (72%):   200 * 0.72 = 144, 144 - 124 =  20
    # Q1 and 18-39 tie on 20; Q1's gap (20 points) is larger than 18-39's (10 points).
    counts = [
        GroupCount("screened", "overall", "all", 700, 1000),
        GroupCount("screened", "imd_quintile", "Q1", 52, 100),
        GroupCount("screened", "age_band", "18-39", 124, 200),
        GroupCount("screened", "sex", "male", 240, 400),
    ]
    found = find(_rows(counts, [SCREENED]), definitions=[SCREENED])
    assert [(f.group, f.patients_to_act_on) for f in found] == [
        ("male", 67),
        ("Q1", 20),
        ("18-39", 20),
    ]
    assert [round(f.gap, 4) for f in found] == [round(460 / 600 - 0.6, 4), 0.2, 0.1]
    assert [f.group for f in find(_rows(counts, [SCREENED]), definitions=[SCREENED], limit=2)] == [
        "male",
        "Q1",
    ]


def test_a_mean_gap_times_the_group_size():
    # Continuity (a mean): overall 300 patients, sum 180 (0.6). Q1: 100 patients, sum 40
    # (0.4), sd 0.2 so sum of squares 99 * 0.04 + 100 * 0.16 = 19.96. The rest: 200
    # patients, sum 140 (0.7), sd 0.2: 199 * 0.04 + 200 * 0.49 = 105.96. Total 125.92.
    # Patients to act on: the gap 0.3 times the 100 in Q1 = 30.
    counts = [
        GroupCount("continuity", "overall", "all", 180.0, 300, sum_sq=125.92),
        GroupCount("continuity", "imd_quintile", "Q1", 40.0, 100, sum_sq=19.96),
    ]
    (f,) = find(_rows(counts, [CONTINUITY]), definitions=[CONTINUITY])
    assert f.value == pytest.approx(0.4) and f.rest_value == pytest.approx(0.7)
    assert f.patients_to_act_on == 30
    # The interval is Welch's on the group and the rest, as the engine compared them.
    expected = stats.welch_difference_from_sums(100, 40.0, 19.96, 200, 140.0, 105.96)
    assert f.difference_lower == pytest.approx(expected[0], abs=1e-9)
    assert f.difference_upper == pytest.approx(expected[1], abs=1e-9)
    lo, hi = -expected[1], -expected[0]
    assert f.sentence == (
        "Continuity is lower in the most deprived fifth (Q1): 0.400 against 0.700 for "
        f"everyone else, a gap of 0.300 (95% CI {lo:.3f} to {hi:.3f}). Closing it means "
        "raising the average by 0.300 across the 100 patients in this group, about 30 in all."
    )


def test_the_sentence_says_it_all_in_plain_english():
    # Bowel screening (a default indicator): Q1 52 of 100 against 648 of 900, as in the
    # first test. Newcombe's interval of 0.52 - 0.72 is -0.3009 to -0.1000 (tests/stats
    # check that method against published values): a gap of 20.0 points, 10.0 to 30.1.
    bowel = next(d for d in default_indicators() if d.id == "bowel_screening")
    counts = [
        GroupCount("bowel_screening", "overall", "all", 700, 1000),
        GroupCount("bowel_screening", "imd_quintile", "Q1", 52, 100),
    ]
    (f,) = find(_rows(counts, [bowel]), definitions=[bowel])
    assert f.sentence == (
        "Bowel screening up to date is lower in the most deprived fifth (Q1): 52.0% against "
        "72.0% for everyone else, a gap of 20.0 points (95% CI 10.0 to 30.1). Closing it "
        "means about 20 more patients in this group meeting this indicator."
    )
    assert (f.indicator_title, f.grouping_label, f.group_label, f.rest_label) == (
        "Bowel screening up to date",
        "Deprivation (IMD fifth)",
        "most deprived fifth (Q1)",
        "everyone else",
    )
    assert f.unit == "patients" and f.kind == "proportion" and f.higher_is_better


def test_recommended_actions_come_from_the_pack_cross_walk_in_tier_order():
    bowel = next(d for d in default_indicators() if d.id == "bowel_screening")
    counts = [
        GroupCount("bowel_screening", "overall", "all", 700, 1000),
        GroupCount("bowel_screening", "imd_quintile", "Q1", 52, 100),
    ]
    (f,) = find(_rows(counts, [bowel]), definitions=[bowel])
    # The shipped pack tags bowel_screening on CARE_01, CARE_06, MIN_02 (tier 2), MIN_09
    # (Achieving) and CARE_16 (Leading).
    assert [(a.code, a.tier_name) for a in f.actions] == [
        ("CARE_01", "Tier 2"),
        ("CARE_06", "Tier 2"),
        ("MIN_02", "Tier 2"),
        ("MIN_09", "Achieving"),
        ("CARE_16", "Leading"),
    ]
    pack = load_pack()
    for a in f.actions:
        assert (
            pack.action(a.key).title == a.title
            and "bowel_screening" in pack.action(a.key).indicators
        )
    other = find(_rows(counts, [bowel]), definitions=[bowel], pack="nhse-inclusion-health")
    assert all("bowel_screening" in load_pack("nhse-inclusion-health").action(a.key).indicators
               for a in other[0].actions)  # fmt: skip
    assert f.to_dict()["actions"][0]["code"] == "CARE_01"


def test_gaps_true_by_definition_and_deciles_are_not_findings():
    # Ethnicity recorded by ethnic group: "Not recorded" is 0% by definition; left out.
    # Deciles repeat the fifths (they are for the gradient): decile 1 gives no finding,
    # Q1 does.
    eth = next(d for d in default_indicators() if d.id == "ethnicity_recorded")
    counts = [
        GroupCount("ethnicity_recorded", "overall", "all", 700, 1000),
        GroupCount("ethnicity_recorded", "ethnic_group", "Not recorded", 0, 300),
        GroupCount("ethnicity_recorded", "imd_decile", "1", 20, 50),
        GroupCount("ethnicity_recorded", "imd_quintile", "Q1", 52, 100),
    ]
    rows = _rows(counts, [eth])
    assert {r["group"]: r["compared_with_rest"] for r in rows}["Not recorded"] == "lower"
    assert [_key(f) for f in find(rows, definitions=[eth])] == [
        ("ethnicity_recorded", "imd_quintile", "Q1")
    ]


def test_suppressed_rows_give_no_finding():
    counts = [
        GroupCount("screened", "overall", "all", 700, 1000),
        GroupCount("screened", "sex", "other", 2, 25),
        GroupCount("screened", "sex", "male", 300, 475),
        GroupCount("screened", "sex", "female", 398, 500),
    ]
    # male: 300 of 475 against 400 of 525: 475 * 400 / 525 = 361.9, so 62 to act on.
    # other: 2 of 25 against 698 of 975: 25 * 698 / 975 = 17.9, so 16.
    exact = _rows(counts, [SCREENED])
    assert [f.group for f in find(exact, definitions=[SCREENED])] == ["male", "other"]
    shared, _ = apply_disclosure(exact, [], mean_indicators=set())
    # "other" has 2 in its numerator, and male goes too, so that it cannot be worked out.
    assert [r["group"] for r in shared if r["suppressed"]] == ["male", "other"]
    assert find(shared, definitions=[SCREENED]) == []


def test_patients_to_act_on_is_worked_out_exactly():
    # Group 0 of 41 against a rest of 126 of 738: 41 * 126 / 738 = 7 exactly, which
    # floating point makes 7.000000000000001 (rounded up: 8). Worked out exactly: 7.
    counts = [
        GroupCount("screened", "overall", "all", 126, 779),
        GroupCount("screened", "sex", "other", 0, 41),
    ]
    assert (126 / 738) * 41 > 7
    (f,) = find(_rows(counts, [SCREENED]), definitions=[SCREENED])
    assert f.patients_to_act_on == 7
    assert not math.isnan(f.difference_lower)
