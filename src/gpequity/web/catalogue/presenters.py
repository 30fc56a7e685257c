"""Shape catalogue data for templates and the API: labels, counts, summary-list rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from gpequity.catalogue import DEFAULT_PACK, vocab
from gpequity.catalogue.schema import Action, Pack

from .models import OfficialText, OfficialTextImport

# What each DATA.md indicator measures, in a sentence, for the action page.
INDICATOR_EXPLAINED: dict[str, str] = {
    "ethnicity_recorded": "Share of all patients whose ethnicity is recorded with a real "
    "category rather than left blank or marked not stated.",
    "language_recorded": "Share of all patients with a main language on their record.",
    "bp_recorded_5y": "Share of patients aged 40 or over with a blood pressure reading in "
    "the last five years.",
    "cervical_screening": "Share of eligible women aged 25 to 64 who are up to date with "
    "cervical screening for their age.",
    "breast_screening": "Share of women aged 53 to 70 screened for breast cancer in the last "
    "three years.",
    "bowel_screening": "Share of people aged 60 to 74 screened for bowel cancer in the last "
    "30 months.",
    "flu_vaccine_65plus": "Share of people aged 65 or over vaccinated against flu since the "
    "season began on 1 September.",
    "smi_health_check": "Share of people with severe mental illness who had a physical "
    "health check in the last year.",
    "ld_health_check": "Share of people aged 14 or over with a learning disability who had "
    "an annual health check in the last year.",
    "smoking_status_recorded": "Share of people aged 15 or over whose smoking status is recorded.",
    "ld_register": "Share of all patients on the learning disability register, a check on "
    "whether the register finds everyone it should.",
    "carer_register": "Share of all patients recorded as carers, so carers can be offered support.",
    "dna_rate": "Share of booked appointments that the patient did not attend.",
    "missingness_high": "Share of patients who missed three or more appointments in the "
    "period, a sign of people dropping out of care.",
    "online_booking_never": "Share of adults with two or more appointments who never booked "
    "one online, a marker of digital exclusion.",
    "face_to_face_share": "Share of attended appointments that took place face to face.",
    "complex_needs": "Share of patients meeting three or more markers of multiple complex "
    "needs, such as deprivation, several long-term conditions or homelessness.",
    "continuity_upc": "How often patients with several GP appointments see their most-seen "
    "GP (usual provider of care index).",
    "continuity_coc": "How spread out patients' GP appointments are across different GPs "
    "(Bice-Boxerman continuity of care index).",
}

TIER_TAG_COLOURS = ("blue", "green", "purple", "orange", "aqua-green", "grey")
EFFORT_LABEL = {"low": "Low", "medium": "Medium", "high": "High"}


def tier_names(pack: Pack, imported: OfficialTextImport | None) -> dict[str, str]:
    """Display name of each tier: the user's copy's name when the current import has one."""
    names = {t.key: t.name for t in pack.tiers}
    if imported is not None:
        names.update({k: v for k, v in (imported.tier_names or {}).items() if k in names})
    return names


def pack_query(pack: Pack, **extra: str) -> str:
    """Query string that keeps the pack choice (omitted for the default pack)."""
    params = {"pack": pack.id} if pack.id != DEFAULT_PACK else {}
    params.update({k: v for k, v in extra.items() if v})
    return f"?{urlencode(params)}" if params else ""


def action_url(pack: Pack, key: str) -> str:
    return reverse("catalogue:action", args=[key]) + pack_query(pack)


def tier_url(pack: Pack, key: str) -> str:
    return reverse("catalogue:tier", args=[key]) + pack_query(pack)


def theme_url(pack: Pack, key: str) -> str:
    return reverse("catalogue:theme", args=[key]) + pack_query(pack)


@dataclass(frozen=True)
class Row:
    """One action in a results list."""

    key: str
    code: str
    title: str
    theme: str
    tier: str
    tier_colour: str
    summary: str
    url: str


def result_rows(pack: Pack, actions: list[Action], names: dict[str, str]) -> list[Row]:
    colours = tier_colours(pack)
    return [
        Row(
            key=a.key,
            code=a.code,
            title=a.title,
            theme=pack.theme(a.theme).name,
            tier=names[a.tier],
            tier_colour=colours[a.tier],
            summary=a.summary,
            url=action_url(pack, a.key),
        )
        for a in actions
    ]


def tier_colours(pack: Pack) -> dict[str, str]:
    return {t.key: TIER_TAG_COLOURS[i % len(TIER_TAG_COLOURS)] for i, t in enumerate(pack.tiers)}


@dataclass(frozen=True)
class Count:
    key: str
    name: str
    description: str
    count: int
    url: str


def tier_counts(pack: Pack, names: dict[str, str]) -> list[Count]:
    """Tiers in their progressive order, each with its number of actions."""
    counts = Counter(a.tier for a in pack.actions)
    return [
        Count(t.key, names[t.key], t.description, counts[t.key], tier_url(pack, t.key))
        for t in pack.tiers
    ]


def theme_counts(pack: Pack, actions: list[Action] | None = None) -> list[Count]:
    """Themes in pack order with their number of actions (of ``actions`` when given)."""
    counts = Counter(a.theme for a in (pack.actions if actions is None else actions))
    return [
        Count(t.key, t.name, t.description, counts[t.key], theme_url(pack, t.key))
        for t in pack.themes
        if actions is None or counts[t.key]
    ]


@dataclass
class ActionPage:
    """Everything the action page shows, in display order."""

    action: Action
    tier_name: str
    tier_colour: str
    theme_name: str
    crosswalk: list[tuple[str, list[str]]]
    indicators: list[tuple[str, str, str]]
    official: OfficialText | None
    imported: OfficialTextImport | None
    previous: tuple[str, str] | None = None
    next: tuple[str, str] | None = None
    shared_code: list[Row] = field(default_factory=list)


def action_page(
    pack: Pack,
    action: Action,
    names: dict[str, str],
    imported: OfficialTextImport | None,
    official: OfficialText | None,
) -> ActionPage:
    idx = [a.key for a in pack.actions].index(action.key)
    prev_a = pack.actions[idx - 1] if idx > 0 else None
    next_a = pack.actions[idx + 1] if idx + 1 < len(pack.actions) else None
    shared = [a for a in pack.actions if a.code and a.code == action.code and a != action]
    return ActionPage(
        action=action,
        tier_name=names[action.tier],
        tier_colour=tier_colours(pack)[action.tier],
        theme_name=pack.theme(action.theme).name,
        crosswalk=crosswalk(action),
        indicators=[
            (k, vocab.INDICATORS[k], INDICATOR_EXPLAINED.get(k, "")) for k in action.indicators
        ],
        official=official,
        imported=imported if official is not None else None,
        previous=(prev_a.title, action_url(pack, prev_a.key)) if prev_a else None,
        next=(next_a.title, action_url(pack, next_a.key)) if next_a else None,
        shared_code=result_rows(pack, shared, names),
    )


def crosswalk(action: Action) -> list[tuple[str, list[str]]]:
    """Summary-list rows: what the action links to in the other frameworks."""
    return [
        (
            "Inclusion health principles",
            [vocab.INCLUSION_HEALTH_PRINCIPLES[p] for p in action.principles],
        ),
        ("Core20PLUS5 areas", [vocab.CORE20PLUS5_AREAS[c] for c in action.core20plus5]),
        ("Groups it serves", [vocab.GROUPS[g] for g in action.groups]),
        ("Effort", [vocab.EFFORT[action.effort]]),
    ]


def attribution_line(pack: Pack, imported: OfficialTextImport) -> str:
    """Credit for official text: the publisher's attribution, then where the text came from."""
    when = timezone.localtime(imported.created_at).strftime("%-d %B %Y")
    return f"{pack.attribution} Official text imported from your copy on {when}."


@dataclass(frozen=True)
class DiffRows:
    """A diff as (code, title, what changed) rows per kind of change."""

    added: list[tuple[str, str, str]]
    removed: list[tuple[str, str, str]]
    changed: list[tuple[str, str, str]]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_rows(pack: Pack, diff: dict[str, Any] | None) -> DiffRows:
    """A stored or previewed diff (ImportDiff.to_json()) in rows the templates can show."""
    diff = diff or {}

    def label(key: str) -> tuple[str, str]:
        try:
            a = pack.action(key)
        except KeyError:
            return "", key
        return a.code, a.title

    return DiffRows(
        added=[(*label(k), "") for k in diff.get("added", [])],
        removed=[(*label(k), "") for k in diff.get("removed", [])],
        changed=[
            (*label(c["key"]), ", ".join(f.replace("_", " ") for f in c["fields"]))
            for c in diff.get("changed", [])
        ],
    )
