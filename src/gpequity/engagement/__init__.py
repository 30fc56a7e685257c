"""Community engagement: the participation scale and every dashboard figure (no Django).

The web app turns its rows into the small dataclasses below and calls these functions, so
the figures can be checked by hand and recomputed from an organisation's JSON export.
See docs/adr/0021-engagement.md for the definitions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# --------------------------------------------------------------------------- vocabularies

# The five-step participation scale, in our own words (ADR 21).
LEVELS: dict[str, str] = {
    "inform": "Inform",
    "consult": "Consult",
    "involve": "Involve",
    "collaborate": "Collaborate",
    "co_produce": "Co-produce",
}
LEVEL_HINTS: dict[str, str] = {
    "inform": "We told people about something we had already decided.",
    "consult": "We asked for views on our ideas and decided what to do ourselves.",
    "involve": "People worked alongside us and their views shaped our choices throughout.",
    "collaborate": "We made the decisions together with people as partners.",
    "co_produce": "People with lived experience shared power: they designed and ran it with us.",
}
BANDS: dict[str, str] = {"to": "Done to", "for": "Done for", "with": "Done with"}
BAND_HINTS: dict[str, str] = {
    "to": "people were told, not asked",
    "for": "people's views informed decisions that professionals made",
    "with": "people shared the decisions",
}
LEVEL_BAND: dict[str, str] = {
    "inform": "to",
    "consult": "for",
    "involve": "for",
    "collaborate": "with",
    "co_produce": "with",
}
STAGES: dict[str, str] = {
    "plan": "Planning",
    "design": "Designing",
    "deliver": "Delivering",
    "evaluate": "Evaluating",
}
METHODS: dict[str, str] = {
    "survey": "Survey",
    "focus_group": "Focus group discussion",
    "event": "Event or drop-in",
    "outreach": "Outreach",
    "ppg": "Patient participation group",
    "co_design": "Co-design workshop",
    "peer_champions": "Peer champions",
    "other": "Other",
}
PARTNER_KINDS: dict[str, str] = {
    "vcse": "Voluntary or community organisation",
    "healthwatch": "Healthwatch",
    "council": "Council",
    "faith": "Faith group",
    "school": "School or college",
    "other": "Other",
}
ACCESSIBILITY: dict[str, str] = {
    "interpreters": "Interpreters",
    "easy_read": "Easy read materials",
    "bsl": "British Sign Language",
    "venue": "Accessible venue",
    "other": "Other adjustments",
}
PAYMENTS: dict[str, str] = {
    "none": "Nothing offered",
    "expenses": "Expenses (travel, care costs)",
    "voucher": "Vouchers",
    "payment": "Payment for time",
}
# Reach groupings and their groups. ``language`` takes any language name.
GROUPINGS: dict[str, str] = {
    "focus_group": "Focus Patient group",
    "core20": "Core20 (most deprived 20% of areas)",
    "ethnic_group": "Ethnic group",
    "age_band": "Age band",
    "inclusion_health": "Inclusion-health group",
    "language": "Main language",
}
GROUPS: dict[str, dict[str, str]] = {
    "focus_group": {"in": "In the Focus group"},
    "core20": {"Q1": "Living in the most deprived 20% of areas"},
    "ethnic_group": {
        "White": "White",
        "Mixed": "Mixed",
        "Asian": "Asian or Asian British",
        "Black": "Black or Black British",
        "Other": "Other ethnic group",
    },
    "age_band": {b: b for b in ("0-17", "18-39", "40-64", "65-79", "80+")},
    "inclusion_health": {
        "homeless": "People experiencing homelessness",
        "asylum_seeker_or_refugee": "Asylum seekers and refugees",
        "gypsy_roma_traveller": "Gypsy, Roma and Traveller communities",
        "drug_alcohol_dependence": "People with drug or alcohol dependence",
        "sex_worker": "Sex workers",
        "justice_contact": "People in contact with the justice system",
        "learning_disability": "People with a learning disability",
        "carer": "Carers",
        "interpreter_needed": "People who need an interpreter",
    },
}
RESPONSES: dict[str, str] = {
    "will_act": "We will act on this",
    "partly": "We can act on part of this",
    "cannot_act": "We cannot act on this",
}
LOOP_METHODS: dict[str, str] = {
    "report": "Written report",
    "meeting": "Meeting",
    "noticeboard": "Noticeboard",
    "website": "Website",
    "text": "Text message",
    "other": "Other",
}
INDICATOR_KINDS: dict[str, str] = {
    "process": "Process",
    "outcome": "Outcome",
    "experience": "Experience",
}
INDICATOR_SOURCES: dict[str, str] = {
    "hna": "Health needs assessment indicator",
    "plan": "A plan item's measure",
    "survey": "Survey",
    "count": "Count",
}
LOGIC_MODEL: dict[str, str] = {
    "inputs": "Inputs",
    "activities": "Activities",
    "outputs": "Outputs",
    "outcomes_short": "Short-term outcomes",
    "outcomes_medium": "Medium-term outcomes",
    "outcomes_long": "Long-term outcomes",
    "impact": "Impact",
    "assumptions": "Assumptions",
    "external_factors": "External factors",
}
LOOP_WEEKS = 8
NO_NAMES_HINT = "Do not enter names, contact details or anything else that identifies a person."
# Focus criteria columns (DATA.md) and the reach groups that count people they describe.
FOCUS_COLUMN_GROUPS: dict[str, tuple[str, str]] = {
    "imd_decile": ("core20", "Q1"),
    "interpreter_needed": ("inclusion_health", "interpreter_needed"),
    **{k: ("inclusion_health", k) for k in GROUPS["inclusion_health"] if k != "interpreter_needed"},
}


class EngagementError(ValueError):
    """A value outside the vocabularies; the message names the field and the value."""


def band_for(level: str, override: str = "") -> str:
    """The band of a level, or the override when one is given."""
    if level not in LEVEL_BAND:
        raise EngagementError(f"level: '{level}' is not one of {', '.join(LEVELS)}")
    if override:
        if override not in BANDS:
            raise EngagementError(f"band: '{override}' is not one of {', '.join(BANDS)}")
        return override
    return LEVEL_BAND[level]


def check_choices(name: str, values: Iterable[str], allowed: Mapping[str, str]) -> list[str]:
    """The values in vocabulary order, or EngagementError naming the field and bad value."""
    values = list(values)
    for v in values:
        if v not in allowed:
            raise EngagementError(f"{name}: '{v}' is not one of {', '.join(allowed)}")
    return [k for k in allowed if k in values]


def check_group(grouping: str, group: str) -> str:
    """A reach group, checked against its grouping (any language name is allowed)."""
    if grouping not in GROUPINGS:
        raise EngagementError(f"grouping: '{grouping}' is not one of {', '.join(GROUPINGS)}")
    group = group.strip()
    if grouping == "language":
        if not group or len(group) > 60:
            raise EngagementError("group: give the language's name (up to 60 characters)")
        return group
    if group not in GROUPS[grouping]:
        raise EngagementError(
            f"group: '{group}' is not a group of {grouping} ({', '.join(GROUPS[grouping])})"
        )
    return group


def group_label(grouping: str, group: str) -> str:
    return GROUPS.get(grouping, {}).get(group, group)


# --------------------------------------------------------------------------- quarters


def quarter_of(day: dt.date) -> str:
    """The NHS financial quarter of a date: April-June 2026 is "2026/27 Q1"."""
    year = day.year if day.month >= 4 else day.year - 1
    q = (day.month - 4) % 12 // 3 + 1
    return f"{year}/{(year + 1) % 100:02d} Q{q}"


def quarter_start(day: dt.date) -> dt.date:
    month = (day.month - 4) % 12 // 3 * 3 + 4
    year = day.year if day.month >= 4 else day.year - 1
    if month > 12:
        month -= 12
        year += 1
    return dt.date(year, month, 1)


def quarters_between(first: dt.date, last: dt.date) -> list[str]:
    """Every quarter label from the one holding ``first`` to the one holding ``last``."""
    out: list[str] = []
    day = quarter_start(first)
    while day <= last:
        out.append(quarter_of(day))
        month = day.month + 3
        day = dt.date(day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return out


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class ActivityFact:
    id: int
    start: dt.date
    level: str
    band: str
    hours: Decimal = Decimal(0)
    community_led: bool = False
    evaluated: bool = False  # covered by an evaluation plan
    reviewed: bool = False  # has its own short review


@dataclass(frozen=True)
class ReachFact:
    activity_id: int
    grouping: str
    group: str
    count: int
    target: int | None = None


@dataclass(frozen=True)
class InsightFact:
    id: int
    raised_on: dt.date
    due_date: dt.date | None = None
    response: str = ""
    loop_closed_on: dt.date | None = None


# --------------------------------------------------------------------------- figures


def share(part: int | Decimal, whole: int | Decimal) -> float | None:
    """part / whole, or None when whole is zero (never a made-up 0%)."""
    return float(part) / float(whole) if whole else None


@dataclass
class BandRow:
    quarter: str
    key: str  # a band or a level
    activities: int
    hours: Decimal
    activity_share: float | None  # of the quarter's activities
    hours_share: float | None  # of the quarter's hours


def by_quarter(activities: Sequence[ActivityFact], *, by: str = "band") -> list[BandRow]:
    """Activities and hours per quarter and band (``by="band"``) or level (``by="level"``).

    Every quarter from the first to the last activity appears, with a row for every band or
    level (zeros included), so a chart or table never hides a quiet quarter.
    """
    if by not in ("band", "level"):
        raise ValueError("by must be 'band' or 'level'")
    keys = list(BANDS if by == "band" else LEVELS)
    if not activities:
        return []
    quarters = quarters_between(min(a.start for a in activities), max(a.start for a in activities))
    count: Counter[tuple[str, str]] = Counter()
    hours: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in activities:
        k = (quarter_of(a.start), getattr(a, by))
        count[k] += 1
        hours[k] += a.hours
    rows = []
    for q in quarters:
        total_n = sum(count[(q, k)] for k in keys)
        total_h = sum((hours[(q, k)] for k in keys), Decimal(0))
        for k in keys:
            rows.append(
                BandRow(
                    q,
                    k,
                    count[(q, k)],
                    hours[(q, k)],
                    share(count[(q, k)], total_n),
                    share(hours[(q, k)], total_h),
                )
            )
    return rows


@dataclass
class Totals:
    activities: int
    hours: Decimal
    by_band: dict[str, int]
    hours_by_band: dict[str, Decimal]
    with_share: float | None
    to_share: float | None
    community_led: int
    community_led_share: float | None
    evaluated: int
    reviewed: int
    evaluated_share: float | None
    reviewed_share: float | None


def totals(activities: Sequence[ActivityFact]) -> Totals:
    by_band = {b: sum(1 for a in activities if a.band == b) for b in BANDS}
    hours_by_band = {
        b: sum((a.hours for a in activities if a.band == b), Decimal(0)) for b in BANDS
    }
    n = len(activities)
    led = sum(1 for a in activities if a.community_led)
    ev = sum(1 for a in activities if a.evaluated)
    rv = sum(1 for a in activities if a.reviewed)
    return Totals(
        activities=n,
        hours=sum((a.hours for a in activities), Decimal(0)),
        by_band=by_band,
        hours_by_band=hours_by_band,
        with_share=share(by_band["with"], n),
        to_share=share(by_band["to"], n),
        community_led=led,
        community_led_share=share(led, n),
        evaluated=ev,
        reviewed=rv,
        evaluated_share=share(ev, n),
        reviewed_share=share(rv, n),
    )


@dataclass
class LoopClosure:
    weeks: int
    eligible: int  # raised at least ``weeks`` weeks ago
    closed_in_time: int  # of those, answered and loop closed within ``weeks`` weeks
    rate: float | None
    too_recent: int  # raised less than ``weeks`` weeks ago (not yet judged)
    closed_total: int  # loop closed at any time, any age


def loop_closure(
    insights: Sequence[InsightFact], *, on: dt.date, weeks: int = LOOP_WEEKS
) -> LoopClosure:
    window = dt.timedelta(weeks=weeks)
    eligible = [i for i in insights if i.raised_on + window <= on]
    in_time = [
        i
        for i in eligible
        if i.response and i.loop_closed_on is not None and i.loop_closed_on <= i.raised_on + window
    ]
    return LoopClosure(
        weeks=weeks,
        eligible=len(eligible),
        closed_in_time=len(in_time),
        rate=share(len(in_time), len(eligible)),
        too_recent=len(insights) - len(eligible),
        closed_total=sum(1 for i in insights if i.loop_closed_on is not None),
    )


def is_overdue(insight: InsightFact, on: dt.date) -> bool:
    """Waiting for a response past its due date."""
    return not insight.response and insight.due_date is not None and insight.due_date < on


def overdue(insights: Sequence[InsightFact], on: dt.date) -> list[InsightFact]:
    return sorted((i for i in insights if is_overdue(i, on)), key=lambda i: (i.due_date, i.id))


@dataclass
class ReachRow:
    grouping: str
    group: str
    label: str
    reached: int
    activities: int
    target: int | None  # sum of the targets set (None when no activity set one)
    reached_where_targeted: int  # people reached in the activities that set a target
    against_target: float | None  # reached_where_targeted / target


def reach(rows: Sequence[ReachFact]) -> list[ReachRow]:
    """People reached per group, with targets summed over the activities that set one."""
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        k = (r.grouping, r.group)
        a = acc.setdefault(k, {"reached": 0, "acts": set(), "target": None, "rt": 0})
        a["reached"] += r.count
        a["acts"].add(r.activity_id)
        if r.target is not None:
            a["target"] = (a["target"] or 0) + r.target
            a["rt"] += r.count
    order = {g: n for n, g in enumerate(GROUPINGS)}
    out = [
        ReachRow(
            grouping=g,
            group=grp,
            label=group_label(g, grp),
            reached=a["reached"],
            activities=len(a["acts"]),
            target=a["target"],
            reached_where_targeted=a["rt"],
            against_target=share(a["rt"], a["target"]) if a["target"] else None,
        )
        for (g, grp), a in acc.items()
    ]
    return sorted(out, key=lambda r: (order.get(r.grouping, 99), r.label))


@dataclass
class FocusPart:
    column: str  # a Focus criteria column (DATA.md)
    grouping: str
    group: str
    label: str
    reached: int
    activities: int


@dataclass
class FocusReach:
    reached_in_focus: int  # counted as "In the Focus group"
    activities_reaching_focus: int
    activities: int
    parts: list[FocusPart] = field(default_factory=list)  # one per Focus criteria column


def criteria_columns(criteria: Any) -> list[str]:
    """The patient columns a Focus criteria document (DATA.md) tests, in order of first use."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("any", "all") and isinstance(value, list):
                    for child in value:
                        walk(child)
                elif key not in out:
                    out.append(key)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(criteria)
    return out


def focus_reach(
    rows: Sequence[ReachFact], *, criteria: Any, activity_ids: Iterable[int]
) -> FocusReach:
    """Reach against the Focus group: people counted in it, and each part of its definition.

    Each Focus criteria column that matches a reach group (deprivation -> Core20, homeless ->
    the inclusion-health group, and so on) shows the people reached in that group, so a
    practice can see which parts of its Focus group its engagement is not reaching.
    """
    ids = set(activity_ids)
    rows = [r for r in rows if r.activity_id in ids]
    focus = [r for r in rows if r.grouping == "focus_group" and r.group == "in"]
    parts = []
    for column in criteria_columns(criteria or {}):
        if column not in FOCUS_COLUMN_GROUPS:
            continue
        grouping, group = FOCUS_COLUMN_GROUPS[column]
        hits = [r for r in rows if (r.grouping, r.group) == (grouping, group)]
        parts.append(
            FocusPart(
                column=column,
                grouping=grouping,
                group=group,
                label=group_label(grouping, group),
                reached=sum(r.count for r in hits),
                activities=len({r.activity_id for r in hits if r.count}),
            )
        )
    return FocusReach(
        reached_in_focus=sum(r.count for r in focus),
        activities_reaching_focus=len({r.activity_id for r in focus if r.count}),
        activities=len(ids),
        parts=parts,
    )


# --------------------------------------------------------------------------- spreadsheets

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP).

    Text that already starts with an apostrophe gets one more, so reading back with
    ``unescape_cell`` always gives exactly what was typed.
    """
    if isinstance(value, str) and value.startswith((*FORMULA_LEADS, "'")):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and value[1:2] in (*FORMULA_LEADS, "'"):
        return value[1:] if value[1:2] else value
    return value
