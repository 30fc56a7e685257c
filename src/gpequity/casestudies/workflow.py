"""The case-study workflow as a table of transitions.

Each transition names the state it starts from, the action, the state it ends in and who
may make it: the organisation that wrote the case study (``AUTHOR``) or a reviewer
(``REVIEWER``). Nothing else moves a case study between states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REVIEW_DUE = "review_due"
    ARCHIVED = "archived"


LABELS: dict[State, str] = {
    State.DRAFT: "Draft",
    State.SUBMITTED: "Sent for review",
    State.IN_REVIEW: "In review",
    State.CHANGES_REQUESTED: "Changes requested",
    State.PUBLISHED: "Published",
    State.REVIEW_DUE: "Published, review due",
    State.ARCHIVED: "Archived",
}

# States a reader outside the organisation may see: the public library, open API, exports.
PUBLIC_STATES = (State.PUBLISHED, State.REVIEW_DUE)
# States in which the author may change the text.
EDITABLE_STATES = (State.DRAFT, State.CHANGES_REQUESTED)
# States that wait for a reviewer.
QUEUE_STATES = (State.SUBMITTED, State.IN_REVIEW, State.REVIEW_DUE)

AUTHOR, REVIEWER, SYSTEM = "author", "reviewer", "system"
REVIEW_AFTER_YEARS = 2


@dataclass(frozen=True)
class Transition:
    source: State
    action: str
    target: State
    who: str
    label: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.DRAFT, "submit", State.SUBMITTED, AUTHOR, "Send for review"),
    Transition(State.CHANGES_REQUESTED, "submit", State.SUBMITTED, AUTHOR, "Send for review"),
    Transition(State.SUBMITTED, "start_review", State.IN_REVIEW, REVIEWER, "Start the review"),
    Transition(
        State.IN_REVIEW, "request_changes", State.CHANGES_REQUESTED, REVIEWER, "Ask for changes"
    ),
    Transition(State.IN_REVIEW, "publish", State.PUBLISHED, REVIEWER, "Publish"),
    Transition(State.PUBLISHED, "mark_review_due", State.REVIEW_DUE, SYSTEM, "Review due"),
    Transition(State.REVIEW_DUE, "reconfirm", State.PUBLISHED, REVIEWER, "Confirm it is current"),
    Transition(State.REVIEW_DUE, "archive", State.ARCHIVED, REVIEWER, "Archive"),
    Transition(State.PUBLISHED, "archive", State.ARCHIVED, REVIEWER, "Archive"),
    Transition(State.PUBLISHED, "withdraw", State.ARCHIVED, AUTHOR, "Withdraw from the library"),
    Transition(State.REVIEW_DUE, "withdraw", State.ARCHIVED, AUTHOR, "Withdraw from the library"),
)


class TransitionError(ValueError):
    """The action is not possible from this state, or not for this side."""


def find(state: str, action: str, who: str) -> Transition:
    """The transition for ``action`` from ``state`` by ``who``, or TransitionError."""
    for t in TRANSITIONS:
        if t.source == state and t.action == action:
            if t.who != who:
                raise TransitionError(
                    f"Only {'a reviewer' if t.who == REVIEWER else 'the organisation'} "
                    f"can {t.label.lower()}."
                )
            return t
    raise TransitionError(f"A case study that is {LABELS[State(state)].lower()} cannot do that.")


def available(state: str, who: str) -> list[Transition]:
    """What ``who`` may do next from ``state``, in table order."""
    return [t for t in TRANSITIONS if t.source == state and t.who == who]


def review_due_on(published_on: dt.date) -> dt.date:
    """Two years after publication (29 February moves to 28 February)."""
    year = published_on.year + REVIEW_AFTER_YEARS
    try:
        return published_on.replace(year=year)
    except ValueError:
        return published_on.replace(year=year, day=28)


def is_review_due(state: str, due_on: dt.date | None, today: dt.date) -> bool:
    return state == State.PUBLISHED and due_on is not None and due_on <= today
