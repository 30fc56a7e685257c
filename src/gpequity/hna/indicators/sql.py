"""Condition trees compiled straight to DuckDB SQL text (the fast path of the engine).

Building the same expressions through Ibis costs about a second of Python per run (import,
expression building, compilation), which is most of a small practice's assessment. This
module writes the SQL directly from the condition tree instead. It mirrors
``engine.compile_condition`` (the Ibis compiler the Spark engine uses) rule for rule, and both
are checked against the plain-Python twin and against each other in the tests, so the three
cannot drift apart unnoticed.

Every compiled condition is a never-NULL boolean: a comparison on a blank value is false.
Values are written as SQL literals (quoted, escaped), never pasted in as code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

import pyarrow as pa

from gpequity.hna.columns import TRUE_SPELLINGS
from gpequity.hna.indicators.conditions import (
    All,
    AnyOf,
    AtLeast,
    Blank,
    Compare,
    Const,
    Flag,
    Node,
    Not,
    Scalar,
    SinceSeasonStart,
    WithinMonths,
)
from gpequity.hna.windows import season_start, window_start

Kind = Literal["string", "bool", "int", "float", "date", "other"]
_SQL_OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
# Ibis strips these characters from text on DuckDB; the SQL path must blank-test the same.
_WHITESPACE = " \t\n\r\x0b\x0c"


class SqlCompileError(ValueError):
    """A condition that cannot be written as SQL for the columns it reads."""


def kind_of(arrow_type: pa.DataType) -> Kind:
    """The coarse type a condition needs to know about a column."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float"
    if pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type):
        return "date"
    return "other"


def kinds_of(schema: pa.Schema) -> dict[str, Kind]:
    """Column kinds of an Arrow schema."""
    return {f.name: kind_of(f.type) for f in schema}


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Scalar) -> str:
    """A SQL literal for a condition value (text is quoted and escaped)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _coerced(kind: Kind, value: Scalar) -> Scalar:
    """The value in the column's type: ISO text for date columns, text numbers for numbers."""
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind in ("int", "float") and isinstance(value, str):
        return float(value)
    return value


def _operand(column: str, kind: Kind, value: Scalar | tuple[Scalar, ...]) -> tuple[str, Kind]:
    """Text compared with a number (or a date) is read as one; blank when it is not one."""
    sample = value[0] if isinstance(value, tuple) else value
    col = ident(column)
    if kind == "string" and isinstance(sample, int | float) and not isinstance(sample, bool):
        return f"TRY_CAST({col} AS DOUBLE)", "float"
    if kind == "string" and isinstance(sample, date):
        return f"TRY_CAST({col} AS DATE)", "date"
    return col, kind


def _compare(node: Compare, kinds: Mapping[str, Kind]) -> str:
    col, kind = _operand(node.column, _kind(node.column, kinds), node.value)
    if isinstance(node.value, tuple):
        # list_contains, not IN: DuckDB runs a long IN list as a join, several times slower.
        values = ", ".join(literal(_coerced(kind, v)) for v in node.value)
        found = f"list_contains([{values}], {col})"
        if node.op == "in":
            return f"COALESCE({found}, FALSE)"
        return f"COALESCE(NOT {found} AND {col} IS NOT NULL, FALSE)"
    return f"COALESCE({col} {_SQL_OPS[node.op]} {literal(_coerced(kind, node.value))}, FALSE)"


def _kind(column: str, kinds: Mapping[str, Kind]) -> Kind:
    try:
        return kinds[column]
    except KeyError:
        raise SqlCompileError(f"no column '{column}' to compile against") from None


def truthy(column: str, kind: Kind) -> str:
    """A never-NULL boolean: the column read as a true/false flag (blank is false)."""
    col = ident(column)
    if kind == "bool":
        return f"COALESCE({col}, FALSE)"
    if kind == "string":
        spellings = ", ".join(literal(s) for s in sorted(TRUE_SPELLINGS))
        return f"COALESCE(lower(trim({col}, {literal(_WHITESPACE)})) IN ({spellings}), FALSE)"
    return f"COALESCE({col} <> 0, FALSE)"


def _date_column(column: str, kinds: Mapping[str, Kind]) -> str:
    col = ident(column)
    return f"TRY_CAST({col} AS DATE)" if _kind(column, kinds) == "string" else col


def _blank(node: Blank, kinds: Mapping[str, Kind]) -> str:
    col = ident(node.column)
    if _kind(node.column, kinds) == "string":
        # Trimming every cell is slow; a cell whose first character is not whitespace
        # (code above 32) cannot be blank, so only the rest are trimmed.
        blank = (
            f"CASE WHEN {col} IS NULL THEN TRUE WHEN ascii({col}) > 32 THEN FALSE "
            f"ELSE trim({col}, {literal(_WHITESPACE)}) = '' END"
        )
    else:
        blank = f"({col} IS NULL)"
    return blank if node.is_blank else f"(NOT {blank})"


def _joined(parts: list[str], op: str, empty: str) -> str:
    return "(" + f" {op} ".join(parts) + ")" if parts else empty


def compile_sql(node: Node, kinds: Mapping[str, Kind], as_of: date) -> str:
    """Compile a condition tree to a never-NULL SQL boolean over columns of ``kinds``."""
    match node:
        case Const(value):
            return literal(value)
        case All(items):
            return _joined([compile_sql(i, kinds, as_of) for i in items], "AND", "TRUE")
        case AnyOf(items):
            return _joined([compile_sql(i, kinds, as_of) for i in items], "OR", "FALSE")
        case Not(item):
            return f"(NOT {compile_sql(item, kinds, as_of)})"
        case AtLeast(n, items):
            terms = [f"CAST({compile_sql(i, kinds, as_of)} AS INTEGER)" for i in items] or ["0"]
            return f"(({' + '.join(terms)}) >= {n})"
        case Compare():
            return _compare(node, kinds)
        case Flag(column, expected):
            flag = truthy(column, _kind(column, kinds))
            return flag if expected else f"(NOT {flag})"
        case Blank():
            return _blank(node, kinds)
        case WithinMonths(column, months):
            col = _date_column(column, kinds)
            start, end = literal(window_start(as_of, months)), literal(as_of)
            return f"COALESCE({col} > {start} AND {col} <= {end}, FALSE)"
        case SinceSeasonStart(column, month, day):
            col = _date_column(column, kinds)
            start, end = literal(season_start(as_of, month, day)), literal(as_of)
            return f"COALESCE({col} >= {start} AND {col} <= {end}, FALSE)"
    raise TypeError(f"not a condition node: {node!r}")
