"""Conditions of indicator definitions: data, parsed into a small frozen tree, never run as code.

The leaf and combinator format is the Focus Patient criteria format of DATA.md (``any`` /
``all`` over ``{column: {op: value}}`` with eq, ne, lt, le, gt, ge, in, not_in, and a bare
true/false testing a boolean column). Indicators need a few more shapes, added here:

- ``{column: {blank: true|false}}``: the cell is (not) blank;
- ``{not: condition}``;
- ``{at_least: {n: 3, of: [conditions]}}``: at least n of the conditions hold;
- ``{within_months: {column: last_bp_date, months: 60}}``: DATA.md "within N months";
- ``{since_season_start: {column: last_flu_vaccine_date, month: 9, day: 1}}``: on or after the
  latest 1 September on or before the as-of date (and not after the as-of date).

Several operators in one leaf (``{age: {ge: 25, le: 64}}``) must all hold. A comparison on a
blank value is false. The engine compiles the tree to Ibis; the twin evaluates it in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

COMPARISON_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
KEYWORDS = ("all", "any", "not", "at_least", "within_months", "since_season_start")

Scalar = str | int | float | bool | date


class ConditionError(ValueError):
    """A condition that does not follow the format; the message says where and why."""


@dataclass(frozen=True)
class Node:
    """Base of every condition node."""


@dataclass(frozen=True)
class Const(Node):
    value: bool


@dataclass(frozen=True)
class All(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    item: Node


@dataclass(frozen=True)
class AtLeast(Node):
    n: int
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Compare(Node):
    column: str
    op: str
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Flag(Node):
    """A bare true/false on a boolean column."""

    column: str
    expected: bool


@dataclass(frozen=True)
class Blank(Node):
    column: str
    is_blank: bool


@dataclass(frozen=True)
class WithinMonths(Node):
    column: str
    months: int


@dataclass(frozen=True)
class SinceSeasonStart(Node):
    column: str
    month: int = 9
    day: int = 1


def _scalar(value: Any, where: str) -> Scalar:
    if isinstance(value, str | int | float | bool | date):
        return value
    raise ConditionError(f"{where}: expected a single value, got {type(value).__name__}")


def _leaf(column: str, spec: Any, where: str) -> Node:
    if isinstance(spec, bool):
        return Flag(column, spec)
    if not isinstance(spec, dict) or not spec:
        raise ConditionError(f"{where}: give true/false or {{operator: value}} for '{column}'")
    parts: list[Node] = []
    for op, value in spec.items():
        if op == "blank":
            if not isinstance(value, bool):
                raise ConditionError(f"{where}: 'blank' takes true or false")
            parts.append(Blank(column, value))
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{where}: '{op}' takes a non-empty list")
            parts.append(Compare(column, op, tuple(_scalar(v, where) for v in value)))
        elif op in COMPARISON_OPS:
            parts.append(Compare(column, op, _scalar(value, where)))
        else:
            raise ConditionError(
                f"{where}: unknown operator '{op}' (use {', '.join(COMPARISON_OPS)} or blank)"
            )
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _items(value: Any, where: str) -> tuple[Node, ...]:
    if not isinstance(value, list):
        raise ConditionError(f"{where}: expected a list of conditions")
    return tuple(parse_condition(v, f"{where}[{i}]") for i, v in enumerate(value))


def _positive_int(value: Any, name: str, where: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ConditionError(f"{where}: '{name}' must be a whole number from 1 to {maximum}")
    return value


def _window(value: Any, where: str) -> WithinMonths:
    if not isinstance(value, dict) or set(value) != {"column", "months"}:
        raise ConditionError(f"{where}: within_months takes {{column, months}}")
    column = value["column"]
    if not isinstance(column, str):
        raise ConditionError(f"{where}: within_months column must be a name")
    return WithinMonths(column, _positive_int(value["months"], "months", where, 1200))


def _season(value: Any, where: str) -> SinceSeasonStart:
    if not isinstance(value, dict) or "column" not in value:
        raise ConditionError(f"{where}: since_season_start takes {{column, month, day}}")
    extra = set(value) - {"column", "month", "day"}
    if extra:
        raise ConditionError(f"{where}: since_season_start has unknown keys {sorted(extra)}")
    month = _positive_int(value.get("month", 9), "month", where, 12)
    day = _positive_int(value.get("day", 1), "day", where, 31)
    return SinceSeasonStart(str(value["column"]), month, day)


def parse_condition(obj: Any, where: str = "condition") -> Node:
    """Parse a condition from YAML/JSON data into a tree; raise ConditionError if malformed."""
    if isinstance(obj, Node):
        return obj
    if isinstance(obj, bool):
        return Const(obj)
    if not isinstance(obj, dict) or len(obj) != 1:
        raise ConditionError(f"{where}: expected a mapping with exactly one key")
    ((key, value),) = obj.items()
    if not isinstance(key, str):
        raise ConditionError(f"{where}: keys must be text")
    if key == "all":
        return All(_items(value, f"{where}.all"))
    if key == "any":
        return AnyOf(_items(value, f"{where}.any"))
    if key == "not":
        return Not(parse_condition(value, f"{where}.not"))
    if key == "at_least":
        if not isinstance(value, dict) or set(value) != {"n", "of"}:
            raise ConditionError(f"{where}: at_least takes {{n, of}}")
        items = _items(value["of"], f"{where}.at_least.of")
        return AtLeast(_positive_int(value["n"], "n", where, max(1, len(items))), items)
    if key == "within_months":
        return _window(value, f"{where}.within_months")
    if key == "since_season_start":
        return _season(value, f"{where}.since_season_start")
    return _leaf(key, value, where)


def to_data(node: Node) -> Any:
    """The inverse of parse_condition: plain data for JSON/YAML."""
    match node:
        case Const(value):
            return value
        case All(items):
            return {"all": [to_data(i) for i in items]}
        case AnyOf(items):
            return {"any": [to_data(i) for i in items]}
        case Not(item):
            return {"not": to_data(item)}
        case AtLeast(n, items):
            return {"at_least": {"n": n, "of": [to_data(i) for i in items]}}
        case Compare(column, op, value):
            plain = [_plain(v) for v in value] if isinstance(value, tuple) else _plain(value)
            return {column: {op: plain}}
        case Flag(column, expected):
            return {column: expected}
        case Blank(column, is_blank):
            return {column: {"blank": is_blank}}
        case WithinMonths(column, months):
            return {"within_months": {"column": column, "months": months}}
        case SinceSeasonStart(column, month, day):
            return {"since_season_start": {"column": column, "month": month, "day": day}}
    raise TypeError(f"not a condition node: {node!r}")


def _plain(value: Scalar) -> Scalar:
    return value.isoformat() if isinstance(value, date) else value


def columns(node: Node) -> set[str]:
    """Every column (or derived measure) name a condition reads."""
    match node:
        case All(items) | AnyOf(items) | AtLeast(_, items):
            return set().union(*(columns(i) for i in items)) if items else set()
        case Not(item):
            return columns(item)
        case Compare(column) | Flag(column) | Blank(column) | WithinMonths(column):
            return {column}
        case SinceSeasonStart(column):
            return {column}
    return set()


def columns_outside_at_least(node: Node) -> set[str]:
    """Columns read outside any ``at_least``: these cannot be dropped when data is missing."""
    match node:
        case AtLeast():
            return set()
        case All(items) | AnyOf(items):
            return set().union(*(columns_outside_at_least(i) for i in items)) if items else set()
        case Not(item):
            return columns_outside_at_least(item)
    return columns(node)


def drop_from_at_least(node: Node, unavailable: set[str]) -> Node:
    """Remove ``at_least`` items that read unavailable columns (e.g. no appointments file).

    DATA.md: without appointments, complex_needs counts the other criteria only.
    """
    match node:
        case AtLeast(n, items):
            kept = tuple(
                drop_from_at_least(i, unavailable) for i in items if not columns(i) & unavailable
            )
            return AtLeast(n, kept)
        case All(items):
            return All(tuple(drop_from_at_least(i, unavailable) for i in items))
        case AnyOf(items):
            return AnyOf(tuple(drop_from_at_least(i, unavailable) for i in items))
        case Not(item):
            return Not(drop_from_at_least(item, unavailable))
    return node


_OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "in": "is one of",
    "not_in": "is none of",
}


def describe(node: Node) -> str:
    """A short plain-English rendering, for notes and documentation."""
    match node:
        case Const(value):
            return "everyone" if value else "no one"
        case All(items):
            return " and ".join(f"({describe(i)})" for i in items) if items else "everyone"
        case AnyOf(items):
            return " or ".join(f"({describe(i)})" for i in items) if items else "no one"
        case Not(item):
            return f"not ({describe(item)})"
        case AtLeast(n, items):
            return f"at least {n} of: " + "; ".join(describe(i) for i in items)
        case Compare(column, op, value):
            shown = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
            return f"{column} {_OP_WORDS[op]} {shown}"
        case Flag(column, expected):
            return column if expected else f"not {column}"
        case Blank(column, is_blank):
            return f"{column} is {'blank' if is_blank else 'recorded'}"
        case WithinMonths(column, months):
            return f"{column} within {months} months"
        case SinceSeasonStart(column, month, day):
            return f"{column} on or after the latest {day}/{month} on or before the as-of date"
    raise TypeError(f"not a condition node: {node!r}")
