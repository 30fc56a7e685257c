"""Text that people typed, written safely into CSV and XLSX files and read back exactly.

Spreadsheet programs treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or carriage return) as a formula, so a note such as ``=HYPERLINK(...)`` could run
when a colleague opens an export (OWASP's "CSV injection"). Every exporter writes its cells
through this module, and every importer reads them back through it, so that an export
followed by an import gives back exactly what was typed:

- CSV: such text gets a leading apostrophe, the usual guard (``'=> agreed``). So that the
  apostrophe can be taken off again without ambiguity, text that already starts with
  apostrophes followed by one of those characters gets one more. ``csv_value`` takes exactly
  one off again. Numbers written as numbers are never touched (``-3.5`` stays a number).
- XLSX: a text cell is written as text, never as a formula (openpyxl would otherwise store
  ``=...`` as a formula), and is marked "quote prefix", which is what Excel itself records
  when someone types an apostrophe first: the cell shows the text without the apostrophe
  and stays text when edited. Characters XML cannot hold (a carriage return, other control
  characters) are written with the Office escape ``_xHHHH_`` (and a literal ``_xHHHH_`` as
  ``_x005F_xHHHH_``), as Excel does; ``xlsx_value`` undoes it.

Pure Python; no Django.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet read a cell as a formula (OWASP's list)."""

_ESCAPED = re.compile(r"^'*[=+\-@\t\r]")
_NEEDS_QUOTE = re.compile(r"^'+[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$", re.I)

# Characters an XML 1.0 document cannot hold (and CR, which XML turns into LF on reading).
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
_OFFICE_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_OFFICE_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


# --------------------------------------------------------------------------- CSV


def csv_cell(value: Any) -> Any:
    """One value for a CSV export: text that would start a formula gets an apostrophe."""
    if isinstance(value, str) and _ESCAPED.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def csv_value(text: str) -> str:
    """A CSV cell as it was before ``csv_cell`` (one guarding apostrophe taken off)."""
    if _NEEDS_QUOTE.match(text):
        return text[1:]
    return text


# --------------------------------------------------------------------------- XLSX


def _office_escape(text: str) -> str:
    text = _OFFICE_ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def xlsx_value(value: Any) -> Any:
    """A cell's value as read by openpyxl, with the Office ``_xHHHH_`` escapes undone."""
    if isinstance(value, str) and "_x" in value:
        return _OFFICE_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def set_text(cell: Any, value: Any) -> None:
    """Put ``value`` in an openpyxl cell; text is always stored as text, never a formula."""
    if not isinstance(value, str):
        cell.value = value
        return
    cell.value = _office_escape(value)
    cell.data_type = "s"
    if value.startswith(FORMULA_START) or value.startswith("'"):
        cell.quotePrefix = True


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append(values)`` with every text value stored as text (see ``set_text``)."""
    values = list(values)
    ws.append([None if isinstance(v, str) else v for v in values])
    row = ws.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            set_text(ws.cell(row=row, column=column), value)


# --------------------------------------------------------------------------- damaged XML


def workbook_problem(exc: BaseException) -> str:
    """Why openpyxl could not read a workbook, in words (from the exception or its causes):
    XML entities (which Excel never writes: an entity-expansion bomb is refused by
    ``defusedxml`` before it grows), an undefined entity, malformed XML, a damaged part."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    seen: BaseException | None = exc
    chain = []
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for e in chain:
        if isinstance(e, DefusedXmlException):
            return (
                "it declares XML entities, which Excel never writes (a sign of a damaged or "
                "deliberately harmful file)"
            )
        if isinstance(e, ParseError):
            what = str(e).split(":")[0]
            if "undefined entity" in what:
                return "it uses an XML entity that is not defined, so its XML is damaged"
            if "amplification" in what:
                return "its XML expands far beyond its size (an entity-expansion bomb)"
            return f"its XML is damaged ({what})"
        if isinstance(e, zipfile.BadZipFile | zlib.error | EOFError):
            return "one of its parts is damaged or does not match the size it declares"
    return "it is damaged"
