"""The words every output uses for groupings, groups and values."""

from __future__ import annotations

import math

import pytest

from gpequity.findings import (
    format_difference,
    format_value,
    group_label,
    group_phrase,
    grouping_label,
    rest_label,
    rest_phrase,
)
from gpequity.hna.columns import GROUPINGS


@pytest.mark.parametrize(
    ("grouping", "group", "label"),
    [
        ("overall", "all", "everyone"),
        ("imd_quintile", "Q1", "most deprived fifth (Q1)"),
        ("imd_quintile", "Q5", "least deprived fifth (Q5)"),
        ("imd_quintile", "unknown", "deprivation not known"),
        ("imd_decile", "1", "most deprived tenth (decile 1)"),
        ("imd_decile", "4", "decile 4"),
        ("age_band", "65-79", "aged 65-79"),
        ("age_band", "80+", "aged 80 and over"),
        ("ethnic_group", "Asian", "Asian or Asian British"),
        ("ethnic_group", "Not recorded", "ethnicity not recorded"),
        ("sex", "female", "female"),
        ("homeless", "yes", "recorded as homeless"),
        ("homeless", "no", "not recorded as homeless"),
        ("interpreter_needed", "yes", "needing an interpreter"),
        ("focus_group", "in", "in the Focus group"),
        ("focus_group", "out", "not in the Focus group"),
    ],
)
def test_group_labels_people_read(grouping, group, label):
    assert group_label(grouping, group) == label


def test_every_grouping_has_a_heading_and_the_rest_is_named():
    assert grouping_label("imd_quintile") == "Deprivation (IMD fifth)"
    assert all(grouping_label(g) and "_" not in grouping_label(g) for g in GROUPINGS)
    assert grouping_label("my_own_column") == "My own column"
    assert rest_label("imd_quintile", "Q1") == "everyone else"
    assert rest_label("focus_group", "in") == "not in the Focus group"
    assert rest_label("homeless", "no") == "recorded as homeless"
    assert group_phrase("age_band", "65-79") == "for patients aged 65-79"
    assert group_phrase("ethnic_group", "Black") == "for Black or Black British patients"
    assert (
        group_phrase("ethnic_group", "Mixed") == "for patients of Mixed or multiple ethnic groups"
    )
    assert group_phrase("sex", "male") == "for male patients"
    assert group_phrase("homeless", "yes") == "for patients recorded as homeless"
    assert group_phrase("imd_quintile", "unknown") == "for patients whose deprivation is not known"
    assert rest_phrase("imd_quintile", "Q1") == "for everyone else"
    assert rest_phrase("focus_group", "in") == "outside the Focus group"


def test_values_as_shown():
    assert format_value(0.521, "proportion") == "52.1%"
    assert format_value(0.51234, "mean") == "0.512"
    assert format_value(math.nan, "proportion") == "not available"
    assert format_difference(0.163, "proportion") == "16.3 points"
    assert format_difference(0.01, "proportion") == "1.0 point"
