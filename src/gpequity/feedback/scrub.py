"""Mask names, phone numbers, e-mail addresses, dates and times in free text before it is stored.

Phone numbers are found by Google's ``phonenumbers`` library (UK numbers and international
ones written with a +); the rest are rules written for how staff write in English. It is a
safety net, not a guarantee: the writer is always shown the result before anything is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers

MASKS = {
    "email": "[email]",
    "phone": "[phone number]",
    "number": "[number]",
    "date": "[date]",
    "time": "[time]",
    "name": "[name]",
}
LABELS = {
    "email": ("e-mail address", "e-mail addresses"),
    "phone": ("phone number", "phone numbers"),
    "number": ("long number", "long numbers"),
    "date": ("date or day", "dates or days"),
    "time": ("time", "times"),
    "name": ("name", "names"),
}

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAYS = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|sday|urday|rsday)?"
_ORD = r"(?:st|nd|rd|th)?"
_TITLES = r"(?:Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Nurse|Sister|Matron|Sir|Dame|Lady|Lord)"
_WORD = r"[A-Z][a-zA-Z'’-]+"

RULES: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)),
    # Dates written with numbers: 3/11/2026, 03-11-26, 2026-11-03, 3.11.26
    ("date", re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b")),
    ("date", re.compile(r"\b\d{1,2}/\d{1,2}\b")),
    # 3rd November 2026, 3 Nov, the 3rd of November
    (
        "date",
        re.compile(rf"\b\d{{1,2}}{_ORD}\s+(?:of\s+)?{_MONTHS}\b\.?(?:,?\s+\d{{4}})?"),
    ),
    # November 3rd, 2026; Nov 3
    ("date", re.compile(rf"\b{_MONTHS}\.?\s+\d{{1,2}}{_ORD}\b(?:,?\s+\d{{4}})?")),
    # Month and year: November 2026
    ("date", re.compile(rf"\b{_MONTHS}\s+\d{{4}}\b")),
    ("date", re.compile(rf"\b(?:last\s+|next\s+|this\s+|on\s+a\s+)?{_DAYS}s?\b")),
    ("date", re.compile(r"\b(?:yesterday|today|tonight|tomorrow)\b", re.IGNORECASE)),
    # 9:30, 14.05, 9am, 9.30 pm
    ("time", re.compile(r"\b\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?![\w.])", re.IGNORECASE)),
    ("time", re.compile(r"\b\d{1,2}\s*[ap]\.?m\b\.?", re.IGNORECASE)),
    # Titled names: Dr Patel, Mrs Ann Smith, Nurse Jo
    ("name", re.compile(rf"\b{_TITLES}\.?\s+{_WORD}(?:\s+{_WORD})?")),
]
# Any run of six or more digits (NHS numbers, extensions, smartcard numbers) left after phones.
_DIGITS = re.compile(r"(?<![\w\[])\d(?:[\s-]?\d){5,}(?![\w\]])")

# Common first names in the UK, as a fallback for names written alone ("Sarah said ...").
COMMON_FIRST_NAMES = frozenset(
    """
    Aaron Abdul Abigail Adam Adrian Ahmed Aisha Alan Alex Alexander Alice Alison Amanda Amelia
    Amir Amy Andrew Angela Ann Anna Anne Anthony Ash Barbara Ben Beth Bethany Bill Bob Brian
    Carl Carol Caroline Catherine Charlie Charlotte Chloe Chris Christine Claire Craig Daniel
    Darren Dave David Dawn Debbie Deborah Dean Denise Diane Donna Ed Edward Eleanor Elizabeth
    Ella Ellie Emily Emma Eric Fatima Fiona Frank Gary Gemma George Grace Graham Hannah Harry
    Hassan Heather Helen Ian Imran Isabel Jack Jackie Jacob James Jamie Jane Janet Jason Jay
    Jean Jen Jennifer Jenny Jess Jessica Jo Joan Joanne John Jon Jonathan Joseph Josh Joshua
    Julie Karen Kate Katie Kay Kelly Kevin Kim Laura Lauren Lee Leah Lily Linda Lisa Liz Louise
    Lucy Luke Mandy Margaret Maria Mark Martin Mary Matt Matthew Megan Mel Michael Michelle
    Mike Mohammed Muhammad Nadia Natalie Neil Nicola Nick Nicole Nigel Olivia Omar Oliver Pam
    Patricia Paul Pauline Pete Peter Phil Philip Priya Rachel Raj Rebecca Richard Rob Robert
    Ruth Ryan Sadia Sally Sam Samantha Sandra Sara Sarah Scott Sean Sharon Shaun Simon Sophie
    Stephen Steve Steven Stuart Sue Susan Tariq Thomas Tim Tom Tony Tracy Usman Vicky Wendy
    Yasmin Zara Zoe
    """.split()
)


@dataclass
class Scrubbed:
    text: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return sum(self.counts.values()) > 0

    def summary(self) -> str:
        """``2 names and 1 phone number`` (empty when nothing was masked)."""
        parts = [
            f"{n} {LABELS[kind][0] if n == 1 else LABELS[kind][1]}"
            for kind, n in sorted(self.counts.items())
            if n
        ]
        if not parts:
            return ""
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    words = {w for n in names for w in re.split(r"[\s]+", n.strip()) if len(w) >= 2}
    words = {w[0].upper() + w[1:] for w in words}
    if not words:
        return None
    alternation = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    return re.compile(rf"(?<![\w\[])(?:{alternation})(?:'s|’s)?(?!\w)")


def scrub(text: str, *, known_names: Iterable[str] = ()) -> Scrubbed:
    """Mask what could identify someone. ``known_names``: names of people at the practice
    (first and last names of its gpequity users), masked wherever they are written with a
    capital letter, on top of the common first names and titled names."""
    out = Scrubbed(text=text.replace("\r\n", "\n"))

    def sub(kind: str, pattern: re.Pattern[str]) -> None:
        out.text, n = pattern.subn(MASKS[kind], out.text)
        out.counts[kind] += n

    for kind, pattern in RULES:
        sub(kind, pattern)
    # Phone numbers after dates (so 12/11/2026 stays a date), before other long numbers.
    spans = [
        (m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(
            out.text, "GB", leniency=phonenumbers.Leniency.VALID
        )
    ]
    for start, end in reversed(spans):
        out.text = out.text[:start] + MASKS["phone"] + out.text[end:]
    out.counts["phone"] += len(spans)
    sub("number", _DIGITS)
    known = _names_pattern([*known_names, *COMMON_FIRST_NAMES])
    if known is not None:
        sub("name", known)
    # A mask next to a capitalised word is most likely a full name: "[name] Okafor".
    sub("name", re.compile(rf"\[name\]\s+(?!I\b){_WORD}(?:'s|’s)?"))
    out.counts = Counter({k: v for k, v in out.counts.items() if v})
    return out
