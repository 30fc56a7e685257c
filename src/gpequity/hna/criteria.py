"""Focus Patient criteria (DATA.md): data, never code.

A practice describes its Focus Patient group as conditions over patient columns combined
with ``any``/``all``, e.g. ``{"any": [{"imd_decile": {"le": 2}}, {"homeless": true}]}``.
This module parses and type-checks that JSON shape (pydantic for the shape, then checks
against the column contract), offers a small builder for the web form (``Condition``,
``Group``, ``to_dict``), and turns criteria into three things that must agree:

- ``to_python``: a plain-Python predicate over a row dict (the obviously correct twin);
- ``to_ibis``: an ibis boolean expression for the engine (blank values give false);
- ``describe``: a sentence for people.

A comparison on a blank (None/NULL) value is false, whatever the operator (so ``ne`` and
``not_in`` are false on a blank too). Nothing is ever evaluated as code.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from . import columns as C

if TYPE_CHECKING:  # ibis is only needed by to_ibis; keep import time low for other users.
    import ibis.expr.types as ir

Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"]
OPS: tuple[str, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
Mode = Literal["any", "all"]


# A problem and where it is: the item's position, group by group (``(2, 0)`` is the first
# item of the group that is the top group's third item; ``()`` is the top group itself).
Problem = tuple[tuple[int, ...], str]


class CriteriaError(ValueError):
    """Criteria that are malformed or do not fit the columns; the message names the condition.

    ``problems`` lists each problem with its item's position, so that a reader of a file can
    say which line it is on.
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> CriteriaError:
        return cls("; ".join(message for _, message in problems), problems)


# ------------------------------------------------------------------ the JSON shape (pydantic)

Scalar = StrictBool | StrictInt | StrictStr
OpValue = Scalar | list[Scalar]


class AnyGroupModel(BaseModel):
    """``{"any": [...]}``: true when at least one item is."""

    model_config = ConfigDict(extra="forbid")
    any: list[Item] = Field(min_length=1)


class AllGroupModel(BaseModel):
    """``{"all": [...]}``: true when every item is."""

    model_config = ConfigDict(extra="forbid")
    all: list[Item] = Field(min_length=1)


# Operators are checked after parsing, so that an unknown one gets a clear message.
ConditionModel = dict[str, StrictBool | dict[str, OpValue]]
Item = AnyGroupModel | AllGroupModel | ConditionModel
AnyGroupModel.model_rebuild()
AllGroupModel.model_rebuild()


class CriteriaModel(RootModel[AnyGroupModel | AllGroupModel]):
    """The Focus Patient criteria document: one top-level any/all group."""


def criteria_json_schema() -> dict[str, Any]:
    """JSON Schema of the criteria document (for forms and API docs)."""
    return CriteriaModel.model_json_schema()


# ------------------------------------------------------------------ the builder / parsed form


@dataclass(frozen=True)
class Condition:
    """``column op value``; for a boolean column ``Condition("homeless", "eq", True)``."""

    column: str
    op: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        value = _jsonable(self.value)
        if self.op == "eq" and isinstance(self.value, bool):
            return {self.column: value}
        return {self.column: {self.op: value}}


@dataclass(frozen=True, init=False)
class Group:
    """``any``/``all`` of conditions and nested groups."""

    mode: str = "any"
    items: tuple[Condition | Group, ...]

    def __init__(self, mode: str = "any", items: Iterable[Condition | Group] = ()) -> None:
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "items", tuple(items))

    def to_dict(self) -> dict[str, Any]:
        return {self.mode: [item.to_dict() for item in self.items]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


Criteria = Group


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


# ------------------------------------------------------------------ column types

ColumnType = Literal["bool", "int", "code", "text", "date"]

# The coded columns of the contract, patients' and appointments' (indicator definitions
# check appointment-level conditions with the same table, ``indicators.schema``).
CODES: dict[str, tuple[str, ...]] = {
    "sex": C.SEX,
    "ethnicity": C.ETHNICITY_CODES,
    "smoker": C.SMOKER,
    "status": C.APPOINTMENT_STATUS,
    "clinician_role": C.CLINICIAN_ROLE,
    "mode": C.MODE,
    "booked_via": C.BOOKED_VIA,
}
_INT_RANGE = {"age": (0, 120), "imd_decile": (1, 10)}


def schema_types(schema: pa.Schema) -> dict[str, ColumnType]:
    """Each column of a contract schema with its type."""
    types: dict[str, ColumnType] = {}
    for f in schema:
        if f.name in CODES:
            types[f.name] = "code"
        elif pa.types.is_boolean(f.type):
            types[f.name] = "bool"
        elif pa.types.is_integer(f.type):
            types[f.name] = "int"
        elif pa.types.is_date(f.type):
            types[f.name] = "date"
        else:
            types[f.name] = "text"
    return types


def column_types(extra_columns: Iterable[str] = ()) -> dict[str, ColumnType]:
    """The columns criteria may use, with their types (patient_id is not a criterion)."""
    types = schema_types(C.PATIENTS_SCHEMA)
    del types["patient_id"]
    for name in extra_columns:
        types.setdefault(name, "text")
    return types


ORDERED_OPS = frozenset({"lt", "le", "gt", "ge"})


# ------------------------------------------------------------------ parsing and checking


def json_problem(exc: json.JSONDecodeError) -> str:
    """Where JSON text broke and what came just before, e.g. ``line 1, column 10 (after
    '{"any": [')``: criteria typed on one line are easier to fix with the place shown."""
    line_start = exc.doc.rfind("\n", 0, exc.pos) + 1  # as json counts lines and columns
    before = exc.doc[max(line_start, exc.pos - 20) : exc.pos]
    near = f" (after {before!r})" if before.strip() else ""
    return f"{exc.msg} at line {exc.lineno}, column {exc.colno}{near}"


def parse_criteria(
    obj: Mapping[str, Any] | str | Group, *, extra_columns: Iterable[str] = ()
) -> Group:
    """Parse criteria from a dict, a JSON string or a builder ``Group``; type-check them.

    Raises ``CriteriaError`` naming every offending condition (joined by "; ").
    """
    types = column_types(extra_columns)
    if isinstance(obj, Group):
        return _checked(obj, types)
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise CriteriaError(f"criteria are not valid JSON ({json_problem(exc)})") from exc
    try:
        model = CriteriaModel.model_validate(obj)
    except PydanticValidationError as exc:
        raise CriteriaError(_shape_message(obj, exc)) from exc
    problems: list[Problem] = []
    group = _from_model(model.root, (), problems)
    if problems:
        raise CriteriaError.of(problems)
    return _checked(group, types)


def _checked(group: Group, types: dict[str, ColumnType]) -> Group:
    """The group type-checked, or one error listing every problem found in it."""
    problems: list[Problem] = []
    checked = _check_group(group, types, problems, ())
    if problems:
        raise CriteriaError.of(problems)
    return checked


def _shape_message(obj: Any, exc: PydanticValidationError) -> str:
    if not isinstance(obj, Mapping) or len(obj) != 1 or next(iter(obj)) not in ("any", "all"):
        return 'criteria must be one group: {"any": [...]} or {"all": [...]}'
    first = exc.errors()[0]
    where = "/".join(str(p) for p in first["loc"][1:] if not str(p).startswith(("Any", "All")))
    return f"criteria are not in the expected shape at {where or 'top level'}: {first['msg']}"


def _from_model(
    model: AnyGroupModel | AllGroupModel, path: tuple[int, ...], problems: list[Problem]
) -> Group:
    mode = "any" if isinstance(model, AnyGroupModel) else "all"
    items: list[Condition | Group] = []
    for i, item in enumerate(getattr(model, mode)):
        if isinstance(item, AnyGroupModel | AllGroupModel):
            items.append(_from_model(item, (*path, i), problems))
            continue
        try:
            items.append(_condition_from_dict(item))
        except CriteriaError as exc:
            problems.append(((*path, i), str(exc)))
    return Group(mode, items)


def _condition_from_dict(item: dict[str, Any]) -> Condition:
    text = json.dumps(item)
    if len(item) != 1:
        raise CriteriaError(f"condition {text}: a condition names exactly one column")
    ((column, body),) = item.items()
    if isinstance(body, bool):
        return Condition(column, "eq", body)
    if len(body) != 1:
        raise CriteriaError(f"condition {text}: give exactly one operator ({', '.join(OPS)})")
    ((op, value),) = body.items()
    return Condition(column, op, value)


def _check_group(
    group: Group, types: dict[str, ColumnType], problems: list[Problem], path: tuple[int, ...]
) -> Group:
    """The group with every condition in canonical form; problems are added to ``problems``."""
    if group.mode not in ("any", "all"):
        problems.append((path, f"group mode must be 'any' or 'all', not {group.mode!r}"))
    if not group.items:
        problems.append((path, f"an '{group.mode}' group needs at least one condition"))
    items: list[Condition | Group] = []
    for i, item in enumerate(group.items):
        if isinstance(item, Group):
            items.append(_check_group(item, types, problems, (*path, i)))
            continue
        try:
            items.append(_check_condition(item, types))
        except CriteriaError as exc:
            problems.append(((*path, i), str(exc)))
            items.append(item)
    return Group(group.mode, items)


def _check_condition(cond: Condition, types: dict[str, ColumnType]) -> Condition:
    """Validate one condition and return it with its value in canonical form."""
    where = f"condition {json.dumps(cond.to_dict(), default=str)}"
    kind = types.get(cond.column)
    if kind is None:
        close = difflib.get_close_matches(str(cond.column), list(types), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CriteriaError(f"{where}: unknown column {cond.column!r}{hint}")
    if cond.op not in OPS:
        raise CriteriaError(f"{where}: unknown operator {cond.op!r} (use {', '.join(OPS)})")
    listed = cond.op in ("in", "not_in")
    if listed and (not isinstance(cond.value, list | tuple) or not cond.value):
        raise CriteriaError(f"{where}: '{cond.op}' needs a non-empty list of values")
    if not listed and isinstance(cond.value, list | tuple):
        raise CriteriaError(f"{where}: '{cond.op}' needs a single value, not a list")
    if cond.op in ORDERED_OPS and kind in ("bool", "code", "text"):
        raise CriteriaError(f"{where}: '{cond.op}' cannot be used on {cond.column} ({kind} column)")
    values = list(cond.value) if listed else [cond.value]
    checked = [_check_value(where, cond.column, kind, v) for v in values]
    return Condition(cond.column, cond.op, tuple(checked) if listed else checked[0])


def _check_value(where: str, column: str, kind: ColumnType, value: Any) -> Any:
    match kind:
        case "bool":
            if not isinstance(value, bool):
                raise CriteriaError(f"{where}: {column} is true/false, not {value!r}")
            return value
        case "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise CriteriaError(f"{where}: {column} needs a whole number, not {value!r}")
            return value
        case "code":
            codes = CODES[column]
            if isinstance(value, str):
                folded = value.strip().upper() if column == "ethnicity" else value.strip().lower()
                if folded in codes:
                    return folded
            raise CriteriaError(
                f"{where}: {column} must be one of {', '.join(codes)}, not {value!r}"
            )
        case "date":
            if isinstance(value, date):
                return value
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            raise CriteriaError(f"{where}: {column} needs an ISO date YYYY-MM-DD, not {value!r}")
        case _:
            if not isinstance(value, str):
                raise CriteriaError(f"{where}: {column} is text; give the value as a string")
            return value


# ------------------------------------------------------------------ plain-Python evaluator

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}


def to_python(criteria: Group | Mapping[str, Any] | str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over one patient row (a dict of canonical values; blank = None)."""
    group = _as_group(criteria)

    def evaluate(node: Condition | Group, row: Mapping[str, Any]) -> bool:
        if isinstance(node, Group):
            results = (evaluate(i, row) for i in node.items)
            return any(results) if node.mode == "any" else all(results)
        value = row.get(node.column)
        if value is None:
            return False
        if isinstance(value, str) and isinstance(_first(node.value), date):
            value = date.fromisoformat(value)
        return bool(_COMPARE[node.op](value, node.value))

    return lambda row: evaluate(group, row)


def _as_group(criteria: Group | Mapping[str, Any] | str) -> Group:
    if isinstance(criteria, Group):
        return criteria
    return parse_criteria(criteria, extra_columns=_extras(criteria))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) else value


def _extras(criteria: Mapping[str, Any] | str) -> tuple[str, ...]:
    """Unknown columns are allowed when evaluating a raw document (they are text columns)."""
    obj = json.loads(criteria) if isinstance(criteria, str) else criteria
    known = column_types()
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, val in node.items():
                if key in ("any", "all") and isinstance(val, list):
                    for item in val:
                        walk(item)
                elif key not in known:
                    found.append(key)

    walk(obj)
    return tuple(found)


# ------------------------------------------------------------------ ibis evaluator


def to_ibis(criteria: Group | Mapping[str, Any] | str, table: ir.Table) -> ir.BooleanValue:
    """An ibis boolean over ``table``; a blank value makes its comparison false (never NULL)."""
    import ibis

    group = (
        criteria
        if isinstance(criteria, Group)
        else parse_criteria(criteria, extra_columns=[c for c in table.columns])
    )

    def build(node: Condition | Group) -> ir.BooleanValue:
        if isinstance(node, Group):
            parts = [build(i) for i in node.items]
            return reduce(
                (lambda a, b: a | b) if node.mode == "any" else (lambda a, b: a & b), parts
            )
        col = table[node.column]
        match node.op:
            case "in":
                expr = col.isin(list(node.value))
            case "not_in":
                expr = col.notin(list(node.value))
            case op:
                expr = _IBIS_COMPARE[op](col, ibis.literal(node.value))
        return ibis.coalesce(expr, False)

    return build(group)


_IBIS_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


# ------------------------------------------------------------------ plain English

_FLAG_PHRASES: dict[str, tuple[str, str]] = {
    "homeless": ("recorded as homeless", "not recorded as homeless"),
    "asylum_seeker_or_refugee": (
        "recorded as asylum seekers or refugees",
        "not recorded as asylum seekers or refugees",
    ),
    "gypsy_roma_traveller": (
        "from Gypsy, Roma or Traveller communities",
        "not recorded as Gypsy, Roma or Traveller",
    ),
    "drug_alcohol_dependence": (
        "with drug or alcohol dependence",
        "without drug or alcohol dependence",
    ),
    "sex_worker": ("recorded as sex workers", "not recorded as sex workers"),
    "justice_contact": (
        "in contact with the justice system",
        "not in contact with the justice system",
    ),
    "interpreter_needed": ("who need an interpreter", "who do not need an interpreter"),
    "learning_disability": ("with a learning disability", "without a learning disability"),
    "severe_mental_illness": ("with a severe mental illness", "without a severe mental illness"),
    "carer": ("who are carers", "who are not carers"),
    "veteran": ("who are armed forces veterans", "who are not veterans"),
    "trans_or_non_binary": (
        "who are trans or non-binary",
        "who are not recorded as trans or non-binary",
    ),
    "reasonable_adjustment_flag": (
        "with a reasonable adjustment flag",
        "without a reasonable adjustment flag",
    ),
    "non_digital_preference": ("who prefer non-digital contact", "with no non-digital preference"),
}
_CONDITION_NAMES = {
    "hypertension": "hypertension",
    "diabetes": "diabetes",
    "copd": "COPD",
    "asthma": "asthma",
    "chd": "coronary heart disease",
    "heart_failure": "heart failure",
    "ckd": "chronic kidney disease",
    "cancer": "cancer",
    "dementia": "dementia",
    "depression": "depression",
}
_LABELS = {
    "imd_decile": "IMD decile",
    "lsoa": "LSOA",
    "smoker": "smoking status",
    "last_bp_date": "last blood pressure date",
    "last_cervical_screen_date": "last cervical screening date",
    "last_breast_screen_date": "last breast screening date",
    "last_bowel_screen_date": "last bowel screening date",
    "last_flu_vaccine_date": "last flu vaccine date",
    "smi_health_check_date": "SMI health check date",
    "ld_health_check_date": "learning disability health check date",
}
_OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "is less than",
    "le": "is at most",
    "gt": "is more than",
    "ge": "is at least",
    "in": "is one of",
    "not_in": "is not one of",
}
_DATE_WORDS = {
    "lt": "is before",
    "le": "is on or before",
    "gt": "is after",
    "ge": "is on or after",
}
_AGE_WORDS = {
    "eq": "aged {v}",
    "ne": "not aged {v}",
    "lt": "aged under {v}",
    "le": "aged {v} or under",
    "gt": "aged over {v}",
    "ge": "aged {v} or over",
    "in": "aged {v}",
    "not_in": "not aged {v}",
}


def describe(criteria: Group | Mapping[str, Any] | str) -> str:
    """Plain English, e.g. "patients living in the most deprived 20% of areas, or recorded
    as homeless"."""
    group = _as_group(criteria)
    return "patients " + _describe_group(group, top=True)


def _describe_group(group: Group, *, top: bool = False) -> str:
    parts = [
        _describe_group(i) if isinstance(i, Group) else _describe_condition(i) for i in group.items
    ]
    if len(parts) == 1:
        return parts[0]
    text = f", {'or' if group.mode == 'any' else 'and'} ".join(parts)
    return text if top else f"({text})"


def _words(values: Any) -> str:
    items = [_jsonable(v) for v in (values if isinstance(values, tuple) else (values,))]
    items = [str(v) for v in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _describe_condition(cond: Condition) -> str:
    col, op, value = cond.column, cond.op, cond.value
    if isinstance(value, bool) and op in ("eq", "ne"):
        positive = value if op == "eq" else not value
        if col in _FLAG_PHRASES:
            return _FLAG_PHRASES[col][0 if positive else 1]
        if col in _CONDITION_NAMES:
            return ("with " if positive else "without ") + _CONDITION_NAMES[col]
    if col == "imd_decile":
        phrase = _imd_phrase(op, value)
        if phrase:
            return phrase
    if col == "age":
        return _AGE_WORDS[op].format(v=_words(value))
    label = _LABELS.get(col, col.replace("_", " "))
    if isinstance(_first(value), date) and op in _DATE_WORDS:
        return f"whose {label} {_DATE_WORDS[op]} {_words(value)}"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"whose {label} {_OP_WORDS[op]} {_words(value)}"


def _imd_phrase(op: str, value: Any) -> str | None:
    """Deciles in words: le 2 is 'the most deprived 20% of areas'."""
    most = {"le": value, "lt": value - 1} if isinstance(value, int) else {}
    least = {"ge": 11 - value, "gt": 10 - value} if isinstance(value, int) else {}
    if op in most and 1 <= most[op] <= 9:
        return f"living in the most deprived {most[op] * 10}% of areas"
    if op in least and 1 <= least[op] <= 9:
        return f"living in the least deprived {least[op] * 10}% of areas"
    if op == "eq" and value == 1:
        return "living in the most deprived 10% of areas"
    if op == "eq" and value == 10:
        return "living in the least deprived 10% of areas"
    if op in ("eq", "in"):
        return f"living in areas of IMD decile {_words(value)}"
    return None


__all__ = [
    "OPS",
    "AllGroupModel",
    "AnyGroupModel",
    "Condition",
    "Criteria",
    "CriteriaError",
    "CriteriaModel",
    "Group",
    "column_types",
    "criteria_json_schema",
    "describe",
    "parse_criteria",
    "to_ibis",
    "to_python",
]
