"""Results of the HNA: the DATA.md ``indicators`` and ``gradients`` tables, and their files.

The engine and the twin both hand over the same small list of ``GroupCount`` rows (a
numerator and denominator per indicator and group); everything statistical happens here,
once, on those counts, so the two can be compared on counts alone and share the rest.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import secrets
import shutil
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpequity import stats
from gpequity.hna.columns import (
    AGE_BANDS,
    ETHNIC_GROUP,
    GROUPINGS,
    IMD_QUINTILES,
    NOT_RECORDED,
    SEX,
)
from gpequity.hna.runinfo import RUN_FILE
from gpequity.spreadsheets import FORMULA_START, csv_cell

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from gpequity.hna.engine import PracticeCells
    from gpequity.hna.practice_columns import IndicatorColumns

Row = dict[str, Any]
"""One row of a DATA.md table, keyed by column name. The tables stay plain lists of rows
until a caller asks for pandas or Arrow: the command line writes its files without
importing pandas (0.2-0.3 s, a fifth of a small practice's run)."""

INDICATOR_COLUMNS = (
    "indicator",
    "grouping",
    "group",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "compared_with_rest",
    "suppressed",
)
GRADIENT_COLUMNS = (
    "indicator",
    "grouping",
    "sii",
    "sii_lower",
    "sii_upper",
    "rii",
    "rii_lower",
    "rii_upper",
)
PRACTICE_INDICATOR_COLUMNS = ("practice_code", *INDICATOR_COLUMNS)
"""DATA.md "System extracts": ``practice_indicators``, the ``indicators`` columns after
``practice_code``."""
PRACTICE_GRADIENT_COLUMNS = ("practice_code", *GRADIENT_COLUMNS)
SII_SIMULATIONS = 10_000
GRADIENT_QUANTILES: dict[str, tuple[str, ...]] = {
    "imd_decile": tuple(str(d) for d in range(1, 11)),
    "imd_quintile": ("Q1", "Q2", "Q3", "Q4", "Q5"),
}
_ETHNIC_ORDER = (*dict.fromkeys(ETHNIC_GROUP.values()), NOT_RECORDED)
GROUP_ORDER: dict[str, tuple[str, ...]] = {
    "overall": ("all",),
    "imd_quintile": IMD_QUINTILES,
    "imd_decile": (*GRADIENT_QUANTILES["imd_decile"], "unknown"),
    "ethnic_group": _ETHNIC_ORDER,
    "age_band": AGE_BANDS,
    "sex": SEX,
    "focus_group": ("in", "out"),
}


@dataclass(frozen=True)
class GroupCount:
    """One indicator in one group: what the engine (or the twin) computes.

    For a mean, ``numerator`` is the sum of per-patient values and ``sum_sq`` the sum of
    their squares (enough for the interval and the Welch comparison). A mean without
    ``sum_sq`` (counts added up from stored ``indicators`` rows, which do not carry it) gets
    no interval and is not compared.
    """

    indicator: str
    grouping: str
    group: str
    numerator: int | float
    denominator: int
    sum_sq: float | None = None


@dataclass(frozen=True)
class IndicatorInfo:
    """What the statistics need to know about an indicator."""

    id: str
    kind: str
    title: str = ""
    higher_is_better: bool | None = None
    reads: frozenset[str] = frozenset()


def _group_key(grouping: str, group: str) -> tuple[int, int, str]:
    order = GROUP_ORDER.get(grouping, ("yes", "no"))
    return (0, order.index(group), "") if group in order else (1, 0, group)


def _interval(kind: str, c: GroupCount) -> tuple[float, float]:
    if kind == "mean":
        if c.sum_sq is None:
            return (math.nan, math.nan)
        return stats.mean_interval_from_sums(c.denominator, float(c.numerator), c.sum_sq)
    return stats.wilson_interval(int(c.numerator), c.denominator)


def _compare(kind: str, c: GroupCount, total: GroupCount | None) -> str:
    if c.grouping == "overall" or total is None:
        return "not_compared"
    if kind == "mean" and (c.sum_sq is None or total.sum_sq is None):
        return "not_compared"
    if kind == "mean":
        return stats.compare_mean_with_rest(
            c.denominator,
            float(c.numerator),
            c.sum_sq or 0.0,
            total.denominator,
            float(total.numerator),
            total.sum_sq or 0.0,
        )
    return stats.compare_proportion_with_rest(
        int(c.numerator), c.denominator, int(total.numerator), total.denominator
    )


def _ordered(counts: Iterable[GroupCount], info: Sequence[IndicatorInfo]) -> list[GroupCount]:
    """Rows by indicator (in ``info``'s order, unknown ones last), then grouping (DATA.md's
    order), then group (its grouping's order, others by name)."""
    counts = list(counts)
    ind_pos = {i.id: k for k, i in enumerate(info)}
    grouping_pos = {g: k for k, g in enumerate(GROUPINGS)}
    # Each distinct group is placed once; the rows are then sorted by two whole numbers.
    places = sorted(
        {(c.grouping, c.group) for c in counts},
        key=lambda p: (grouping_pos.get(p[0], len(grouping_pos)), p[0], _group_key(*p)),
    )
    rank = {p: k for k, p in enumerate(places)}
    width, last = len(places), len(ind_pos)
    return sorted(
        counts, key=lambda c: ind_pos.get(c.indicator, last) * width + rank[c.grouping, c.group]
    )


def indicator_rows(
    counts: Iterable[GroupCount],
    info: Sequence[IndicatorInfo],
    *,
    practice_code: str | None = None,
) -> list[Row]:
    """The DATA.md ``indicators`` table (suppressed = false: practice-level figures); with
    ``practice_code``, a system extract's ``practice_indicators`` rows (that column first).

    Proportions' intervals and comparisons are worked out for the whole table at once
    (``stats.wilson_intervals``, ``stats.compare_proportions_with_rest``: the same numbers
    to the bit as one group at a time, which ``_indicator_rows_one_by_one`` does and the
    tests hold this to); means' one group at a time."""
    import numpy as np

    kinds = {i.id: i.kind for i in info}
    rows = [c for c in counts if c.denominator > 0]
    totals = {c.indicator: c for c in rows if c.grouping == "overall"}
    ordered = _ordered(rows, info)
    intervals: list[tuple[float, float]] = [(math.nan, math.nan)] * len(ordered)
    comparisons: list[str] = ["not_compared"] * len(ordered)
    proportions = [i for i, c in enumerate(ordered) if kinds[c.indicator] != "mean"]
    if proportions:
        picked = [ordered[i] for i in proportions]
        num = np.array([int(c.numerator) for c in picked], dtype=np.float64)
        den = np.array([c.denominator for c in picked], dtype=np.float64)
        if np.any(num < 0) or np.any(num > den):
            raise ValueError("numerator must not exceed denominator, nor be negative")
        lower, upper = stats.wilson_intervals(num, den)
        for i, lo, hi in zip(proportions, lower.tolist(), upper.tolist(), strict=True):
            intervals[i] = (lo, hi)
        # Each group compared with the rest of its indicator's whole denominator: its own
        # counts are those already in ``num`` and ``den`` (at ``k``).
        compared = [
            (k, i, totals[c.indicator])
            for k, (i, c) in enumerate(zip(proportions, picked, strict=True))
            if c.grouping != "overall" and c.indicator in totals
        ]
        if compared:
            at = np.array([k for k, _, _ in compared], dtype=np.int64)
            verdicts = stats.compare_proportions_with_rest(
                num[at],
                den[at],
                np.array([int(t.numerator) for _, _, t in compared], dtype=np.float64),
                np.array([t.denominator for _, _, t in compared], dtype=np.float64),
            )
            for (_, i, _), verdict in zip(compared, verdicts, strict=True):
                comparisons[i] = verdict
    records = []
    for i, c in enumerate(ordered):
        kind = kinds[c.indicator]
        if kind == "mean":
            lower_i, upper_i = _interval(kind, c)
            compared_i = _compare(kind, c, totals.get(c.indicator))
        else:
            (lower_i, upper_i), compared_i = intervals[i], comparisons[i]
        records.append(_record(c, kind, lower_i, upper_i, compared_i, practice_code))
    return records


def _record(
    c: GroupCount,
    kind: str,
    lower: float,
    upper: float,
    compared: str,
    practice_code: str | None = None,
) -> Row:
    row = {} if practice_code is None else {"practice_code": practice_code}
    return row | {
        "indicator": c.indicator,
        "grouping": c.grouping,
        "group": c.group,
        "numerator": float(c.numerator) if kind == "mean" else int(c.numerator),
        "denominator": int(c.denominator),
        "value": c.numerator / c.denominator,
        "lower": lower,
        "upper": upper,
        "compared_with_rest": compared,
        "suppressed": False,
    }


def _indicator_rows_one_by_one(
    counts: Iterable[GroupCount], info: Sequence[IndicatorInfo]
) -> list[Row]:
    """``indicator_rows`` one group at a time (``stats.wilson_interval``,
    ``stats.compare_proportion_with_rest``): its obviously correct twin, kept for the tests."""
    kinds = {i.id: i.kind for i in info}
    rows = [c for c in counts if c.denominator > 0]
    totals = {c.indicator: c for c in rows if c.grouping == "overall"}
    records = []
    for c in _ordered(rows, info):
        kind = kinds[c.indicator]
        lower, upper = _interval(kind, c)
        records.append(_record(c, kind, lower, upper, _compare(kind, c, totals.get(c.indicator))))
    return records


def indicators_frame(rows: Sequence[Row]) -> pd.DataFrame:
    """The ``indicators`` rows as a pandas DataFrame (pandas is imported only here)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(rows), columns=list(INDICATOR_COLUMNS))
    # Counts stay whole numbers (264, not 264.0) beside the sums of means: an object column
    # built from the Python values, since from_records makes the mixed column float.
    frame["numerator"] = pd.Series([r["numerator"] for r in rows], dtype=object)
    if all(r["denominator"] is not None for r in rows):
        frame["denominator"] = frame["denominator"].astype("int64")
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return frame


def gradients_frame(rows: Sequence[Row]) -> pd.DataFrame:
    """The ``gradients`` rows as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame.from_records(list(rows), columns=list(GRADIENT_COLUMNS))


_TEXT_COLUMNS = frozenset({"practice_code", "indicator", "grouping", "group", "compared_with_rest"})
_ARROW_TYPES = {
    **dict.fromkeys(GRADIENT_COLUMNS[2:], "float64"),
    "numerator": "float64",  # whole numbers for proportions, sums of scores for means
    "denominator": "int64",
    "value": "float64",
    "lower": "float64",
    "upper": "float64",
    "suppressed": "bool",
}


def arrow_table(rows: Sequence[Row], columns: Sequence[str]) -> pa.Table:
    """Rows as a pyarrow Table: text columns as strings, the numbers typed, blanks as nulls."""
    import pyarrow as pa

    schema = pa.schema(
        [
            (c, pa.string() if c in _TEXT_COLUMNS else pa.type_for_alias(_ARROW_TYPES[c]))
            for c in columns
        ]
    )
    data = {c: [None if _missing(r[c]) else r[c] for r in rows] for c in columns}
    return pa.Table.from_pydict(data, schema=schema)


def indicators_table(counts: Iterable[GroupCount], info: Sequence[IndicatorInfo]) -> pd.DataFrame:
    """``indicator_rows`` as a pandas DataFrame."""
    return indicators_frame(indicator_rows(counts, info))


def _missing(value: Any) -> bool:
    """Blank in a table: None, or NaN (an interval that cannot be computed)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _seed(indicator: str, grouping: str) -> int:
    """A fixed seed per gradient so repeated runs give identical limits."""
    return zlib.crc32(f"{indicator}|{grouping}".encode())


def gradients_table(
    counts: Iterable[GroupCount], info: Sequence[IndicatorInfo]
) -> tuple[pd.DataFrame, list[str]]:
    """``gradient_rows`` as a pandas DataFrame, and the notes."""
    rows, notes = gradient_rows(counts, info)
    return gradients_frame(rows), notes


def gradient_rows(
    counts: Iterable[GroupCount], info: Sequence[IndicatorInfo]
) -> tuple[list[Row], list[str]]:
    """The DATA.md ``gradients`` table, plus notes on gradients that could not be fitted."""
    return gradient_rows_by_practice({"": counts}, info)[""]


def gradient_rows_by_practice(
    by_practice: Mapping[str, Iterable[GroupCount]], info: Sequence[IndicatorInfo]
) -> dict[str, tuple[list[Row], list[str]]]:
    """``gradient_rows`` of each practice's counts, by practice.

    Each practice's rows and notes are those of ``gradient_rows`` over its counts alone: the
    same indicator and grouping is fitted for every practice in one ``stats.sii_many``
    (with the same seed, as alone), which gives each fit's result to the bit as ``sii``
    would, with less work per fit (a system extract fits thousands, ADR 28)."""
    plan = GradientPlan(list(by_practice))
    for code, counts in by_practice.items():
        by_key: dict[tuple[str, str], dict[str, GroupCount]] = {}
        for c in counts:
            if c.grouping in GRADIENT_QUANTILES and c.denominator > 0:
                by_key.setdefault((c.indicator, c.grouping), {})[c.group] = c
        for ind in info:
            for grouping, labels in GRADIENT_QUANTILES.items():
                groups = by_key.get((ind.id, grouping), {})
                if not groups:
                    continue  # no deprivation data at all: the completeness warnings say so
                missing = [label for label in labels if label not in groups]
                if missing:  # DATA.md: a gradient needs every quantile present
                    plan.missing(code, ind, grouping, missing)
                    continue
                fit = _fit_inputs(ind, grouping, [groups[label] for label in labels])
                if isinstance(fit, str):
                    plan.note(code, ind, grouping, fit)
                else:
                    plan.fit(code, ind, grouping, fit)
    return plan.results()


class GradientPlan:
    """Practices' gradients in order, each a note on why it cannot be fitted or a place in
    its indicator and grouping's batch of fits; ``results`` fits each batch at once."""

    def __init__(self, codes: Sequence[str]) -> None:
        self.steps: dict[str, list[tuple[str, Any]]] = {code: [] for code in codes}
        self.batches: dict[tuple[str, str], list[tuple[list[Any], ...]]] = {}
        self.indicators: dict[str, IndicatorInfo] = {}

    def note(self, code: str, ind: IndicatorInfo, grouping: str, why: str) -> None:
        self.steps[code].append(("note", _no_gradient(ind, grouping, why)))

    def missing(self, code: str, ind: IndicatorInfo, grouping: str, labels: list[str]) -> None:
        verb = "has" if len(labels) == 1 else "have"
        why = f"{_quantiles(grouping, labels)} {verb} nobody in the denominator"
        self.note(code, ind, grouping, why)

    def fit(self, code: str, ind: IndicatorInfo, grouping: str, inputs: tuple) -> None:
        """A gradient to fit: populations, values, lower and upper limits by quantile."""
        batch = self.batches.setdefault((ind.id, grouping), [])
        self.indicators[ind.id] = ind
        self.steps[code].append(("fit", (ind, grouping, len(batch))))
        batch.append(inputs)

    def results(self) -> dict[str, tuple[list[Row], list[str]]]:
        """Each practice's ``gradients`` records and notes, in its order."""
        fitted = {
            key: _fits(self.indicators[key[0]], key[1], batch)
            for key, batch in self.batches.items()
        }
        out = {}
        for code, steps in self.steps.items():
            records: list[Row] = []
            notes: list[str] = []
            for what, step in steps:
                if what == "note":
                    notes.append(step)
                    continue
                ind, grouping, at = step
                record = fitted[ind.id, grouping][at]
                if isinstance(record, str):
                    notes.append(_no_gradient(ind, grouping, record))
                else:
                    records.append(record)
            out[code] = (records, notes)
        return out


def _no_gradient(ind: IndicatorInfo, grouping: str, why: str) -> str:
    return f"{ind.id}: no {grouping} gradient ({why})"


def _quantiles(grouping: str, labels: Sequence[str]) -> str:
    noun = "decile" if grouping == "imd_decile" else "quintile"
    return f"{noun}{'s' if len(labels) > 1 else ''} {', '.join(labels)}"


TOO_FEW_FOR_AN_INTERVAL = "a quantile has too few patients for an interval"


def _at_edge(grouping: str, labels: Sequence[str]) -> str:
    # The method fits proportions on the logit scale, where 0% and 100% do not exist.
    return (
        f"{_quantiles(grouping, labels)} at 0% or 100%, which the method's logit scale cannot fit"
    )


def _fit_inputs(ind: IndicatorInfo, grouping: str, cells: list[GroupCount]) -> tuple | str:
    """A gradient's populations, values and 95% limits by quantile, or why it cannot be
    fitted."""
    pops = [c.denominator for c in cells]
    values = [c.numerator / c.denominator for c in cells]
    if ind.kind == "proportion":
        edge = [c.group for c, v in zip(cells, values, strict=True) if v in (0.0, 1.0)]
        if edge:
            return _at_edge(grouping, edge)
    limits = [_interval(ind.kind, c) for c in cells]
    if any(math.isnan(lo) or math.isnan(hi) for lo, hi in limits):
        return TOO_FEW_FOR_AN_INTERVAL
    return pops, values, [lo for lo, _ in limits], [hi for _, hi in limits]


def _fits(ind: IndicatorInfo, grouping: str, batch: list[tuple]) -> list[dict | str]:
    """The ``gradients`` records of one indicator and grouping's fits (``_fit_inputs``), or
    why each could not be fitted."""
    try:
        results = stats.sii_many(
            list(range(1, len(batch[0][0]) + 1)),
            [pops for pops, _, _, _ in batch],
            [values for _, values, _, _ in batch],
            lower=[lower for _, _, lower, _ in batch],
            upper=[upper for _, _, _, upper in batch],
            value_type="proportion" if ind.kind == "proportion" else "other",
            transform=ind.kind == "proportion",
            simulations=SII_SIMULATIONS,
            seed=_seed(ind.id, grouping),
        )
    except ValueError as exc:
        return [str(exc)] * len(batch)
    return [
        str(result)
        if isinstance(result, ValueError)
        else {
            "indicator": ind.id,
            "grouping": grouping,
            "sii": result.sii,
            "sii_lower": result.sii_lower,
            "sii_upper": result.sii_upper,
            "rii": result.rii,
            "rii_lower": result.rii_lower,
            "rii_upper": result.rii_upper,
        }
        for result in results
    ]


def apply_disclosure(
    indicators: Sequence[Row], gradients: Sequence[Row], *, mean_indicators: set[str]
) -> tuple[list[Row], list[Row]]:
    """Shareable outputs: small-number suppression and rounding on every count.

    A shown proportion's value and interval are worked out again from the rounded counts
    it is shown with (ADR 10): from the exact value and a rounded denominator the exact
    counts could otherwise be found, which would undo the rounding. Means keep their value
    (their numerator, a sum of scores, is withheld). ``compared_with_rest`` keeps the verdict
    on the exact counts, a category that gives no count away.

    Gradients are fitted on exact counts; in a shareable export they are kept only when
    none of the decile/quintile rows they rest on had to be suppressed.
    """
    from gpequity import disclosure

    shared = disclosure.apply_to_indicators(list(indicators), mean_indicators=mean_indicators)
    for row in shared:
        if row["suppressed"] or row["indicator"] in mean_indicators:
            continue
        numerator, denominator = row["numerator"], row["denominator"]
        if denominator:  # rows with nobody in the denominator are never in the table
            row["value"] = numerator / denominator
            row["lower"], row["upper"] = stats.wilson_interval(numerator, denominator)
    hit = {
        (r["indicator"], r["grouping"])
        for r in shared
        if r["suppressed"] and r["grouping"] in GRADIENT_QUANTILES
    }
    kept = [g for g in gradients if (g["indicator"], g["grouping"]) not in hit]
    return shared, kept


# --------------------------------------------------------------------------- files


def _csv_cell(value: Any) -> str:
    """A cell as pandas wrote it before: blanks empty, True/False, floats in shortest form."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(float(value))  # numpy floats too, without their np.float64(...) repr
    return str(value)


def _json_value(value: Any) -> Any:
    if _missing(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


_GUARDED = (*FORMULA_START, "'")  # how the text ``csv_cell`` may guard starts


def _csv_fast(value: Any) -> Any:
    """``csv_cell(_csv_cell(value))``, with the common types decided by their exact type (a
    system run writes some two million cells; the general path was most of the writing)."""
    kind = type(value)
    if kind is str:
        return csv_cell(value) if value.startswith(_GUARDED) else value
    if kind is int:
        return str(value)
    if kind is float and value == value and value not in (math.inf, -math.inf):
        text = repr(value)
        return csv_cell(text) if text[0] == "-" else text
    if value is None:
        return ""
    return csv_cell(_csv_cell(value))


_FLAT = (str, int, float, bool, type(None))


def _json_fast(value: Any) -> Any:
    """``_json_value`` with the common types decided by their exact type."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return None if value != value else value
    value = _json_value(value)
    if not isinstance(value, _FLAT):
        raise _NotFlat
    return value


class _NotFlat(Exception):
    """A cell holding a list or an object: the table is written the general way."""


# Rows as json.dumps(records, indent=2) writes them, each row encoded by the C encoder (which
# ``indent`` turns off): a row's items are separated by a comma, a newline and four spaces,
# exactly the indented form of a flat object. Rows hold only numbers, text, true/false and
# null (``_json_fast``), so no row has a nested list or object.
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",\n    ", ": "))


def _json_row(record: dict[str, Any]) -> str:
    return "  {\n    " + _ROW_ENCODER.encode(record)[1:-1] + "\n  }" if record else "  {}"


def _json_text(rows_text: str) -> str:
    """The JSON file's text from its rows' (``_json_row``s joined by ``_JSON_JOIN``)."""
    return "[\n" + rows_text + "\n]" if rows_text else "[]"


_JSON_JOIN = ",\n"


class _Unusual(Exception):
    """A cell of a type ``_table_text_plain`` does not write: the table is written by the
    general path."""


def _csv_field(text: str) -> str:
    """``text`` as the ``csv`` module writes it in a row of several fields (quoted where it
    must be)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[: -len(",\n")]


def _table_text(rows: Sequence[Row], columns: Sequence[str]) -> tuple[str, str | None]:
    """A table's CSV body (no header) and its JSON rows' text, each row as ``_json_row``
    writes it, joined by ``_JSON_JOIN`` (None when a cell holds a list or an object and the
    JSON must be written the general way). Each is one string: a system run's workers hand
    them over whole."""
    if len(columns) > 1:
        try:
            return _table_text_plain(rows, columns)
        except _Unusual:
            pass
    return _table_text_general(rows, columns)


def _table_text_plain(rows: Sequence[Row], columns: Sequence[str]) -> tuple[str, str]:
    """``_table_text_general`` for rows of text, whole numbers, floats, true/false and blanks
    (``_column_lines``); anything else raises ``_Unusual``. The tests hold it to
    ``_table_text_general`` byte for byte."""
    if not rows:
        return "", ""
    lines, json_rows = _column_lines(columns, [[r[c] for r in rows] for c in columns])
    return "\n".join(lines) + "\n", _JSON_JOIN.join(json_rows)


def _column_lines(
    columns: Sequence[str], values_by_column: Sequence[Sequence[Any]]
) -> tuple[list[str], list[str]]:
    """Each row's CSV line (no newline) and JSON row (``_json_row``'s text), from the table's
    values column by column: a float's shortest form is the same in CSV and JSON
    (``repr``), each distinct text is quoted, guarded and escaped once, and each row is then
    one join and one ``%`` format (a system run writes some two million cells, most of them
    floats and a few dozen texts over again). Anything but text, whole numbers, floats,
    true/false and blanks (an infinity, a numpy scalar, a list) raises ``_Unusual``."""
    csv_columns: list[list[str]] = []
    json_columns: list[list[str]] = []
    for values in values_by_column:
        kinds = set(map(type, values))
        if kinds <= {float, int}:  # a whole number's repr is its str
            texts = list(map(repr, values))
            if any(t[-1] in "nf" for t in texts):  # NaN (blank) or an infinity
                if any(t[-1] == "f" for t in texts):
                    raise _Unusual  # inf, -inf: the general path says what to do
                csv_texts = ["" if t == "nan" else t for t in texts]
                texts = ["null" if t == "nan" else t for t in texts]
            else:
                csv_texts = texts
            # A negative number is not guarded, but ``csv_cell`` decides that.
            csv_texts = [csv_cell(t) if t[:1] == "-" else t for t in csv_texts]
        elif kinds == {str}:
            cells = {v: _csv_field(_csv_fast(v)) for v in dict.fromkeys(values)}
            quoted = {v: json.dumps(v, ensure_ascii=False) for v in cells}
            csv_texts = list(map(cells.__getitem__, values))
            texts = list(map(quoted.__getitem__, values))
        else:
            csv_texts, texts = [], []
            for v in values:
                pair = _plain_cell(v)
                csv_texts.append(pair[0])
                texts.append(pair[1])
        csv_columns.append(csv_texts)
        json_columns.append(texts)
    heads = ",\n    ".join(
        json.dumps(c, ensure_ascii=False).replace("%", "%%") + ": %s" for c in columns
    )
    row = "  {\n    " + heads + "\n  }"
    return (
        list(map(",".join, zip(*csv_columns, strict=True))),
        [row % values for values in zip(*json_columns, strict=True)],
    )


def _plain_cell(v: Any) -> tuple[str, str]:
    """One cell's CSV and JSON text, for a column of mixed plain values."""
    kind = type(v)
    if kind is float:
        if v != v:  # NaN: cannot be calculated, blank
            return "", "null"
        text = repr(v)
        if text[-1] == "f":
            raise _Unusual
        return (csv_cell(text) if text[0] == "-" else text), text
    if kind is str:
        return _csv_field(_csv_fast(v)), json.dumps(v, ensure_ascii=False)
    if kind is int:
        return str(v), str(v)
    if kind is bool:
        return ("True", "true") if v else ("False", "false")
    if v is None:
        return "", "null"
    raise _Unusual


def _table_text_general(rows: Sequence[Row], columns: Sequence[str]) -> tuple[str, str | None]:
    """``_table_text`` for any cells, by the ``csv`` writer and the JSON encoder."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [_csv_fast(r[c]) for c in columns] for r in rows
    )
    try:
        parts = [_json_row({c: _json_fast(r[c]) for c in columns}) for r in rows]
    except _NotFlat:
        return buffer.getvalue(), None
    return buffer.getvalue(), _JSON_JOIN.join(parts)


def _write_table(
    folder: Path,
    name: str,
    rows: Sequence[Row],
    columns: Sequence[str],
    made: tuple[str, str | None] | None = None,
) -> None:
    body, rows_text = made if made is not None else _table_text(rows, columns)
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow(columns)
        f.write(body)
    if rows_text is not None:
        text = _json_text(rows_text)
    else:
        records = [{c: _json_value(r[c]) for c in columns} for r in rows]
        text = json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False)
    (folder / f"{name}.json").write_text(text + "\n", encoding="utf-8")


def _write_practice_tables(folder: Path, practices: PracticeTables) -> None:
    for name, columns in (
        ("practice_indicators", PRACTICE_INDICATOR_COLUMNS),
        ("practice_gradients", PRACTICE_GRADIENT_COLUMNS),
    ):
        made = practices.texts.get(name)
        # The rows are read (and the indicators' made, ``PracticeTables.indicators``) only
        # where there is no text made for them.
        rows = getattr(practices, name.removeprefix("practice_")) if _partly(made) else ()
        _write_table(folder, name, rows, columns, made)


def _partly(made: tuple[str, str | None] | None) -> bool:
    """Whether a table's text (``_table_text``) leaves some of it to be written from rows."""
    return made is None or made[1] is None


def _write_all(
    folder: Path, indicators: Sequence[Row], gradients: Sequence[Row], run_info: Any = None
) -> None:
    _write_table(folder, "indicators", indicators, INDICATOR_COLUMNS)
    _write_table(folder, "gradients", gradients, GRADIENT_COLUMNS)
    if run_info is not None:
        text = json.dumps(run_info.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)
        (folder / RUN_FILE).write_text(text + "\n", encoding="utf-8")


OUTPUT_FILES = ("indicators.csv", "gradients.csv", "indicators.json", "gradients.json")
PRACTICE_FILES = (
    "practice_indicators.csv",
    "practice_gradients.csv",
    "practice_indicators.json",
    "practice_gradients.json",
)


class PracticeTables:
    """A system extract's per-practice tables (DATA.md "System extracts"), and the notes on
    gradients that could not be fitted, each starting with its practice code.

    The ``practice_indicators`` rows are given, or made from their columns
    (``practice_columns.IndicatorColumns``) the first time they are asked for: writing the
    files needs only the text, and an ICB's 170,000 dicts take a while to make."""

    def __init__(
        self,
        indicators: list[Row] | IndicatorColumns,
        gradients: list[Row],
        notes: list[str],
        texts: dict[str, tuple[str, str | None] | None] | None = None,
    ) -> None:
        self._indicators = indicators
        self.gradients = gradients
        self.notes = notes
        # The two tables' file text (CSV body, JSON rows), made by the workers beside the
        # rows, each for its own practices, so that writing them is joining text
        # (``_table_text``). The rows are final once made; None where a table must be
        # written the general way.
        self.texts = texts if texts is not None else {}

    @property
    def indicators(self) -> list[Row]:
        if not isinstance(self._indicators, list):
            self._indicators = self._indicators.rows()
        return self._indicators

    @property
    def codes(self) -> list[str]:
        """The practices' codes, in order."""
        if isinstance(self._indicators, list):
            return sorted({r["practice_code"] for r in self._indicators})
        return list(self._indicators.codes)

    def __len__(self) -> int:
        """How many ``practice_indicators`` rows."""
        return len(self._indicators)

    def __repr__(self) -> str:
        return f"<PracticeTables: {len(self.codes)} practices, {len(self)} indicator rows>"


PARALLEL_PRACTICES = 16
"""A system extract with at least this many practices has its tables made in parallel."""


def practice_tables(
    by_practice: dict[str, list[GroupCount]] | PracticeCells,
    info: Sequence[IndicatorInfo],
    *,
    mean_indicators: set[str] | None = None,
    workers: int | None = None,
) -> PracticeTables:
    """Each practice's ``indicators`` and ``gradients`` rows, made exactly as for a run over
    that practice alone, with ``practice_code`` first; practices in code order. With
    ``mean_indicators`` given, each practice's rows go through disclosure control.

    ``by_practice`` is each practice's counts, or its cells not yet added up
    (``engine.PracticeCells``), which are then added up where the rows are made. Practices
    are independent, so with ``workers`` above one (default: every core, from
    ``PARALLEL_PRACTICES`` practices up) they are shared out between forked processes, each
    making its practices' rows with the same code; the rows are the same, in the same order
    (ADR 28). Forked workers inherit the counts or cells (nothing is sent to them but their
    practices' codes) and send back only rows."""
    from gpequity.hna.engine import PracticeCells

    codes = by_practice.codes if isinstance(by_practice, PracticeCells) else sorted(by_practice)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(codes) >= PARALLEL_PRACTICES else 1
    workers = max(1, min(workers, len(codes)))
    global _INHERITED
    if workers > 1 and _can_fork():
        import multiprocessing

        chunks = [codes[i::workers] for i in range(workers)]
        _INHERITED = (by_practice, info, mean_indicators)
        try:
            # This process makes the first share itself while the forked ones make theirs:
            # the same number of processes at work, and one share fewer sent back.
            with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
                others = pool.map_async(_inherited_rows, chunks[1:])
                parts = [_inherited_rows(chunks[0]), *others.get()]
        finally:
            _INHERITED = None
        made = {code: rows for part in parts for code, rows in part.items()}
    else:
        made = _practice_rows(by_practice, codes, info, mean_indicators)
    indicators: list[Row] | IndicatorColumns
    if any(isinstance(made[c][0], tuple) for c in codes):  # columns, not rows
        from gpequity.hna.practice_columns import IndicatorColumns

        indicators = IndicatorColumns.joined([(c, made[c][0]) for c in codes])
    else:
        indicators = [row for c in codes for row in made[c][0]]
    gradients: list[Row] = []
    notes: list[str] = []
    for code in codes:
        _, grads, grad_notes, _, _ = made[code]
        gradients += grads
        notes += grad_notes
    texts = {
        name: (
            "".join(made[c][at][0] for c in codes),
            None
            if any(made[c][at][1] is None for c in codes)
            else _JSON_JOIN.join(made[c][at][1] for c in codes if made[c][at][1]),
        )
        for name, at in (("practice_indicators", 3), ("practice_gradients", 4))
    }
    return PracticeTables(indicators, gradients, notes, texts)


_INHERITED: tuple[Any, Sequence[IndicatorInfo], set[str] | None] | None = None
"""What ``practice_tables`` hands its forked workers: set just before they are forked."""


def _inherited_rows(codes: list[str]) -> dict[str, tuple[Any, ...]]:
    assert _INHERITED is not None
    by_practice, info, mean_indicators = _INHERITED
    return _practice_rows(by_practice, codes, info, mean_indicators)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _practice_rows(
    by_practice: dict[str, list[GroupCount]] | PracticeCells,
    codes: Sequence[str],
    info: Sequence[IndicatorInfo],
    mean_indicators: set[str] | None,
) -> dict[str, tuple[Any, ...]]:
    """The rows, notes and file text of the practices in ``codes``, by code (one worker's
    share)."""
    from gpequity.hna.engine import PracticeCells

    if isinstance(by_practice, PracticeCells):
        mine = by_practice.subset(codes)
        if mean_indicators is None:
            made = _practice_rows_by_columns(mine, info)
            if made is not None:
                return made
        by_practice = mine.rollup()
    out = {}
    codes = sorted(codes)
    gradients = gradient_rows_by_practice({code: by_practice[code] for code in codes}, info)
    for code in codes:
        counts = by_practice[code]
        grads, grad_notes = gradients[code]
        if mean_indicators is not None:
            rows = indicator_rows(counts, info)
            rows, grads = apply_disclosure(rows, grads, mean_indicators=mean_indicators)
            rows = [{"practice_code": code, **r} for r in rows]
        else:  # made with the code first (copying 870 rows per practice cost a tenth)
            rows = indicator_rows(counts, info, practice_code=code)
        grads = [{"practice_code": code, **g} for g in grads]
        out[code] = (
            rows,
            grads,
            [f"{code}: {n}" for n in grad_notes],
            _table_text(rows, PRACTICE_INDICATOR_COLUMNS),
            _table_text(grads, PRACTICE_GRADIENT_COLUMNS),
        )
    return out


def _practice_rows_by_columns(
    cells: PracticeCells, info: Sequence[IndicatorInfo]
) -> dict[str, tuple[Any, ...]] | None:
    """``_practice_rows`` of cells not yet added up, with the indicators made a column at a
    time (``practice_columns``): each practice's indicator columns (not rows), gradient rows,
    notes and file text. None where that cannot be done: the rows are then made one by
    one."""
    from gpequity.hna.engine import practice_sums
    from gpequity.hna.practice_columns import IndicatorColumns, tables

    codes, by_grouping = practice_sums(cells.cells, cells.plan, cells.groupings)
    made = tables(codes, by_grouping, cells.plan, info)
    if made is None:
        return None
    table, plan = made
    gradients = plan.results()
    grads = {code: [{"practice_code": code, **g} for g in gradients[code][0]] for code in codes}
    every_grad = [g for code in codes for g in grads[code]]
    grad_bounds = list(itertools.accumulate((len(grads[c]) for c in codes), initial=0))
    ind_lines = _lines_or_none(PRACTICE_INDICATOR_COLUMNS, table.columns)
    grad_lines = _lines_or_none(
        PRACTICE_GRADIENT_COLUMNS, [[g[c] for g in every_grad] for c in PRACTICE_GRADIENT_COLUMNS]
    )
    out = {}
    for p, code in enumerate(codes):
        mine = tuple(table.practice(p))  # columns, not rows (``practice_tables``)
        if ind_lines is None:  # written the general way, practice by practice
            rows = IndicatorColumns([code], mine, [0, len(mine[0])]).rows()
            ind_text = _table_text(rows, PRACTICE_INDICATOR_COLUMNS)
        else:
            ind_text = _lines_text(ind_lines, table.bounds[p], table.bounds[p + 1])
        if grad_lines is None:
            grad_text = _table_text(grads[code], PRACTICE_GRADIENT_COLUMNS)
        else:
            grad_text = _lines_text(grad_lines, grad_bounds[p], grad_bounds[p + 1])
        notes = [f"{code}: {n}" for n in gradients[code][1]]
        out[code] = (mine, grads[code], notes, ind_text, grad_text)
    return out


def _lines_or_none(
    columns: Sequence[str], values_by_column: Sequence[Sequence[Any]]
) -> tuple[list[str], list[str]] | None:
    """``_column_lines``, or None where a cell must be written the general way."""
    if not values_by_column[0]:
        return [], []
    try:
        return _column_lines(columns, values_by_column)
    except _Unusual:
        return None


def _lines_text(lines: tuple[list[str], list[str]], start: int, end: int) -> tuple[str, str]:
    """Rows ``start`` to ``end`` of ``_column_lines``' output as ``_table_text`` gives them."""
    csv_lines, json_rows = lines
    return "".join(line + "\n" for line in csv_lines[start:end]), _JSON_JOIN.join(
        json_rows[start:end]
    )


class OutputFolderError(ValueError):
    """``--out`` names something that cannot hold the result files."""


def check_output_folder(out: str | Path) -> Path:
    """``out`` as a folder the results can go in (it may not exist yet), or a clear error."""
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"{target} is a file, not a folder: choose a folder for --out")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputFolderError(f"{parent} is a file, so {target} cannot be a folder")
            # The files are written beside the folder first (``write_outputs``).
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputFolderError(
                    f"cannot write in {parent}: choose a folder you can write to for --out"
                )
            break
    return target


def write_outputs(
    out: str | Path,
    indicators: Sequence[Row],
    gradients: Sequence[Row],
    *,
    run_info: Any = None,
    practices: PracticeTables | None = None,
) -> Path:
    """Write the four result files (and ``run.json`` when ``run_info`` is given, and the
    four ``practice_*`` files for a system extract) all or nothing.

    Everything is written into a temporary folder beside ``out`` first; only when all the
    files are complete are they moved into place, so a failure never leaves partial output.
    """
    target = check_output_folder(out)
    # Not mkdtemp: its folder is private (0700) and would become the results folder. mkdir
    # gives the usual permissions (the umask's), as for any folder the user makes.
    staging = target.parent / f".{target.name}-{secrets.token_hex(8)}"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    try:
        _write_all(staging, indicators, gradients, run_info)
        if practices is not None:
            _write_practice_tables(staging, practices)
        if not target.exists():
            os.replace(staging, target)
            return target
        names = (*OUTPUT_FILES, RUN_FILE) if run_info is not None else OUTPUT_FILES
        if practices is not None:
            names = (*names, *PRACTICE_FILES)
        for name in names:
            os.replace(staging / name, target / name)
        if run_info is None:  # a record of an earlier run would not describe these tables
            (target / RUN_FILE).unlink(missing_ok=True)
        if practices is None:  # nor would an earlier system run's practice tables
            for name in PRACTICE_FILES:
                (target / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
