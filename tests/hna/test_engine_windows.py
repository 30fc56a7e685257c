"""DATA.md "within N months" and the flu season start, on their edges."""

from __future__ import annotations

from datetime import date

import pytest

from gpequity.hna.windows import (
    months_back,
    season_start,
    since_season_start,
    window_start,
    within_months,
)


@pytest.mark.parametrize(
    ("as_of", "months", "expected"),
    [
        (date(2024, 6, 15), 12, date(2023, 6, 15)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),  # leap year: 31st clamps to 29 Feb
        (date(2023, 3, 31), 1, date(2023, 2, 28)),  # 31st clamps to 28 Feb
        (date(2024, 2, 29), 12, date(2023, 2, 28)),  # 29 Feb back a year
        (date(2024, 2, 29), 48, date(2020, 2, 29)),  # ...and four years
        (date(2024, 1, 31), 2, date(2023, 11, 30)),  # across the year end
        (date(2024, 5, 31), 60, date(2019, 5, 31)),
        (date(2024, 8, 31), 42, date(2021, 2, 28)),
        (date(2024, 1, 15), 0, date(2024, 1, 15)),
    ],
)
def test_months_back_moves_calendar_months_and_clamps(as_of, months, expected):
    assert months_back(as_of, months) == expected
    assert window_start(as_of, months) == expected


def test_negative_months_are_refused():
    with pytest.raises(ValueError):
        months_back(date(2024, 1, 1), -1)


def test_window_excludes_start_includes_as_of_and_never_counts_later_dates():
    as_of = date(2024, 3, 31)
    start = date(2024, 2, 29)
    assert not within_months(start, as_of, 1)
    assert within_months(date(2024, 3, 1), as_of, 1)
    assert within_months(as_of, as_of, 1)
    assert not within_months(date(2024, 4, 1), as_of, 1)
    assert not within_months(None, as_of, 1)


def test_twelve_month_window_edges():
    as_of = date(2024, 6, 15)
    assert not within_months(date(2023, 6, 15), as_of, 12)
    assert within_months(date(2023, 6, 16), as_of, 12)
    assert not within_months(date(2023, 6, 14), as_of, 12)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 9, 1), date(2024, 9, 1)),
        (date(2024, 8, 31), date(2023, 9, 1)),
        (date(2025, 1, 10), date(2024, 9, 1)),
        (date(2024, 12, 31), date(2024, 9, 1)),
    ],
)
def test_flu_season_starts_on_latest_first_of_september(as_of, expected):
    assert season_start(as_of) == expected


def test_since_season_start_counts_the_first_day_and_not_after_as_of():
    as_of = date(2024, 10, 15)
    assert since_season_start(date(2024, 9, 1), as_of)
    assert not since_season_start(date(2024, 8, 31), as_of)
    assert since_season_start(as_of, as_of)
    assert not since_season_start(date(2024, 10, 16), as_of)
    assert not since_season_start(None, as_of)
