"""Organisation codes (ODS) and the bulk list of organisations: pure checks, no Django.

The NHS Organisation Data Service gives every GP practice, Primary Care Network and
Integrated Care Board a code. Their shapes differ by kind, so a code typed into the wrong
box (a PCN's code as a practice) is caught before anything is saved:

- practice: one letter then five digits (``A81001``), not ``Q`` (ICBs) or ``U`` (PCNs);
- PCN: ``U`` then five digits (``U12345``);
- ICB: ``Q`` then two letters or digits (``QHG``).

``read_organisations_csv`` reads the bulk-load file (columns ``ods_code``, ``name``, ``kind``,
``parent_ods_code``) and returns the rows and every problem found, each naming its line,
column and value, so that the web page and the command line can refuse the whole file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("practice", "pcn", "icb")
KIND_LABELS = {
    "practice": "GP practice",
    "pcn": "Primary Care Network",
    "icb": "Integrated Care Board",
}
SHAPES = {
    "practice": (
        re.compile(r"[A-PR-TV-Z][0-9]{5}"),
        "one letter (not Q or U) then 5 digits, like A81001",
    ),
    "pcn": (re.compile(r"U[0-9]{5}"), "U then 5 digits, like U12345"),
    "icb": (re.compile(r"Q[A-Z0-9]{2}"), "Q then 2 letters or digits, like QHG"),
}
# Which kind of organisation may sit directly above each kind.
PARENT_KIND = {"practice": "pcn", "pcn": "icb", "icb": None}
COLUMNS = ("ods_code", "name", "kind", "parent_ods_code")
MAX_NAME = 200
MAX_ROWS = 5000


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def code_problem(code: str, kind: str) -> str | None:
    """Why ``code`` is not a valid ODS code for ``kind``, or None when it is."""
    if kind not in SHAPES:
        return f"the kind must be one of {', '.join(KINDS)}"
    pattern, shape = SHAPES[kind]
    if not code:
        return "enter an ODS code"
    if not pattern.fullmatch(code):
        return f"a {KIND_LABELS[kind]}'s ODS code is {shape}"
    return None


def parent_problem(kind: str, parent_kind: str | None) -> str | None:
    """Why an organisation of ``kind`` may not sit under one of ``parent_kind``."""
    wanted = PARENT_KIND.get(kind)
    if parent_kind is None:
        return None
    if wanted is None:
        return f"an {KIND_LABELS[kind]} has no parent organisation"
    if parent_kind != wanted:
        return f"a {KIND_LABELS[kind]}'s parent must be a {KIND_LABELS[wanted]}"
    return None


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        shown = f" ({self.value!r})" if self.value else ""
        return f"{where}{shown}: {self.message}"


@dataclass(frozen=True)
class OrgRow:
    line: int
    ods_code: str
    name: str
    kind: str
    parent_ods_code: str


def read_organisations_csv(
    text: str, *, existing: dict[str, str] | Iterable[tuple[str, str]] = ()
) -> tuple[list[OrgRow], list[Problem]]:
    """Read the bulk-load CSV. ``existing`` maps ODS codes already stored to their kind.

    Parents may be in the file (above or below their children) or already stored. Every
    problem is reported; the caller imports nothing unless the list is empty.
    """
    known = dict(existing)
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [Problem(1, "", ",".join(header), f"missing column(s): {', '.join(missing)}")]
    reader.fieldnames = header
    rows: list[OrgRow] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            problems.append(Problem(number, "", "", "this line has more cells than the header"))
            continue
        cell = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        if not any(cell.values()):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(Problem(number, "", "", f"a file may hold at most {MAX_ROWS} rows"))
            break
        kind = cell["kind"].lower()
        code = normalise(cell["ods_code"])
        parent = normalise(cell["parent_ods_code"])
        if kind not in KINDS:
            problems.append(
                Problem(number, "kind", cell["kind"], f"must be one of {', '.join(KINDS)}")
            )
        elif (msg := code_problem(code, kind)) is not None:
            problems.append(Problem(number, "ods_code", cell["ods_code"], msg))
        if code in seen:
            problems.append(
                Problem(number, "ods_code", code, f"already on line {seen[code]} of this file")
            )
        elif code and code in known:
            problems.append(Problem(number, "ods_code", code, "an organisation has this code"))
        if code:
            seen.setdefault(code, number)
        if not cell["name"]:
            problems.append(Problem(number, "name", "", "enter the organisation's name"))
        elif len(cell["name"]) > MAX_NAME:
            problems.append(
                Problem(number, "name", cell["name"][:40], f"at most {MAX_NAME} characters")
            )
        rows.append(OrgRow(number, code, cell["name"], kind, parent))
    in_file = {r.ods_code: r.kind for r in rows}
    for r in rows:
        if not r.parent_ods_code or r.kind not in KINDS:
            continue
        parent_kind = in_file.get(r.parent_ods_code) or known.get(r.parent_ods_code)
        if parent_kind is None:
            problems.append(
                Problem(
                    r.line,
                    "parent_ods_code",
                    r.parent_ods_code,
                    "no organisation has this code, here or already stored",
                )
            )
        elif (msg := parent_problem(r.kind, parent_kind)) is not None:
            problems.append(Problem(r.line, "parent_ods_code", r.parent_ods_code, msg))
    problems.sort(key=lambda p: (p.line, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
    return rows, problems


def in_parent_order(rows: list[OrgRow]) -> list[OrgRow]:
    """ICBs first, then PCNs, then practices, so each parent exists before its children."""
    order = {k: i for i, k in enumerate(("icb", "pcn", "practice"))}
    return sorted(rows, key=lambda r: (order.get(r.kind, 9), r.line))
