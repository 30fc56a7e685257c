"""The Focus Patient group builder's forms: a form, never typed JSON.

Each row of the formset is one condition (characteristic, comparison, value). Rows are
checked here against the DATA.md codes so users get messages in plain words; the combined
criteria are then validated again by the core ``gpequity.hna.criteria.parse_criteria``, the
same parser the HNA engine uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from gpequity.hna import columns as cols
from gpequity.hna.criteria import Condition

INTEGER, CODE, TEXT, BOOLEAN = "integer", "code", "text", "boolean"


@dataclass(frozen=True)
class ColumnSpec:
    """What the builder knows about one patient column: label, kind and allowed codes."""

    name: str
    label: str
    kind: str
    codes: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None


_FLAG_LABELS = {
    "interpreter_needed": "Interpreter needed",
    "learning_disability": "Learning disability",
    "severe_mental_illness": "Severe mental illness",
    "carer": "Carer",
    "homeless": "Homeless",
    "drug_alcohol_dependence": "Drug or alcohol dependence",
    "asylum_seeker_or_refugee": "Asylum seeker or refugee",
    "gypsy_roma_traveller": "Gypsy, Roma or Traveller",
    "veteran": "Veteran",
    "trans_or_non_binary": "Trans or non-binary",
    "sex_worker": "Sex worker",
    "justice_contact": "In contact with the justice system",
    "reasonable_adjustment_flag": "Reasonable adjustment flag",
    "non_digital_preference": "Prefers non-digital contact",
}
_LTC_LABELS = {
    "hypertension": "Hypertension",
    "diabetes": "Diabetes",
    "copd": "COPD",
    "asthma": "Asthma",
    "chd": "Coronary heart disease",
    "heart_failure": "Heart failure",
    "ckd": "Chronic kidney disease",
    "cancer": "Cancer",
    "dementia": "Dementia",
    "depression": "Depression",
}

COLUMNS: dict[str, ColumnSpec] = {
    spec.name: spec
    for spec in (
        ColumnSpec(
            "imd_decile", "IMD decile (1 = most deprived 10% of areas)", INTEGER, low=1, high=10
        ),
        ColumnSpec("age", "Age in years", INTEGER, low=0, high=120),
        ColumnSpec("sex", "Sex", CODE, codes=cols.SEX),
        ColumnSpec("ethnicity", "Ethnic category code", CODE, codes=cols.ETHNICITY_CODES),
        ColumnSpec("language", "Main spoken language", TEXT),
        *(ColumnSpec(c, _FLAG_LABELS.get(c, c), BOOLEAN) for c in cols.PATIENT_FLAGS),
        *(ColumnSpec(c, _LTC_LABELS.get(c, c), BOOLEAN) for c in cols.LONG_TERM_CONDITIONS),
        ColumnSpec("smoker", "Smoking status", CODE, codes=cols.SMOKER),
    )
}

OPERATORS: dict[str, str] = {
    "eq": "is",
    "ne": "is not",
    "le": "is at most",
    "ge": "is at least",
    "lt": "is less than",
    "gt": "is more than",
    "in": "is one of",
    "not_in": "is not one of",
    "true": "is recorded as yes",
    "false": "is recorded as no",
}
ORDERING_OPS = ("le", "ge", "lt", "gt")
LIST_OPS = ("in", "not_in")
BOOLEAN_OPS = ("true", "false")

# Quick-add rows: (key, button label, column, operator, value).
PRESETS: tuple[tuple[str, str, str, str, str], ...] = (
    ("core20", "Core20: IMD decile at most 2", "imd_decile", "le", "2"),
    ("homeless", "Homeless", "homeless", "true", ""),
    ("asylum", "Asylum seeker or refugee", "asylum_seeker_or_refugee", "true", ""),
    ("ld", "Learning disability", "learning_disability", "true", ""),
    ("smi", "Severe mental illness", "severe_mental_illness", "true", ""),
    ("grt", "Gypsy, Roma or Traveller", "gypsy_roma_traveller", "true", ""),
    ("interpreter", "Interpreter needed", "interpreter_needed", "true", ""),
)
PRESET_ROWS = {key: {"column": c, "op": op, "value": v} for key, _, c, op, v in PRESETS}


class FocusMetaForm(forms.Form):
    mode = forms.ChoiceField(
        label="Which patients are in the Focus group?",
        choices=[
            ("any", "Patients who meet any of these"),
            ("all", "Patients who meet all of these"),
        ],
        widget=forms.RadioSelect,
        initial="any",
        error_messages={
            "required": "Choose whether patients must meet any or all of the conditions"
        },
    )
    rationale = forms.CharField(
        label="Why this group",
        help_text="Why the practice chose these patients: local needs, evidence, priorities.",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    data_sources = forms.CharField(
        label="Data sources",
        help_text="Where the characteristics come from, for example the clinical system "
        "codes or registers you searched.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class ConditionForm(forms.Form):
    """One condition row. The formset lets a row be left empty (it is then ignored)."""

    column = forms.ChoiceField(
        label="Characteristic",
        error_messages={"required": "Choose a characteristic for this condition"},
        choices=[("", "Choose a characteristic")] + [(k, s.label) for k, s in COLUMNS.items()],
    )
    op = forms.ChoiceField(
        label="Comparison",
        error_messages={"required": "Choose a comparison for this condition"},
        choices=[("", "Choose a comparison")] + list(OPERATORS.items()),
    )
    value = forms.CharField(
        label="Value",
        required=False,
        max_length=200,
        help_text="For 'is one of', separate values with commas. Leave blank for 'is recorded as'.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        column, op, raw = data.get("column"), data.get("op"), (data.get("value") or "").strip()
        if not column or not op:  # the required-field message is already shown
            return data
        try:
            data["condition"] = build_condition(COLUMNS[column], op, raw)
        except ValidationError as exc:
            self.add_error("op" if exc.code == "op" else "value", exc)
        return data


def build_condition(spec: ColumnSpec, op: str, raw: str) -> Condition:
    """One core ``Condition`` from a form row, or a ValidationError in plain words."""
    label = spec.label.split(" (")[0]
    if spec.kind == BOOLEAN:
        if op not in BOOLEAN_OPS:
            raise ValidationError(
                f"For {label}, choose 'is recorded as yes' or 'is recorded as no'", code="op"
            )
        if raw:
            raise ValidationError(f"Leave the value blank for {label}", code="value")
        return Condition(spec.name, "eq", op == "true")
    if op in BOOLEAN_OPS:
        raise ValidationError(
            f"'{OPERATORS[op]}' only applies to yes/no characteristics; choose another "
            f"comparison for {label}",
            code="op",
        )
    if op in ORDERING_OPS and spec.kind != INTEGER:
        raise ValidationError(
            f"{label} cannot be compared as more or less; choose 'is', 'is not', "
            "'is one of' or 'is not one of'",
            code="op",
        )
    if op in LIST_OPS:
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not parts:
            raise ValidationError(f"Enter one or more values for {label}, separated by commas")
        return Condition(spec.name, op, [_value(spec, p, label) for p in parts])
    if not raw:
        raise ValidationError(f"Enter a value for {label}")
    return Condition(spec.name, op, _value(spec, raw, label))


def _value(spec: ColumnSpec, raw: str, label: str) -> int | str:
    """A single typed value checked against the column's range or codes."""
    if spec.kind == INTEGER:
        try:
            number = int(raw)
        except ValueError:
            raise ValidationError(
                f"{label} must be a whole number from {spec.low} to {spec.high}; '{raw}' is not"
            ) from None
        if not spec.low <= number <= spec.high:
            raise ValidationError(
                f"{label} must be from {spec.low} to {spec.high}; {number} is outside that"
            )
        return number
    if spec.kind == CODE:
        value = raw.upper() if spec.name == "ethnicity" else raw.lower()
        if value not in spec.codes:
            raise ValidationError(
                f"{label} must be one of {', '.join(spec.codes)}; '{raw}' is not a code"
            )
        return value
    return raw


class BaseConditionFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        # Any row, prefilled or added, may be left completely empty and is then ignored.
        kwargs["empty_permitted"] = True
        kwargs["use_required_attribute"] = False
        return super()._construct_form(i, **kwargs)

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this condition"

    # The builder relaxes this for the top level when it also holds sub-groups, and names
    # the group in the message for a sub-group.
    allow_empty = False
    empty_message = "Add at least one condition"

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.allow_empty and not self.conditions():
            raise ValidationError(self.empty_message, code="empty")

    def conditions(self) -> list[Condition]:
        """The non-empty, non-removed conditions, in order."""
        out = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            condition = form.cleaned_data.get("condition")
            if condition:
                out.append(condition)
        return out


ConditionFormSet = formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=0,
    can_delete=True,
    max_num=30,
    validate_max=True,
)
PREFIX = "cond"


class GroupModeForm(forms.Form):
    """How a sub-group combines its conditions."""

    mode = forms.ChoiceField(
        label="Patients in this group meet",
        choices=[("any", "Any of these conditions"), ("all", "All of these conditions")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether patients must meet any or all of them"},
    )


def row_for_condition(condition: Condition) -> dict[str, str] | None:
    """The form row for a parsed core condition, or None when the row could not say exactly
    the same thing (a column or operator the form does not offer, a value it would change)."""
    spec = COLUMNS.get(condition.column)
    if spec is None:
        return None
    value = condition.value
    if spec.kind == BOOLEAN:
        if condition.op != "eq" or not isinstance(value, bool):
            return None
        row = {"column": spec.name, "op": "true" if value else "false", "value": ""}
    else:
        text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        row = {"column": spec.name, "op": condition.op, "value": text}
    try:
        rebuilt = build_condition(spec, row["op"], row["value"].strip())
    except ValidationError:
        return None
    return row if rebuilt.to_dict() == condition.to_dict() else None
