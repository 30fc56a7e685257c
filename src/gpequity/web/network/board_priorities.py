"""How the board report maps to the five national priorities for reducing healthcare
inequalities, around which the NHS Confederation's board assurance tool for health
inequalities is organised (ADR 27).

The priorities are NHS England's; the wording, and which toolkit themes and DATA.md
indicators speak to each, are gpequity's own reading. Each priority lists the evidence the
report holds for it, worked out from the report's own content so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Priority:
    number: int
    name: str
    meaning: str
    themes: tuple[str, ...]
    indicators: tuple[str, ...]


PRIORITIES = (
    Priority(
        1,
        "Restore services inclusively",
        "Services come back and stay open to everyone, watching for the people who miss out.",
        ("access-and-flexibility", "addressing-missingness", "continuity-of-care"),
        ("dna_rate", "missingness_high", "face_to_face_share", "continuity_upc", "continuity_coc"),
    ),
    Priority(
        2,
        "Reduce digital exclusion",
        "Moving care online does not leave behind people who cannot or will not use it.",
        ("digital-inclusion",),
        ("online_booking_never",),
    ),
    Priority(
        3,
        "Complete and timely data",
        "Records say who patients are (ethnicity, language, needs) so gaps can be seen.",
        ("health-needs-assessment",),
        (
            "ethnicity_recorded",
            "language_recorded",
            "smoking_status_recorded",
            "ld_register",
            "carer_register",
        ),
    ),
    Priority(
        4,
        "Prevention that reaches those at greatest risk",
        "Screening, vaccination and health checks reach the groups least likely to get them.",
        ("care-for-focus-patients", "health-literacy-and-education"),
        (
            "cervical_screening",
            "breast_screening",
            "bowel_screening",
            "flu_vaccine_65plus",
            "bp_recorded_5y",
            "smi_health_check",
            "ld_health_check",
        ),
    ),
    Priority(
        5,
        "Leadership and accountability",
        "Leaders own the work, track it and involve the people it is for.",
        ("values-and-behaviours", "team-education", "structural-competence", "advocacy-and-policy"),
        (),
    ),
)


def _theme_progress(ctx: dict[str, Any], themes: tuple[str, ...]) -> list[str]:
    out = []
    for row in ctx["progress"]["themes"]:
        if row["key"] in themes and row["median"] is not None:
            out.append(
                f"{row['name']}: half the sharing practices have {row['median']}% or more of "
                "its actions in place."
            )
    return out


def _gap_lines(ctx: dict[str, Any], indicators: tuple[str, ...]) -> list[str]:
    return [
        f"Largest gap: {g.finding.indicator_title.lower()} ({g.difference} behind for "
        f"{g.finding.worse_group_label})."
        for g in ctx["gaps"]["gaps"]
        if g.finding.indicator in indicators
    ]


def priority_rows(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Each priority with the report's evidence for it, as plain sentences."""
    rows = []
    for p in PRIORITIES:
        lines = _gap_lines(ctx, p.indicators) + _theme_progress(ctx, p.themes)
        if p.number == 3:
            c = ctx["counts"]
            lines.append(
                f"{c['hna']} of {c['practices']} practices share their health needs "
                "assessment results with the network."
            )
        if p.number == 5:
            a = ctx["actions"]
            lines.append(
                f"{a['total']} plan items across the sharing practices, "
                f"{a['overdue_count']} past their due date."
            )
            total = ctx["engagement"]["total"]
            if total["with_share"] is not None:
                lines.append(
                    f"{total['with_share'] * 100:.0f}% of engagement activities in the "
                    "last 12 months were done with people rather than to or for them."
                )
            elif not total["none"]:
                lines.append(
                    "Too few engagement activities in the last 12 months to say what share "
                    "was done with people (the counts are suppressed)."
                )
            lines.append(f"{len(ctx['case_studies'])} case studies published.")
        if not lines:
            lines.append("The report holds no evidence for this priority yet.")
        rows.append({"priority": p, "lines": lines})
    return rows
