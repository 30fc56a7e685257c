"""Shape case studies for pages, the API and exports. Long text is rendered here, through
gpequity.casestudies.markdown (markdown-it-py, then nh3), and only here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.safestring import mark_safe

from gpequity.casestudies import costs, markdown, workflow
from gpequity.catalogue import DEFAULT_PACK, load_pack, vocab

from .models import CaseStudy, Engagement, Region, Setting

STATE_TAG = {
    "draft": "grey",
    "submitted": "blue",
    "in_review": "purple",
    "changes_requested": "orange",
    "published": "green",
    "review_due": "yellow",
    "archived": "white",
}
SECTIONS = (
    ("problem", "The problem and why it mattered"),
    ("what_was_done", "What was done"),
    ("partners", "Partners"),
    ("community_involvement", "How the community was involved"),
    ("baseline", "Where things started"),
    ("outcomes", "What changed"),
    ("cycles", "Plan-do-study-act cycles"),
    ("evaluation", "How it was evaluated"),
    ("key_learning", "Key learning"),
    ("to_repeat", "What you would need to do the same"),
)


def number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"£{value:,.0f}" if value == value.to_integral() else f"£{value:,.2f}"


def _date(text):
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return text


def _pack(case: CaseStudy):
    try:
        return load_pack(case.framework)
    except KeyError:
        return load_pack(DEFAULT_PACK)


@dataclass(frozen=True)
class ActionLink:
    key: str
    code: str
    title: str
    url: str
    tier: str


def actions(case: CaseStudy) -> list[ActionLink]:
    pack = _pack(case)
    tiers = {t.key: t.name for t in pack.tiers}
    out = []
    for key in case.action_keys or []:
        try:
            a = pack.action(key)
        except KeyError:
            continue
        query = "" if pack.id == DEFAULT_PACK else f"?pack={pack.id}"
        out.append(
            ActionLink(
                key=a.key,
                code=a.code,
                title=a.title,
                url=reverse("catalogue:action", args=[a.key]) + query,
                tier=tiers[a.tier],
            )
        )
    return out


def themes(case: CaseStudy) -> list[str]:
    pack = _pack(case)
    names = {t.key: t.name for t in pack.themes}
    return [names.get(t, t) for t in case.themes or []]


def state_tag(case: CaseStudy) -> dict[str, str]:
    return {"label": case.state_label, "colour": STATE_TAG[case.state]}


def summary(case: CaseStudy, length: int = 220) -> str:
    text = " ".join(markdown.plain(case.problem or case.what_was_done).split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


def card(case: CaseStudy) -> dict[str, Any]:
    """One case study in a list."""
    return {
        "case": case,
        "url": reverse("casestudies:detail", args=[case.pk]),
        "organisation": case.organisation.name,
        "region": Region(case.region).label if case.region else "",
        "actions": actions(case),
        "themes": themes(case),
        "summary": summary(case),
        "cost": costs.BANDS.get(case.cost_band, ""),
        "evaluated": case.evaluated,
        "review_due": case.state == workflow.State.REVIEW_DUE,
    }


def facts(case: CaseStudy) -> list[tuple[str, str]]:
    """The short facts, as (label, text) rows of a summary list; empty ones left out."""
    rows = [
        ("Organisation", case.organisation.name),
        ("With", case.other_organisations),
        ("Region", Region(case.region).label if case.region else ""),
        ("Integrated Care Board", case.icb_name),
        ("Setting", Setting(case.setting).label if case.setting else ""),
        ("Themes", ", ".join(themes(case))),
        ("Groups served", "; ".join(vocab.GROUPS.get(g, g) for g in case.groups or [])),
        (
            "Core20PLUS5 areas",
            "; ".join(vocab.CORE20PLUS5_AREAS.get(a, a) for a in case.core20plus5 or []),
        ),
        (
            "Community involvement",
            Engagement(case.engagement_level).label if case.engagement_level else "",
        ),
        (
            "Cost",
            " ".join(
                p
                for p in (
                    money(case.cost_amount),
                    f"({costs.BANDS[case.cost_band].lower()})" if case.cost_band else "",
                )
                if p
            ),
        ),
        ("Funding", case.funding),
        ("Staff time", case.staff_time),
        ("How long it took", case.duration),
        (
            "Evaluated",
            ("Yes" + (f" ({case.evaluated_by})" if case.evaluated_by else ""))
            if case.evaluated
            else "No formal evaluation",
        ),
        ("Sponsorship declared", case.sponsorship),
    ]
    return [(label, text) for label, text in rows if text]


def body(case: CaseStudy) -> dict[str, Any]:
    """Everything the shared case-study body template shows. No reviewer notes, ever."""
    measure = {
        "name": case.measure,
        "unit": case.unit,
        "baseline": number(case.baseline_value),
        "outcome": number(case.outcome_value),
    }
    return {
        "case": case,
        "facts": facts(case),
        "actions": actions(case),
        "measure": measure if (case.measure or measure["baseline"] or measure["outcome"]) else None,
        "chart": mark_safe(case.chart_svg) if case.chart_svg else "",  # drawn by gpequity
        "chart_points": [
            {"date": _date(p.get("date")), "value": p.get("value", "")}
            for p in case.chart_points or []
        ],
        "sections": [
            (key, title, mark_safe(markdown.render(getattr(case, key))))
            for key, title in SECTIONS
            if (getattr(case, key) or "").strip()
        ],
        "contact": (
            {"name": case.contact_name, "email": case.contact_email}
            if case.contact_opt_in and case.contact_email
            else None
        ),
        "published_on": case.published_on,
        "review_due": case.state == workflow.State.REVIEW_DUE,
    }


EXPORT_FIELDS = (
    "id",
    "title",
    "organisation",
    "ods_code",
    "other_organisations",
    "region",
    "icb",
    "setting",
    "action_codes",
    "action_keys",
    "themes",
    "groups",
    "core20plus5",
    "problem",
    "what_was_done",
    "partners",
    "engagement_level",
    "community_involvement",
    "cost_amount",
    "cost_band",
    "funding",
    "staff_time",
    "duration",
    "measure",
    "unit",
    "baseline_value",
    "outcome_value",
    "baseline",
    "outcomes",
    "cycles",
    "evaluated",
    "evaluation",
    "evaluated_by",
    "key_learning",
    "to_repeat",
    "contact_name",
    "contact_email",
    "sponsorship",
    "state",
    "published_on",
    "review_due_on",
    "url",
)


def public_record(case: CaseStudy, base_url: str = "") -> dict[str, Any]:
    """A published case study for the open API and exports: the Markdown as written, no
    reviewer notes, no checklist, the contact only when the author offered one."""
    contact = case.contact_opt_in and case.contact_email
    return {
        "id": case.pk,
        "title": case.title,
        "organisation": case.organisation.name,
        "ods_code": case.organisation.ods_code,
        "other_organisations": case.other_organisations,
        "region": case.region,
        "icb": case.icb_name,
        "setting": case.setting,
        "action_codes": [a.code for a in actions(case)],
        "action_keys": list(case.action_keys or []),
        "themes": list(case.themes or []),
        "groups": list(case.groups or []),
        "core20plus5": list(case.core20plus5 or []),
        "problem": case.problem,
        "what_was_done": case.what_was_done,
        "partners": case.partners,
        "engagement_level": case.engagement_level,
        "community_involvement": case.community_involvement,
        "cost_amount": number(case.cost_amount) or None,
        "cost_band": case.cost_band,
        "funding": case.funding,
        "staff_time": case.staff_time,
        "duration": case.duration,
        "measure": case.measure,
        "unit": case.unit,
        "baseline_value": number(case.baseline_value) or None,
        "outcome_value": number(case.outcome_value) or None,
        "baseline": case.baseline,
        "outcomes": case.outcomes,
        "cycles": case.cycles,
        "evaluated": case.evaluated,
        "evaluation": case.evaluation,
        "evaluated_by": case.evaluated_by,
        "key_learning": case.key_learning,
        "to_repeat": case.to_repeat,
        "contact_name": case.contact_name if contact else "",
        "contact_email": case.contact_email if contact else "",
        "sponsorship": case.sponsorship,
        "state": case.state,
        "published_on": case.published_on.isoformat() if case.published_on else None,
        "review_due_on": case.review_due_on.isoformat() if case.review_due_on else None,
        "url": base_url + reverse("casestudies:detail", args=[case.pk]),
    }
