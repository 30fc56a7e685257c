"""Words people read for the DATA.md groupings and groups, and numbers as shown.

One place for every label, so the command line, the web pages, the PDF and the XLSX export
name a group the same way ("most deprived fifth (Q1)", never "imd_quintile Q1"). The ids
themselves (``imd_quintile``, ``Q1``) stay as DATA.md has them in every table and file.
"""

from __future__ import annotations

import math

# --------------------------------------------------------------------------- groupings

_GROUPINGS = {
    "overall": "Everyone",
    "imd_quintile": "Deprivation (IMD fifth)",
    "imd_decile": "Deprivation (IMD tenth)",
    "ethnic_group": "Ethnic group",
    "age_band": "Age band",
    "sex": "Sex",
    "focus_group": "Focus group",
    "homeless": "Homeless",
    "asylum_seeker_or_refugee": "Asylum seeker or refugee",
    "gypsy_roma_traveller": "Gypsy, Roma or Traveller",
    "drug_alcohol_dependence": "Drug or alcohol dependence",
    "sex_worker": "Sex worker",
    "justice_contact": "Contact with the justice system",
    "interpreter_needed": "Interpreter needed",
}

# What a "yes" means for each yes/no grouping, as it follows "patients ...".
_FLAG_YES = {
    "homeless": "recorded as homeless",
    "asylum_seeker_or_refugee": "recorded as an asylum seeker or refugee",
    "gypsy_roma_traveller": "recorded as Gypsy, Roma or Traveller",
    "drug_alcohol_dependence": "recorded with drug or alcohol dependence",
    "sex_worker": "recorded as a sex worker",
    "justice_contact": "recorded as in contact with the justice system",
    "interpreter_needed": "needing an interpreter",
}
_FLAG_NO = {
    "homeless": "not recorded as homeless",
    "asylum_seeker_or_refugee": "not recorded as an asylum seeker or refugee",
    "gypsy_roma_traveller": "not recorded as Gypsy, Roma or Traveller",
    "drug_alcohol_dependence": "not recorded with drug or alcohol dependence",
    "sex_worker": "not recorded as a sex worker",
    "justice_contact": "not recorded as in contact with the justice system",
    "interpreter_needed": "not needing an interpreter",
}

_QUINTILES = {
    "Q1": "most deprived fifth (Q1)",
    "Q2": "second most deprived fifth (Q2)",
    "Q3": "middle fifth (Q3)",
    "Q4": "second least deprived fifth (Q4)",
    "Q5": "least deprived fifth (Q5)",
    "unknown": "deprivation not known",
}
_ETHNIC = {
    "White": "White",
    "Mixed": "Mixed or multiple ethnic groups",
    "Asian": "Asian or Asian British",
    "Black": "Black or Black British",
    "Other": "Other ethnic group",
    "Not stated": "ethnicity not stated",
    "Not recorded": "ethnicity not recorded",
}
_ETHNIC_PHRASE = {
    "White": "for White patients",
    "Mixed": "for patients of Mixed or multiple ethnic groups",
    "Asian": "for Asian or Asian British patients",
    "Black": "for Black or Black British patients",
    "Other": "for patients of another ethnic group",
    "Not stated": "for patients with ethnicity not stated",
    "Not recorded": "for patients with ethnicity not recorded",
}
_SEX = {"female": "female", "male": "male", "other": "other sex", "unknown": "sex not known"}

MIRRORED = (("yes", "no"), ("in", "out"))
"""Groupings of exactly two groups that are each other's rest (DATA.md "Findings")."""


def grouping_label(grouping: str) -> str:
    """A grouping's name as a heading: ``imd_quintile`` -> "Deprivation (IMD fifth)"."""
    if grouping in _GROUPINGS:
        return _GROUPINGS[grouping]
    return grouping.replace("_", " ").capitalize()


def _decile(group: str) -> str:
    if group == "1":
        return "most deprived tenth (decile 1)"
    if group == "10":
        return "least deprived tenth (decile 10)"
    return f"decile {group}"


def group_label(grouping: str, group: str) -> str:
    """A group as people read it: ("imd_quintile", "Q1") -> "most deprived fifth (Q1)".

    Labels are lower case where they sit inside a sentence ("aged 65-79", "recorded as
    homeless", "in the Focus group"); names that are always capitalised stay so ("Asian or
    Asian British"). Capitalise the first letter for a table cell if wanted.
    """
    if grouping == "overall":
        return "everyone"
    if grouping == "imd_quintile":
        return _QUINTILES.get(group, f"IMD {group}")
    if grouping == "imd_decile":
        return "deprivation not known" if group == "unknown" else _decile(group)
    if grouping == "ethnic_group":
        return _ETHNIC.get(group, group)
    if grouping == "age_band":
        return "aged 80 and over" if group == "80+" else f"aged {group}"
    if grouping == "sex":
        return _SEX.get(group, group)
    if grouping == "focus_group":
        return {"in": "in the Focus group", "out": "not in the Focus group"}.get(group, group)
    if grouping in _FLAG_YES and group in ("yes", "no"):
        return (_FLAG_YES if group == "yes" else _FLAG_NO)[grouping]
    if group in ("yes", "no"):
        name = grouping.replace("_", " ")
        return name if group == "yes" else f"not {name}"
    return f"{grouping_label(grouping)}: {group}"


_NEVER_MIRRORED = frozenset(
    {"overall", "imd_quintile", "imd_decile", "ethnic_group", "age_band", "sex"}
)


def mirror(grouping: str, group: str) -> str | None:
    """The other group of a yes/no (flags) or in/out (Focus) grouping, else None."""
    if grouping in _NEVER_MIRRORED:
        return None
    for a, b in MIRRORED:
        if group == a:
            return b
        if group == b:
            return a
    return None


def rest_label(grouping: str, group: str) -> str:
    """Who a group is compared with: "everyone else", or the other group of a yes/no or
    in/out grouping ("not recorded as homeless", "not in the Focus group")."""
    if grouping == "overall":
        return "nobody else"
    other = mirror(grouping, group)
    return group_label(grouping, other) if other else "everyone else"


def group_phrase(grouping: str, group: str) -> str:
    """The group inside a sentence, after "X is lower ...": "in the most deprived fifth
    (Q1)", "for patients aged 65-79", "for Asian or Asian British patients"."""
    label = group_label(grouping, group)
    if grouping == "overall":
        return "for everyone"
    if grouping in ("imd_quintile", "imd_decile"):
        if group == "unknown":
            return "for patients whose deprivation is not known"
        return f"in the {label}" if "tenth" in label or "fifth" in label else f"in IMD {label}"
    if grouping == "ethnic_group":
        return _ETHNIC_PHRASE.get(group, f"for patients in the {label} group")
    if grouping == "sex":
        return (
            f"for patients with {label}"
            if group in ("other", "unknown")
            else f"for {label} patients"
        )
    if grouping == "focus_group":
        return "in the Focus group" if group == "in" else "outside the Focus group"
    return f"for patients {label}"


def rest_phrase(grouping: str, group: str) -> str:
    """The rest inside a sentence, after "... 52.1% against 68.4% ...": "for everyone
    else", "for patients not recorded as homeless", "in the Focus group"."""
    other = mirror(grouping, group)
    if other is None:
        return "for everyone else"
    return group_phrase(grouping, other)


# --------------------------------------------------------------------------- numbers


def format_value(value: float | None, kind: str) -> str:
    """A value as shown: proportions as a percentage to one decimal place ("52.1%"),
    means to three decimal places ("0.512"); blank values as "not available"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not available"
    if kind == "proportion":
        return f"{value * 100:.1f}%"
    return f"{value:.3f}"


def format_difference(value: float, kind: str) -> str:
    """A gap as shown: percentage points for proportions ("16.3 points"), the mean's own
    unit otherwise ("0.050")."""
    if kind == "proportion":
        points = value * 100
        return f"{points:.1f} point" + ("" if f"{points:.1f}" == "1.0" else "s")
    return f"{value:.3f}"


def format_number(value: float, kind: str) -> str:
    """A bound of a gap's interval without its unit ("12.0", "0.041")."""
    return f"{value * 100:.1f}" if kind == "proportion" else f"{value:.3f}"
