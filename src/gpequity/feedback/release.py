"""Release held feedback in batches so that the moment of writing cannot be matched to a person.

Pure functions: the web app stores and fetches, this module decides.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

MIN_BATCH = 3  # k: the smallest batch a practice may choose
DEFAULT_MAX_WAIT_DAYS = 28
MIN_ROLE_GROUP = 5  # a coarse role is shown only when every role group in the batch is this big

# Coarse roles a writer may give; "" is "not given".
ROLES = {"clinical": "Clinical", "admin": "Admin or reception", "other": "Other"}

TOPICS = {
    "access": "Getting appointments and access",
    "communication": "Communication and information",
    "reception": "Reception and the front desk",
    "care": "Clinical care",
    "unfair": "Unfair treatment or discrimination",
    "building": "Building, signs and equipment",
    "team": "How we work as a team",
    "other": "Something else",
}

T = TypeVar("T")


def week_of(day: dt.date | dt.datetime) -> dt.date:
    """The Monday of the week ``day`` falls in: the only date feedback keeps."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class ReleaseRule:
    """A practice's batching rule: at least ``min_batch`` (never below 3), or after
    ``max_wait_days`` together with at least one other submission."""

    min_batch: int = MIN_BATCH
    max_wait_days: int = DEFAULT_MAX_WAIT_DAYS

    def __post_init__(self) -> None:
        if self.min_batch < MIN_BATCH:
            raise ValueError(f"the batch size must be at least {MIN_BATCH}, not {self.min_batch}")
        if self.max_wait_days < 7:
            raise ValueError(f"the longest wait must be at least 7 days, not {self.max_wait_days}")


def due_for_release(held_weeks: Sequence[dt.date], *, today: dt.date, rule: ReleaseRule) -> bool:
    """Whether the held submissions (given by the week each was held in) go out now.

    All of them go together: at least ``rule.min_batch``, or at least two once the oldest has
    waited ``rule.max_wait_days`` (counted from the Monday of its week). A lone submission is
    never released on its own.
    """
    n = len(held_weeks)
    if n >= rule.min_batch:
        return True
    if n < 2:
        return False
    return (today - min(held_weeks)).days >= rule.max_wait_days


def keep_roles(roles: Sequence[str]) -> bool:
    """Whether a batch's coarse roles may be kept: every group present, "not given" included,
    has at least ``MIN_ROLE_GROUP`` members. Otherwise every role in the batch is blanked, so
    neither a small group nor its complement can be seen."""
    if not roles or all(r == "" for r in roles):
        return False
    return all(count >= MIN_ROLE_GROUP for count in Counter(roles).values())


def shuffled(items: Sequence[T]) -> list[T]:
    """The items in a random order from the operating system's generator."""
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        out[i], out[j] = out[j], out[i]
    return out
