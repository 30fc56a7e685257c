"""A run's results as an Excel workbook (XLSX), for people who work in spreadsheets.

Sheets: ``Indicators`` and ``Gradients`` (the DATA.md tables, each id column followed by
its readable label: ``indicator_title``, ``grouping_label``, ``group_label``), then, when
given, ``Findings`` (DATA.md "Findings", in rank order) and ``Run`` (what the run used).
Numbers are numbers (proportions formatted as percentages, the stored value unrounded); blanks
are empty cells; the ``suppressed`` column tells a suppressed figure from an empty group.

Every text cell is escaped against formula injection (OWASP "CSV injection"): a text that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single
quote, so a spreadsheet shows it as text and never runs it. Titles of user-defined
indicators are the usual way such a text would get in.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gpequity.findings import labels
from gpequity.hna.results import GRADIENT_COLUMNS, INDICATOR_COLUMNS

if TYPE_CHECKING:
    from gpequity.findings import Finding
    from gpequity.hna.runinfo import RunInfo

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_LABELS_AFTER = {
    "indicator": "indicator_title",
    "grouping": "grouping_label",
    "group": "group_label",
}


def _with_labels(columns: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for c in columns:
        out.append(c)
        if c in _LABELS_AFTER:
            out.append(_LABELS_AFTER[c])
    return tuple(out)


INDICATOR_SHEET_COLUMNS = _with_labels(INDICATOR_COLUMNS)
GRADIENT_SHEET_COLUMNS = _with_labels(GRADIENT_COLUMNS)
FINDING_SHEET_COLUMNS = (
    "rank",
    "indicator",
    "indicator_title",
    "grouping",
    "grouping_label",
    "group",
    "group_label",
    "rest_label",
    "comparison",
    "value",
    "rest_value",
    "difference",
    "difference_lower",
    "difference_upper",
    "numerator",
    "denominator",
    "rest_numerator",
    "rest_denominator",
    "patients_to_act_on",
    "actions",
    "sentence",
)
_PERCENT = "0.0%"
_MEAN = "0.000"
_VALUE_COLUMNS = frozenset(
    {"value", "lower", "upper", "rest_value", "difference", "difference_lower", "difference_upper"}
)


def safe_text(value: str) -> str:
    """A text cell that a spreadsheet cannot take for a formula (OWASP): a leading quote
    before ``= + - @``, a tab or a carriage return."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return safe_text(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _titles(definitions: Iterable[Any]) -> tuple[dict[str, str], dict[str, str]]:
    titles, kinds = {}, {}
    for d in definitions:
        titles[d.id] = d.title or d.id
        kinds[d.id] = d.kind
    return titles, kinds


def _label(row: Mapping[str, Any], column: str, titles: Mapping[str, str]) -> str:
    if column == "indicator_title":
        return titles.get(row["indicator"], row["indicator"])
    if column == "grouping_label":
        return labels.grouping_label(row["grouping"])
    return labels.group_label(row["grouping"], row["group"])


def _sheet(
    wb: Any, name: str, columns: Sequence[str], rows: list[list[Any]], formats: list
) -> None:
    """One sheet in a write-only workbook (fast: cells are streamed, not kept)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    for idx, column in enumerate(columns, start=1):
        wide = column in ("sentence", "indicator_title", "group_label", "rest_label", "actions")
        ws.column_dimensions[get_column_letter(idx)].width = 40 if wide else 16
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for values, fmt in zip(rows, formats, strict=True):
        if not fmt:
            ws.append([_cell(v) for v in values])
            continue
        out: list[Any] = []
        for column, v in zip(columns, values, strict=True):
            value = _cell(v)
            if column in fmt and value is not None:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt[column]
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)


def _value_formats(kind: str, columns: Iterable[str]) -> dict[str, str]:
    return {c: _PERCENT if kind == "proportion" else _MEAN for c in columns if c in _VALUE_COLUMNS}


def results_workbook(
    indicator_rows: Sequence[Mapping[str, Any]],
    gradient_rows: Sequence[Mapping[str, Any]],
    *,
    definitions: Sequence[Any] = (),
    findings: Sequence[Finding] | None = None,
    run_info: RunInfo | None = None,
) -> bytes:
    """The workbook's bytes. ``definitions`` give the indicator titles and kinds (the ids
    stand in for titles without them); ``findings`` and ``run_info`` add their sheets."""
    import openpyxl

    titles, kinds = _titles(definitions)
    wb = openpyxl.Workbook(write_only=True)

    rows, formats = [], []
    for r in indicator_rows:
        rows.append(
            [
                _label(r, c, titles) if c in _LABELS_AFTER.values() else r[c]
                for c in INDICATOR_SHEET_COLUMNS
            ]
        )
        formats.append(
            _value_formats(kinds.get(r["indicator"], "proportion"), ("value", "lower", "upper"))
        )
    _sheet(wb, "Indicators", INDICATOR_SHEET_COLUMNS, rows, formats)

    rows = [
        [
            _label(r, c, titles) if c in _LABELS_AFTER.values() else r[c]
            for c in GRADIENT_SHEET_COLUMNS
            if c != "group_label"
        ]
        for r in gradient_rows
    ]
    gradient_columns = tuple(c for c in GRADIENT_SHEET_COLUMNS if c != "group_label")
    _sheet(wb, "Gradients", gradient_columns, rows, [None] * len(rows))

    if findings is not None:
        rows, formats = [], []
        for rank, f in enumerate(findings, start=1):
            data = f.to_dict()
            data["rank"] = rank
            data["actions"] = "; ".join(
                f"{a.code or a.key} {a.title} ({a.tier_name})" for a in f.actions
            )
            rows.append([data[c] for c in FINDING_SHEET_COLUMNS])
            formats.append(_value_formats(f.kind, FINDING_SHEET_COLUMNS))
        _sheet(wb, "Findings", FINDING_SHEET_COLUMNS, rows, formats)

    if run_info is not None:
        info = run_info.to_dict()
        rows = [
            ["as_of", info["as_of"]],
            ["extract_fingerprint", info["extract_fingerprint"]],
            ["gpequity_version", info["gpequity_version"]],
            ["focus", None if info["focus"] is None else _json(info["focus"])],
            ["indicators", ", ".join(d["id"] for d in info["indicators"])],
            ["indicators_fingerprint", info["indicators_fingerprint"]],
            ["shareable", info["shareable"]],
            ["drop_bad_rows", info["drop_bad_rows"]],
        ]
        _sheet(wb, "Run", ("field", "value"), rows, [None] * len(rows))

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _json(data: Any) -> str:
    from gpequity.hna.runinfo import canonical_json

    return canonical_json(data)


def write_xlsx(
    out: str | Path | IO[bytes],
    indicator_rows: Sequence[Mapping[str, Any]],
    gradient_rows: Sequence[Mapping[str, Any]],
    **kwargs: Any,
) -> None:
    """``results_workbook`` written to a path or a binary stream."""
    data = results_workbook(indicator_rows, gradient_rows, **kwargs)
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
