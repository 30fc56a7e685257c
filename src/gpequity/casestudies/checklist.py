"""The reviewer's checklist, and hints found in the text that a reviewer should look at."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    key: str
    question: str


CHECKLIST: tuple[Check, ...] = (
    Check("plain_english", "It is written in plain English a practice manager understands"),
    Check("baseline", "It gives a baseline: where things stood before the change"),
    Check("evaluation", "It says how the change was evaluated, even informally"),
    Check("consent", "The organisation consents to publish and declares any sponsorship"),
    Check("no_patient_detail", "It has no detail that could identify a patient"),
)
KEYS = tuple(c.key for c in CHECKLIST)


def missing(answers: dict[str, bool]) -> list[Check]:
    """The checks not yet ticked."""
    return [c for c in CHECKLIST if not answers.get(c.key)]


_NHS_NUMBER = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")
_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}\b")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")


def _valid_nhs_number(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def patient_detail_hints(text: str) -> list[str]:
    """Things in the text that look like patient-identifiable detail, described without
    repeating them: NHS numbers (with a valid check digit), full dates and full postcodes."""
    hints = []
    if any(_valid_nhs_number("".join(m.groups())) for m in _NHS_NUMBER.finditer(text)):
        hints.append("a number that looks like an NHS number")
    if _DATE.search(text):
        hints.append("a full date (a date of birth?)")
    if _POSTCODE.search(text.upper()):
        hints.append("a full postcode")
    return hints
