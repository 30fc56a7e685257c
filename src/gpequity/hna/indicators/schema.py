"""Pydantic schema of indicator definitions (YAML files in this folder and user files).

An indicator is data: who is counted (denominator), who of them meets the standard
(numerator) or which per-patient value is averaged (``value``), over patient or appointment
rows. Derived per-patient measures (appointment counts, continuity) are referenced by name,
as if they were columns; the engine and the twin each compute them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gpequity.hna import columns as C
from gpequity.hna.columns import APPOINTMENTS_SCHEMA
from gpequity.hna.criteria import CODES, ORDERED_OPS, schema_types
from gpequity.hna.indicators.conditions import (
    All,
    AnyOf,
    AtLeast,
    Compare,
    Flag,
    Node,
    Not,
    SinceSeasonStart,
    WithinMonths,
    columns,
    columns_outside_at_least,
    parse_condition,
    to_data,
)

# Derived per-patient measures: name -> what it counts. All appointment counts use the
# 12-month appointment window of DATA.md.
PATIENT_MEASURES: dict[str, str] = {
    "ltc_count": "number of the ten long-term conditions recorded for the patient",
}
APPOINTMENT_MEASURES: dict[str, str] = {
    "appointments_in_window": "appointments of any status in the 12-month window",
    "dna_count_in_window": "appointments marked dna in the window",
    "online_booked_in_window": "appointments in the window booked online",
    "attended_gp_with_clinician_in_window": (
        "attended appointments in the window with a gp whose clinician_id is recorded"
    ),
    "continuity_upc": (
        "usual provider of care over those gp appointments: share with the most-seen gp "
        "(blank when fewer than 2)"
    ),
    "continuity_coc": (
        "Bice-Boxerman continuity of care over those gp appointments (blank when fewer than 2)"
    ),
}
MEASURES: dict[str, str] = {**PATIENT_MEASURES, **APPOINTMENT_MEASURES}
APPOINTMENT_COLUMNS = frozenset(APPOINTMENTS_SCHEMA.names)

Condition = Annotated[
    Node,
    BeforeValidator(parse_condition),
    PlainSerializer(to_data, return_type=Any),
]


class Indicator(BaseModel):
    """One indicator definition. See default.yaml for worked examples."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    unit: Literal["patients", "appointments"] = Field(
        description="what is counted; may be left out, as it follows from the level"
    )
    kind: Literal["proportion", "mean"]
    level: Literal["patient", "appointment"] = "patient"
    denominator: Condition
    numerator: Condition | None = None
    value: str | None = Field(default=None, description="per-patient value averaged by a mean")
    needs_appointments: bool = False
    higher_is_better: bool | None = Field(
        default=None, description="direction for the summary; null when neither is better"
    )

    @model_validator(mode="before")
    @classmethod
    def _unit_from_level(cls, data: Any) -> Any:
        """``unit`` may be left out: it follows from the level."""
        if isinstance(data, dict) and data.get("unit") is None:
            level = data.get("level", "patient")
            data = {**data, "unit": "appointments" if level == "appointment" else "patients"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        self._check_kind()
        self._check_level()
        self._check_appointments()
        return self

    @field_validator("denominator", "numerator")
    @classmethod
    def _within_the_contract(cls, node: Node | None, info: ValidationInfo) -> Node | None:
        """Checked per field, so that a problem names the line of that field."""
        if node is not None:
            _check_against_contract(node, _contract_types(info.data.get("level", "patient")))
        return node

    def _check_kind(self) -> None:
        if self.kind == "proportion" and (self.numerator is None or self.value is not None):
            raise ValueError("a proportion needs a numerator and no value")
        if self.kind == "mean" and (self.value is None or self.numerator is not None):
            raise ValueError("a mean needs a value (a measure or column) and no numerator")
        if self.kind == "mean" and self.level != "patient":
            raise ValueError("means are over patients (level: patient)")

    def _check_level(self) -> None:
        expected = "appointments" if self.level == "appointment" else "patients"
        if self.unit != expected:
            raise ValueError(f"level {self.level} counts {expected}: set unit: {expected}")
        if self.level == "appointment":
            measures = self.referenced() & set(MEASURES)
            if measures:
                raise ValueError(
                    f"appointment-level conditions read appointment columns, not {sorted(measures)}"
                )
            if not self.needs_appointments:
                raise ValueError("an appointment-level indicator needs appointments")

    def _check_appointments(self) -> None:
        hard = columns_outside_at_least(self.denominator)
        if self.numerator is not None:
            hard |= columns_outside_at_least(self.numerator)
        if self.value is not None:
            hard.add(self.value)
        needs = hard & set(APPOINTMENT_MEASURES)
        if needs and not self.needs_appointments:
            raise ValueError(
                f"reads {sorted(needs)} from appointments: set needs_appointments: true"
            )

    def referenced(self) -> set[str]:
        """Every column or measure name the definition reads."""
        names = columns(self.denominator)
        if self.numerator is not None:
            names |= columns(self.numerator)
        if self.value is not None:
            names.add(self.value)
        return names


class IndicatorFile(BaseModel):
    """A YAML file of indicator definitions."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _unique(self) -> IndicatorFile:
        seen: set[str] = set()
        for ind in self.indicators:
            if ind.id in seen:
                raise ValueError(f"indicator id '{ind.id}' is defined twice")
            seen.add(ind.id)
        return self


# --------------------------------------------------------------------------- the contract


# A column outside the contract (an extract's own) is not known here: a run skips the
# indicator if the extract lacks it.
def _contract_types(level: str) -> dict[str, str]:
    """Column (or measure) -> bool, int, number, code, date or text, at this level."""
    schema = APPOINTMENTS_SCHEMA if level == "appointment" else C.PATIENTS_SCHEMA
    types: dict[str, str] = dict(schema_types(schema))
    if level == "patient":
        types.update(dict.fromkeys(MEASURES, "int"))
        types["continuity_upc"] = types["continuity_coc"] = "number"
    return types


def _check_against_contract(node: Node, types: dict[str, str]) -> None:
    """Values a column can never hold are mistakes: a misspelt code would count nobody, and
    a word where a number or date belongs cannot be compared. Say which and where."""
    match node:
        case All(items) | AnyOf(items) | AtLeast(_, items):
            for item in items:
                _check_against_contract(item, types)
        case Not(item):
            _check_against_contract(item, types)
        case Compare(column, op, value) if column in types:
            where = f"{{{column}: {{{op}: {json.dumps(value, default=str)}}}}}"
            kind = types[column]
            if op in ORDERED_OPS and kind in ("bool", "code", "text"):
                raise ValueError(f"{where}: '{op}' cannot be used on {column} ({kind} column)")
            for v in value if isinstance(value, tuple) else (value,):
                _check_value(where, column, kind, v)
        case Flag(column, _) if types.get(column, "bool") != "bool":
            raise ValueError(
                f"a bare true/false tests a true/false column; {column} is "
                f"{types[column]}: compare it, e.g. {{{column}: {{eq: ...}}}}"
            )
        case WithinMonths(column, _) | SinceSeasonStart(column, _, _) if (
            types.get(column, "date") != "date"
        ):
            raise ValueError(f"{column} is not a date column ({types[column]})")


def _check_value(where: str, column: str, kind: str, value: Any) -> None:
    wrong = None
    if kind == "code" and value not in CODES[column]:
        wrong = f"one of {', '.join(CODES[column])}"
    elif kind == "bool" and not isinstance(value, bool):
        wrong = "true or false"
    elif kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        wrong = "a whole number"
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        wrong = "a number"
    elif kind == "date" and not isinstance(value, date):
        wrong = "a date (YYYY-MM-DD)"
    elif kind == "text" and not isinstance(value, str):
        wrong = "text"
    if wrong:
        raise ValueError(f"{where}: {column} is {wrong}, not {value!r}")
