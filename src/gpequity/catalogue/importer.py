"""Import the official toolkit text from the user's own copy of the toolkit spreadsheet.

gpequity ships only facts about the toolkit (codes, themes, tiers, short titles) plus its own
summaries. The full official wording (descriptor, approaches, benefits, resources) belongs to
the publisher, so each user loads it from the copy they downloaded. Real copies are messy:
title rows above the header, columns in any order, a repeated code, an uncoded action, a title
that runs into its descriptor. The importer tolerates all of that, matches each row to a pack
action by code or by title, and reports every oddity as a warning with sheet, row and column
rather than hiding it. Anything that makes the file unusable is an error, and then the result
carries no entries at all: an import is complete or it is nothing.

Pure Python (openpyxl, csv); no Django.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

from gpequity.archives import XLSX_LIMITS, ArchiveError, check_archive
from gpequity.spreadsheets import csv_value, workbook_problem, xlsx_value

from .schema import Action, Pack

MAX_BYTES = 20 * 1024 * 1024
HEADER_SEARCH_ROWS = 10
FUZZY_RATIO = 0.85
# A workbook is a zip; refuse archives that unpack to far more than the file limit (zip bombs).
UNPACK_FACTOR = 10
MAX_UNPACKED = 64 * 1024 * 1024
"""At most this much XML is parsed from one workbook, whatever its packed size."""
# Above this many unpacked bytes of worksheet XML, read in streaming mode (no hyperlinks).
FULL_MODE_LIMIT = 16 * 1024 * 1024

# Canonical column -> accepted header spellings (compared after normalisation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "theme": ("Theme",),
    "code": ("Action Code", "Code"),
    "descriptor": ("Action Descriptor", "Descriptor"),
    "information": ("Supporting Information",),
    "resources": ("Supporting Resources", "Resources"),
    "tier": ("Action Tier", "Tier"),
}
REQUIRED = ("theme", "code", "descriptor")
COLUMN_LABEL = {
    "theme": "Theme",
    "code": "Action Code",
    "descriptor": "Action Descriptor",
    "information": "Supporting Information",
    "resources": "Supporting Resources",
    "tier": "Action Tier",
}

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XLSX_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}


# Result types -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    """One problem found in the file, located as precisely as the file allows.

    ``row`` is the 1-based spreadsheet row (or CSV line) and ``column`` the header label, so
    the user can go straight to the cell.
    """

    sheet: str
    row: int | None
    column: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = [self.sheet] if self.sheet else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class OfficialText:
    """The publisher's wording for one action, as found in the user's copy."""

    title: str
    descriptor: str
    supporting_information: str
    supporting_resources: str
    sheet: str
    row: int
    code: str
    links: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["links"] = list(self.links)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OfficialText:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["links"] = tuple(values.get("links", ()))
        return cls(**values)


CONTENT_FIELDS = ("code", "title", "descriptor", "supporting_information", "supporting_resources")


@dataclass
class ImportResult:
    """Outcome of one import: either errors and no entries, or a complete set of entries."""

    source_name: str
    sha256: str = ""
    rows_read: int = 0
    entries: dict[str, OfficialText] = field(default_factory=dict)
    warnings: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    tier_names: dict[str, str] = field(default_factory=dict)
    pack_id: str = ""

    @property
    def matched(self) -> int:
        return len(self.entries)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source_name,
            "sha256": self.sha256,
            "pack": self.pack_id,
            "actions": self.rows_read,
            "matched": self.matched,
            "tier_names": dict(self.tier_names),
            "warnings": [w.to_json() for w in self.warnings],
            "errors": [e.to_json() for e in self.errors],
        }

    def entries_json(self) -> dict[str, dict[str, Any]]:
        """Entries as plain dicts, for storage (the web app keeps them as JSON)."""
        return {key: text.to_dict() for key, text in self.entries.items()}


@dataclass(frozen=True)
class ImportDiff:
    """What changed between two imports of the official text, by action key."""

    added: list[str]
    removed: list[str]
    changed: list[tuple[str, list[str]]]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": [{"key": k, "fields": f} for k, f in self.changed],
        }


class _Fatal(Exception):
    """A fatal problem, raised deep in the reader and turned into an error by read_official."""

    def __init__(self, issue: Issue):
        super().__init__(str(issue))
        self.issue = issue


def _fail(sheet: str, message: str, row: int | None = None, column: str | None = None) -> NoReturn:
    raise _Fatal(Issue(sheet, row, column, message))


# Normalisation ------------------------------------------------------------------------------
def norm(text: str) -> str:
    """Casefolded letters and digits only: how titles, names and headers are compared."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def norm_code(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip()).upper().strip("_")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return text.strip()


# Raw rows -----------------------------------------------------------------------------------
@dataclass
class _Row:
    sheet: str
    row: int
    theme: str
    code: str
    descriptor_cell: str
    information: str
    resources: str
    tier_label: str
    links: list[str] = field(default_factory=list)


@dataclass
class _Sheet:
    """A table found in a sheet: where its header is and which column holds what."""

    name: str
    header_row: int
    columns: dict[str, int]
    rows: list[_Row]


def _match_header(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        key = norm(cell)
        if not key:
            continue
        for canonical, spellings in COLUMNS.items():
            if canonical not in found and key in {norm(s) for s in spellings}:
                found[canonical] = idx
                break
    return found


def _find_table(
    sheet: str, rows: list[tuple[int, list[str]]], links: Mapping[tuple[int, int], str]
) -> _Sheet | None:
    """Find the header in the first rows, then read the action rows below it.

    Returns None when no row looks like a header at all; raises when a header is there but
    lacks a required column, so the user learns which columns were seen.
    """
    best: tuple[int, list[str], dict[str, int]] | None = None
    for rownum, cells in rows[:HEADER_SEARCH_ROWS]:
        found = _match_header(cells)
        if len(found) >= 2 and (best is None or len(found) > len(best[2])):
            best = (rownum, cells, found)
    if best is None:
        return None
    header_row, header_cells, columns = best
    missing = [COLUMN_LABEL[c] for c in REQUIRED if c not in columns]
    if missing:
        seen = [c for c in header_cells if c]
        _fail(
            sheet,
            f"missing required column(s) {', '.join(missing)}; the header row has {seen}",
            row=header_row,
        )
    table = _Sheet(sheet, header_row, columns, [])

    def get(cells: list[str], name: str) -> str:
        idx = columns.get(name)
        return cells[idx] if idx is not None and idx < len(cells) else ""

    for rownum, cells in rows:
        if rownum <= header_row or not any(cells):
            continue
        row = _Row(
            sheet=sheet,
            row=rownum,
            theme=get(cells, "theme"),
            code=get(cells, "code"),
            descriptor_cell=get(cells, "descriptor"),
            information=get(cells, "information"),
            resources=get(cells, "resources"),
            tier_label=get(cells, "tier"),
        )
        if "resources" in columns and (rownum, columns["resources"]) in links:
            row.links.append(links[(rownum, columns["resources"])])
        table.rows.append(row)
    return table


# Reading files ------------------------------------------------------------------------------
def _sniff(path: Path, name: str, head: bytes) -> str:
    """Decide the format from the first bytes, checking the extension does not lie."""
    suffix = Path(name).suffix.lower() or path.suffix.lower()
    if head.startswith(_OLE_MAGIC):
        _fail(
            name,
            "this is a password-protected workbook or an old-style .xls file; remove the "
            "password (or use Save As, Excel Workbook .xlsx) and import again",
        )
    if head.startswith(_ZIP_MAGIC) or head.startswith(_EMPTY_ZIP_MAGIC):
        return "xlsx"
    if suffix in _XLSX_SUFFIXES or suffix == ".xls":
        _fail(
            name,
            f"has the {suffix} extension but is not an Excel workbook "
            f"(it starts with {head[:8]!r}); export it from Excel as .xlsx or .csv",
        )
    if b"\x00" in head:
        _fail(name, "is not a spreadsheet: expected an .xlsx workbook or a UTF-8 .csv file")
    return "csv"


def _read_xlsx(
    path: Path, name: str, max_bytes: int
) -> tuple[list[_Sheet], list[Issue], list[str]]:
    # The central directory first (gpequity.archives), so a zip bomb, an encrypted part or
    # a part that lies about its size is refused before anything is unpacked or parsed.
    limits = XLSX_LIMITS.with_total(min(UNPACK_FACTOR * max_bytes, MAX_UNPACKED))
    try:
        infos = check_archive(path, limits=limits, label="the workbook")
    except ArchiveError as exc:
        if exc.kind == "bad_zip":
            _fail(name, "the workbook is truncated or corrupt; download it again")
        _fail(name, exc.message)
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        _fail(name, "is a zip archive but not an Excel workbook (no xl/workbook.xml)")
    sheet_xml = sum(i.file_size for i in infos if i.filename.startswith("xl/"))
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                _fail(name, f"the workbook is corrupt: part {bad!r} fails its checksum")
    except zipfile.BadZipFile as exc:
        _fail(name, f"the workbook is truncated or corrupt ({exc}); download it again")
    except (OSError, EOFError, zlib.error) as exc:
        _fail(name, f"the workbook is corrupt and cannot be read ({exc})")
    read_only = sheet_xml > FULL_MODE_LIMIT

    import openpyxl  # local import: keeps `gpequity catalogue list` fast

    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it ignores (data validation, styles).
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=read_only, data_only=True)
    except _Fatal:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged parts
        _fail(name, f"the workbook cannot be opened: {workbook_problem(exc)}")
    sheets: list[_Sheet] = []
    skipped: list[Issue] = []
    empty: list[str] = []
    try:
        for ws in wb.worksheets:
            try:
                rows, links = _worksheet_rows(ws, read_only)
            except Exception as exc:  # damaged sheet XML surfaces only while reading
                _fail(ws.title, f"the sheet cannot be read: {workbook_problem(exc)}")
            if not rows:
                empty.append(ws.title)
                continue
            table = _find_table(ws.title, rows, links)
            if table is None:
                skipped.append(Issue(ws.title, None, None, _no_header_message(rows)))
                continue
            sheets.append(table)
    finally:
        wb.close()
    return sheets, skipped, empty


def _worksheet_rows(ws, read_only: bool) -> tuple[list[tuple[int, list[str]]], dict]:
    rows: list[tuple[int, list[str]]] = []
    links: dict[tuple[int, int], str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rownum, row in enumerate(ws.iter_rows(min_row=1, min_col=1), start=1):
            cells = []
            for idx, cell in enumerate(row):
                cells.append(_cell_text(xlsx_value(getattr(cell, "value", None))))
                link = None if read_only else getattr(cell, "hyperlink", None)
                if link is not None and getattr(link, "target", None):
                    links[(rownum, idx)] = link.target
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                rows.append((rownum, cells))
    return rows, links


def _no_header_message(rows: list[tuple[int, list[str]]]) -> str:
    first = [c for c in rows[0][1] if c][:6] if rows else []
    wanted = ", ".join(COLUMN_LABEL[c] for c in REQUIRED)
    return (
        f"no header row found in the first {HEADER_SEARCH_ROWS} rows (looked for {wanted}); "
        f"first row {rows[0][0]} has {first}"
    )


def _csv_dialect(text: str) -> type[csv.Dialect]:
    """Comma, semicolon (European Excel) or tab: whichever shows the most known headers."""
    best, best_score = csv.excel, -1
    head = text[:65536]
    for dialect in (csv.excel, _Semicolon, csv.excel_tab):
        try:
            rows = list(
                _take(csv.reader(io.StringIO(head, newline=""), dialect), HEADER_SEARCH_ROWS)
            )
        except csv.Error:
            continue
        score = max((len(_match_header([c.strip() for c in r])) for r in rows), default=0)
        if score > best_score:
            best, best_score = dialect, score
    return best


class _Semicolon(csv.excel):
    delimiter = ";"


def _take(iterator: Iterator[list[str]], n: int) -> Iterator[list[str]]:
    for i, item in enumerate(iterator):
        if i >= n:
            return
        yield item


def _read_csv(name: str, data: bytes) -> tuple[list[_Sheet], list[Issue], list[str]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1]
        _fail(
            name,
            f"is not UTF-8 text: byte {bad!r} at line {line} cannot be decoded; save it as "
            "'CSV UTF-8' and import again",
            row=line,
        )
    if not text.strip():
        return [], [], [name]
    dialect = _csv_dialect(text)
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for record in reader:
            # Spreadsheet row = the line where the record starts; cells can span lines.
            start = reader.line_num - sum(cell.count("\n") for cell in record)
            cells = [_cell_text(csv_value(c)) for c in record]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                rows.append((start, cells))
    except csv.Error as exc:
        _fail(
            name, f"the CSV cannot be parsed at line {reader.line_num}: {exc}", row=reader.line_num
        )
    if not rows:
        return [], [], [name]
    table = _find_table(name, rows, {})
    if table is None:
        return [], [Issue(name, None, None, _no_header_message(rows))], []
    return [table], [], []


# Matching -----------------------------------------------------------------------------------
def _split_title(cell: str, code_cell: str) -> tuple[str, str]:
    """Title = first non-empty line of the descriptor cell; the rest is the descriptor.

    When the code cell holds more than the code (the title on the line after it), that text
    is the title and the whole descriptor cell is descriptor.
    """
    extra = code_cell.split("\n", 1)[1].strip() if "\n" in code_cell else ""
    if extra:
        return extra.split("\n", 1)[0].strip(), cell.strip()
    lines = cell.strip().split("\n", 1)
    title = lines[0].strip()
    rest = lines[1].strip() if len(lines) > 1 else ""
    return title, rest


def _split_run_together(title: str, descriptor: str, pack_title: str) -> tuple[str, str]:
    """If the title line is the pack title followed by a sentence, split it there (MIN_08).

    A longer title that merely extends the pack's short one (", including ...") stays whole.
    """
    want = norm(pack_title)
    got = norm(title)
    if not want or got == want or not got.startswith(want):
        return title, descriptor
    count = 0
    for pos, ch in enumerate(title):
        count += len(norm(ch))
        if count >= len(want):
            head, tail = title[: pos + 1].strip(), title[pos + 1 :]
            if not _starts_sentence(tail):
                return title, descriptor
            tail = tail.strip()
            return head, (tail + ("\n" + descriptor if descriptor else "")).strip()
    return title, descriptor


def _starts_sentence(tail: str) -> bool:
    """Whitespace, then a capitalised run of several words: a descriptor, not a sub-title."""
    stripped = tail.lstrip()
    return tail[:1].isspace() and stripped[:1].isupper() and len(stripped.split()) >= 4


def _starts_with_title(wanted: str, title: str) -> bool:
    """A title line that begins with a (not too short) pack title and then runs on."""
    t = norm(title)
    return len(t) >= 8 and wanted.startswith(t)


class _Matcher:
    """Assigns file rows to pack actions, each pack action at most once."""

    def __init__(self, pack: Pack):
        self.pack = pack
        self.by_code: dict[str, list[Action]] = {}
        for a in pack.actions:
            if a.code:
                self.by_code.setdefault(norm_code(a.code), []).append(a)
        self.taken: set[str] = set()

    def free(self, actions: Iterable[Action]) -> list[Action]:
        return [a for a in actions if a.key not in self.taken]

    def by_title(self, title: str, prefer: list[Action]) -> Action | None:
        want = norm(title)
        if not want:
            return None
        pools = [self.free(prefer), self.free(self.pack.actions)]
        for pool in pools:
            exact = [a for a in pool if norm(a.title) == want]
            if exact:
                return exact[0]
            prefixed = [
                a for a in pool if len(norm(a.title)) >= 8 and want.startswith(norm(a.title))
            ]
            if prefixed:
                return max(prefixed, key=lambda a: len(a.title))
        for pool in pools:
            scored = [(difflib.SequenceMatcher(None, want, norm(a.title)).ratio(), a) for a in pool]
            scored = [s for s in scored if s[0] >= FUZZY_RATIO]
            if scored:
                return max(scored, key=lambda s: s[0])[1]
        return None


def _tier_lookup(pack: Pack) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for t in pack.tiers:
        lookup[norm(t.key)] = t.key
        lookup[norm(t.name)] = t.key
    return lookup


def _theme_lookup(pack: Pack) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for t in pack.themes:
        lookup[norm(t.key)] = t.key
        lookup[norm(t.name)] = t.key
    return lookup


def _merge_continuations(sheets: list[_Sheet], warn: list[Issue]) -> list[_Row]:
    """Rows carrying only supporting text continue the action above them (split cells)."""
    out: list[_Row] = []
    for sheet in sheets:
        last: _Row | None = None
        for row in sheet.rows:
            if not (row.theme or row.code or row.descriptor_cell or row.tier_label):
                if last is not None:
                    if row.information:
                        last.information = f"{last.information}\n{row.information}".strip()
                    if row.resources:
                        last.resources = f"{last.resources}\n{row.resources}".strip()
                    last.links.extend(row.links)
                    warn.append(
                        Issue(
                            row.sheet,
                            row.row,
                            None,
                            "row holds only supporting text; added to the action on "
                            f"row {last.row}",
                        )
                    )
                else:
                    warn.append(
                        Issue(row.sheet, row.row, None, "row holds only supporting text; ignored")
                    )
                continue
            out.append(row)
            last = row
    return out


def _resolve_tiers(
    pack: Pack,
    rows: list[_Row],
    assigned: dict[int, Action],
    default_tier: str | None,
    errors: list[Issue],
) -> tuple[dict[int, str | None], dict[str, str]]:
    """File tier of each row (by index), and real names the file gives to pack tiers.

    A label (tier cell, else sheet name) that names a pack tier by key or name maps directly.
    A sheet name that is not a tier takes ``default_tier`` when given. Any other label (the
    user's copy may carry the published names of tiers 1 and 2) maps to the pack tier most of
    its matched actions sit in, and is recorded as that tier's name.
    """
    lookup = _tier_lookup(pack)
    default_key = lookup.get(norm(default_tier)) if default_tier else None
    groups: dict[tuple[bool, str], list[int]] = {}
    for i, row in enumerate(rows):
        from_cell = bool(row.tier_label)
        groups.setdefault((from_cell, row.tier_label or row.sheet), []).append(i)
    result: dict[int, str | None] = {}
    names: dict[str, str] = {}
    for (from_cell, label), idxs in groups.items():
        key = lookup.get(norm(label))
        if key is None and not from_cell and default_key is not None:
            key = default_key
        elif key is None:
            votes = Counter(assigned[i].tier for i in idxs if i in assigned)
            top, n = votes.most_common(1)[0] if votes else (None, 0)
            if top is not None and n * 2 > sum(votes.values()):
                key = top
                names.setdefault(top, label)
            else:
                first = rows[idxs[0]]
                errors.append(
                    Issue(
                        first.sheet,
                        first.row if from_cell else None,
                        "Action Tier" if from_cell else None,
                        f"cannot tell which tier {label!r} is: it is not a tier of the pack "
                        f"({_tier_names(pack)}); name the sheet after its tier or add an "
                        "'Action Tier' column",
                    )
                )
        for i in idxs:
            result[i] = key
    return result, names


def _tier_names(pack: Pack) -> str:
    return ", ".join(t.name for t in pack.tiers)


def _row_code(row: _Row) -> str:
    """The code in the code cell, normalised; a title below it in the cell is not part of it."""
    return norm_code(row.code.split("\n", 1)[0]) if row.code.strip() else ""


def _match_rows(pack: Pack, rows: list[_Row], warn: list[Issue]) -> dict[int, Action]:
    matcher = _Matcher(pack)
    file_codes = Counter(_row_code(r) for r in rows if _row_code(r))
    assigned: dict[int, Action] = {}
    first_seen: dict[str, _Row] = {}
    for row in rows:
        code = _row_code(row)
        if not code:
            warn.append(Issue(row.sheet, row.row, "Action Code", "missing code"))
        elif code in first_seen:
            prev = first_seen[code]
            warn.append(
                Issue(
                    row.sheet,
                    row.row,
                    "Action Code",
                    f"repeated code {code!r} (also on sheet {prev.sheet!r} row {prev.row}); "
                    "matched by title",
                )
            )
        else:
            first_seen[code] = row
    # Pass 1: codes that are unique both in the pack and in the file.
    for i, row in enumerate(rows):
        code = _row_code(row)
        candidates = matcher.by_code.get(code, [])
        if code and file_codes[code] == 1 and len(candidates) == 1:
            action = candidates[0]
            if action.key not in matcher.taken:
                assigned[i] = action
                matcher.taken.add(action.key)
    # Pass 2: everything else by title (exact, then prefix, then fuzzy).
    for i, row in enumerate(rows):
        if i in assigned:
            continue
        code = _row_code(row)
        title, _ = _split_title(row.descriptor_cell, row.code)
        action = matcher.by_title(title, matcher.by_code.get(code, []))
        if action is None:
            shown = title[:80] or "(empty)"
            warn.append(
                Issue(
                    row.sheet,
                    row.row,
                    "Action Descriptor",
                    f"unmatched row: code {code or '(none)'!r}, title {shown!r} is not in the pack",
                )
            )
            continue
        if code and code not in matcher.by_code:
            warn.append(
                Issue(
                    row.sheet,
                    row.row,
                    "Action Code",
                    f"code {code!r} is not in the pack; matched {action.key!r} by title",
                )
            )
        elif code and action not in matcher.by_code[code]:
            warn.append(
                Issue(
                    row.sheet,
                    row.row,
                    "Action Code",
                    f"code {code!r} belongs to another action; matched {action.key!r} by title",
                )
            )
        assigned[i] = action
        matcher.taken.add(action.key)
    return assigned


def _build_entries(
    pack: Pack,
    rows: list[_Row],
    assigned: dict[int, Action],
    tiers: dict[int, str | None],
    warn: list[Issue],
) -> dict[str, OfficialText]:
    themes = _theme_lookup(pack)
    entries: dict[str, OfficialText] = {}
    for i, row in enumerate(rows):
        theme_key = themes.get(norm(row.theme)) if row.theme else None
        if row.theme and theme_key is None:
            warn.append(Issue(row.sheet, row.row, "Theme", f"unknown theme {row.theme!r}"))
        elif not row.theme:
            warn.append(Issue(row.sheet, row.row, "Theme", "missing theme"))
        action = assigned.get(i)
        title, descriptor = _split_title(row.descriptor_cell, row.code)
        if action is not None:
            title, descriptor = _split_run_together(title, descriptor, action.title)
        if not descriptor:
            warn.append(Issue(row.sheet, row.row, "Action Descriptor", "empty descriptor"))
        if action is None:
            continue
        if theme_key is not None and theme_key != action.theme:
            warn.append(
                Issue(
                    row.sheet,
                    row.row,
                    "Theme",
                    f"theme {row.theme!r} differs from the pack's "
                    f"{pack.theme(action.theme).name!r} for {action.key!r}",
                )
            )
        file_tier = tiers.get(i)
        if file_tier is not None and file_tier != action.tier:
            warn.append(
                Issue(
                    row.sheet,
                    row.row,
                    "Action Tier" if row.tier_label else None,
                    f"tier mismatch: the file puts {action.key!r} in "
                    f"{pack.tier(file_tier).name!r}, the pack in {pack.tier(action.tier).name!r}",
                )
            )
        entries[action.key] = OfficialText(
            title=title,
            descriptor=descriptor,
            supporting_information=row.information,
            supporting_resources=row.resources,
            sheet=row.sheet,
            row=row.row,
            code=_row_code(row),
            links=tuple(dict.fromkeys(row.links)),
        )
    for action in pack.actions:
        if action.key not in entries:
            warn.append(
                Issue(
                    "",
                    None,
                    None,
                    f"pack action {action.key!r} ({action.code or 'no code'}, "
                    f"{action.title!r}) not found in the file",
                )
            )
    return entries


# Public API ---------------------------------------------------------------------------------
def read_official(
    path: str | Path,
    pack: Pack,
    *,
    max_bytes: int = MAX_BYTES,
    default_tier: str | None = None,
    source_name: str | None = None,
) -> ImportResult:
    """Read the user's copy of the toolkit (.xlsx or .csv) and match it to ``pack``.

    ``default_tier`` (tier key or name) applies to rows whose sheet has no tier column and
    whose sheet name is not a tier, e.g. a CSV holding one tier. ``source_name`` is the name
    shown in messages (the uploaded file's name when the web app saved it under another).
    """
    path = Path(path)
    result = ImportResult(source_name=source_name or path.name, pack_id=pack.id)
    try:
        _read_into(path, pack, result, max_bytes=max_bytes, default_tier=default_tier)
    except _Fatal as exc:
        result.errors.append(exc.issue)
    # Errors must name the file too, not only the sheet inside it.
    result.errors = [
        e
        if e.sheet == result.source_name
        else replace(e, message=f"{e.message} (in {result.source_name})")
        for e in result.errors
    ]
    if result.errors:
        result.entries = {}
        result.tier_names = {}
    return result


def _read_into(
    path: Path, pack: Pack, result: ImportResult, *, max_bytes: int, default_tier: str | None
) -> None:
    name = result.source_name
    if default_tier and norm(default_tier) not in _tier_lookup(pack):
        _fail(name, f"unknown tier {default_tier!r}; the pack has {_tier_names(pack)}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        _fail(name, f"cannot be read: {exc.strerror or exc}")
    if not path.is_file():
        _fail(name, "is not a file")
    if size > max_bytes:
        _fail(name, f"is {size:,} bytes, over the {max_bytes:,}-byte limit for a toolkit file")
    if size == 0:
        _fail(name, "is empty")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        _fail(name, f"cannot be read: {exc.strerror or exc}")
    kind = _sniff(path, name, head)
    result.sha256 = _sha256(path)
    if kind == "xlsx":
        sheets, skipped, empty = _read_xlsx(path, name, max_bytes)
    else:
        sheets, skipped, empty = _read_csv(name, path.read_bytes())
    if not sheets:
        if skipped:
            first = skipped[0]
            _fail(first.sheet, first.message)
        _fail(empty[0] if empty else name, "the sheet is empty: no rows to import")
    for sheet in sheets:
        if not sheet.rows:
            _fail(
                sheet.name,
                f"header found on row {sheet.header_row} but no action rows below it",
                row=sheet.header_row,
            )
    for issue in skipped:
        result.warnings.append(Issue(issue.sheet, None, None, f"sheet skipped: {issue.message}"))
    tiers = _tier_lookup(pack)
    for sheet_name in empty:
        if norm(sheet_name) in tiers:
            # A tier's own sheet with nothing in it: the copy is incomplete, not just untidy.
            _fail(sheet_name, "the sheet is empty, but its name is a tier of the toolkit")
        result.warnings.append(Issue(sheet_name, None, None, "sheet skipped: it is empty"))
    if kind == "csv" and default_tier is None and "tier" not in sheets[0].columns:
        _fail(
            name,
            "the CSV has no 'Action Tier' column; add one, or say which tier the file holds",
            row=sheets[0].header_row,
        )
    rows = _merge_continuations(sheets, result.warnings)
    if not rows:
        _fail(name, "no action rows found")
    result.rows_read = len(rows)
    assigned = _match_rows(pack, rows, result.warnings)
    tiers, names = _resolve_tiers(pack, rows, assigned, default_tier, result.errors)
    if result.errors:
        return
    result.entries = _build_entries(pack, rows, assigned, tiers, result.warnings)
    # File order (sheet, then row) reads best; issues about the whole pack come last.
    order = {sheet.name: n for n, sheet in enumerate(sheets)}
    result.warnings.sort(key=lambda w: (order.get(w.sheet, len(order)), w.row or 0))
    result.tier_names = {k: names[k] for k in (t.key for t in pack.tiers) if k in names}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _as_text(value: OfficialText | Mapping[str, Any]) -> OfficialText:
    return value if isinstance(value, OfficialText) else OfficialText.from_dict(value)


def diff_imports(
    old_entries: Mapping[str, OfficialText | Mapping[str, Any]],
    new_entries: Mapping[str, OfficialText | Mapping[str, Any]],
) -> ImportDiff:
    """Compare two imports so the user sees what a new copy of the toolkit changed.

    Accepts entries as OfficialText or as the stored dicts. Only the wording counts; where a
    row sits in the sheet does not.
    """
    added = sorted(k for k in new_entries if k not in old_entries)
    removed = sorted(k for k in old_entries if k not in new_entries)
    changed: list[tuple[str, list[str]]] = []
    for key in sorted(set(old_entries) & set(new_entries)):
        old, new = _as_text(old_entries[key]), _as_text(new_entries[key])
        fields = [f for f in CONTENT_FIELDS if getattr(old, f) != getattr(new, f)]
        if old.links != new.links:
            fields.append("links")
        if fields:
            changed.append((key, fields))
    return ImportDiff(added=added, removed=removed, changed=changed)


def iter_issues(result: ImportResult) -> Iterator[tuple[str, Issue]]:
    """Errors then warnings, labelled, in file order: what a report prints."""
    for issue in result.errors:
        yield "error", issue
    for issue in result.warnings:
        yield "warning", issue
