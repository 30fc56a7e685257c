"""Export a framework pack as JSON, CSV or an XLSX workbook laid out like the toolkit.

Analysts want the catalogue in open formats; practices want a workbook that looks like the
one they know (one sheet per tier, Theme and Action Code first). When the user has imported
their own copy of the toolkit, its official text can be added back in; the XLSX then carries
an "Action Descriptor" column and can itself be imported again.

Pure Python (json, csv, openpyxl); no Django.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Literal

from gpequity.spreadsheets import append_row, csv_cell

from .importer import OfficialText
from .schema import Action, Pack

Format = Literal["json", "csv", "xlsx"]
FORMATS: tuple[str, ...] = ("json", "csv", "xlsx")
LIST_FIELDS = ("principles", "core20plus5", "groups", "indicators")
FIELDS = (
    "key",
    "code",
    "title",
    "theme",
    "theme_key",
    "tier",
    "tier_key",
    "summary",
    *LIST_FIELDS,
    "effort",
)
OFFICIAL_FIELDS = (
    "official_title",
    "official_descriptor",
    "official_supporting_information",
    "official_supporting_resources",
)
# Workbook columns: the toolkit's first columns, then gpequity's own.
XLSX_HEADER = (
    "Theme",
    "Action Code",
    "Action Title",
    "gpequity summary",
    "Inclusion health principles",
    "Core20PLUS5",
    "Groups",
    "Indicators",
    "Effort",
    "gpequity key",
)
XLSX_OFFICIAL_HEADER = ("Action Descriptor", "Supporting Information", "Supporting Resources")
_WIDTHS = {
    "Theme": 24,
    "Action Code": 12,
    "Action Title": 40,
    "gpequity summary": 60,
    "Effort": 8,
    "Action Descriptor": 60,
    "Supporting Information": 60,
    "Supporting Resources": 40,
}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def action_record(
    pack: Pack, action: Action, official: OfficialText | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One action as a flat dict of plain values (lists stay lists)."""
    record: dict[str, Any] = {
        "key": action.key,
        "code": action.code,
        "title": action.title,
        "theme": pack.theme(action.theme).name,
        "theme_key": action.theme,
        "tier": pack.tier(action.tier).name,
        "tier_key": action.tier,
        "summary": action.summary,
        **{name: list(getattr(action, name)) for name in LIST_FIELDS},
        "effort": action.effort,
    }
    if official is not None:
        text = _official(official)
        record.update(
            official_title=text.title,
            official_descriptor=text.descriptor,
            official_supporting_information=text.supporting_information,
            official_supporting_resources=text.supporting_resources,
        )
    return record


def _official(value: OfficialText | Mapping[str, Any]) -> OfficialText:
    return value if isinstance(value, OfficialText) else OfficialText.from_dict(value)


def pack_records(
    pack: Pack, official: Mapping[str, OfficialText | Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every action of the pack in pack order; official text added when there is any."""
    records = []
    for action in pack.actions:
        text = official.get(action.key) if official is not None else None
        record = action_record(pack, action, text)
        if official is not None and text is None:
            record.update(dict.fromkeys(OFFICIAL_FIELDS, ""))
        records.append(record)
    return records


def export_pack(
    pack: Pack,
    fmt: Format,
    out: Path | str | BinaryIO,
    official: Mapping[str, OfficialText | Mapping[str, Any]] | None = None,
) -> None:
    """Write the pack to ``out`` (a path or a binary stream) as json, csv or xlsx."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    data = {"json": _json_bytes, "csv": _csv_bytes, "xlsx": _xlsx_bytes}[fmt](pack, official)
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)


def _json_bytes(pack: Pack, official) -> bytes:
    text = json.dumps(pack_records(pack, official), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def _csv_bytes(pack: Pack, official) -> bytes:
    fields = FIELDS + (OFFICIAL_FIELDS if official is not None else ())
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in pack_records(pack, official):
        writer.writerow(
            {k: csv_cell(";".join(v) if isinstance(v, list) else v) for k, v in record.items()}
        )
    # A BOM so Excel opens the file as UTF-8; the importer accepts it.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def sheet_title(name: str, used: set[str]) -> str:
    """An Excel-safe, unique sheet name (31 characters, no []:*?/\\)."""
    base = _SHEET_BAD.sub(" ", name).strip()[:31] or "Sheet"
    title, n = base, 2
    while title.casefold() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.casefold())
    return title


def _xlsx_bytes(pack: Pack, official) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    header = XLSX_HEADER + (XLSX_OFFICIAL_HEADER if official is not None else ())
    used: set[str] = set()
    for tier in pack.tiers:
        ws = wb.create_sheet(sheet_title(tier.name, used))
        append_row(
            ws, [f"{pack.name}: {tier.name}. Exported from gpequity, not an official document."]
        )
        append_row(ws, [pack.attribution])
        append_row(ws, header)
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for action in pack.actions_in(tier=tier.key):
            append_row(ws, _xlsx_row(pack, action, official))
        for row in ws.iter_rows(min_row=4):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for idx, name in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(idx)].width = _WIDTHS.get(name, 20)
        ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_row(pack: Pack, action: Action, official) -> list[str]:
    row = [
        pack.theme(action.theme).name,
        action.code,
        action.title,
        action.summary,
        "; ".join(action.principles),
        "; ".join(action.core20plus5),
        "; ".join(action.groups),
        "; ".join(action.indicators),
        action.effort,
        action.key,
    ]
    if official is not None:
        found = official.get(action.key)
        if found is None:
            row += ["", "", ""]
        else:
            text = _official(found)
            # Title on the first line, as in the toolkit, so the sheet imports again.
            descriptor = f"{text.title}\n{text.descriptor}".strip()
            row += [descriptor, text.supporting_information, text.supporting_resources]
    return row
