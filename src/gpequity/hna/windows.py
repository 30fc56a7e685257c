"""Date windows of DATA.md, as small pure functions shared by the engine and the twin.

"Within N months" ends on the as-of date and starts N calendar months earlier (clamped to
the last day of that month when the day does not exist, e.g. 31 March minus one month is
28 or 29 February). A date counts when ``start < date <= as_of``: the start day itself is
outside, the as-of day inside, and anything after the as-of date never counts. Keeping these
rules in one place means the Ibis engine and the pure-Python twin cannot drift apart.
"""

from __future__ import annotations

import calendar
from datetime import date

APPOINTMENT_WINDOW_MONTHS = 12


def months_back(as_of: date, months: int) -> date:
    """Move ``as_of`` back ``months`` calendar months, clamping to the month's last day."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = as_of.year * 12 + (as_of.month - 1) - months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(as_of.day, last_day))


def window_start(as_of: date, months: int) -> date:
    """First excluded day of a "within N months" window ending on ``as_of``."""
    return months_back(as_of, months)


def within_months(value: date | None, as_of: date, months: int) -> bool:
    """True when ``value`` lies in the window: ``start < value <= as_of``; blanks never do."""
    if value is None:
        return False
    return window_start(as_of, months) < value <= as_of


def season_start(as_of: date, month: int = 9, day: int = 1) -> date:
    """The latest ``month``/``day`` (default 1 September) on or before ``as_of``.

    Used for the flu season: a vaccination counts from this day up to the as-of date.
    """
    this_year = date(as_of.year, month, min(day, calendar.monthrange(as_of.year, month)[1]))
    if this_year <= as_of:
        return this_year
    last_year = as_of.year - 1
    return date(last_year, month, min(day, calendar.monthrange(last_year, month)[1]))


def since_season_start(value: date | None, as_of: date, month: int = 9, day: int = 1) -> bool:
    """True when ``season_start(as_of) <= value <= as_of``; blanks never count."""
    if value is None:
        return False
    return season_start(as_of, month, day) <= value <= as_of
