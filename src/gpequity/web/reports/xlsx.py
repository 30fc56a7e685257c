"""The practice workbook: the assessment and action plan laid out like the toolkit spreadsheet.

Export writes one sheet per tier (a title row, a header row, one row per action) followed by
the Plan, Cycles, Measurements, Focus group and About sheets. Import reads the same layout
back into typed values (``ParsedWorkbook``) and reports every problem with its sheet, row,
column and value; deciding what changes and applying it is ``services``' job.

Only these cells are imported: Status and Notes and the plan columns of the tier sheets,
and the plan columns of the Plan sheet. Cycles, Measurements and Focus group are there to
read; edits to them are reported as warnings and not applied.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from gpequity.archives import ArchiveError, Limits, check_archive
from gpequity.catalogue import Pack, vocab
from gpequity.catalogue.export import sheet_title
from gpequity.spreadsheets import append_row, workbook_problem, xlsx_value
from gpequity.web.assessment.models import Status as AssessmentStatus
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans.models import Status as PlanStatus

from . import selectors

FORMAT_NAME = "gpequity practice workbook"
FORMAT_VERSION = "1"
MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 16 * 1024 * 1024
WORKBOOK_LIMITS = Limits(max_members=500, max_total=MAX_UNPACKED, max_ratio=100.0)
"""What an uploaded practice workbook may unpack to. The workbook of the largest framework,
with every note and plan field filled, is well under 1 MB unpacked; 16 MB of sheet XML takes
openpyxl a few seconds, where the 93 MB bomb of issue 22 took 48."""
MAX_ROWS = 5000
MAX_COLUMNS = 100

TIER_HEADER = (
    "Theme",
    "Action Code",
    "Action Key",
    "Action Title",
    "Status",
    "Notes",
    "Plan owner",
    "Start date",
    "Due date",
    "Plan status",
    "Objective",
    "Measure",
    "Baseline",
    "Target",
)
PLAN_HEADER = (
    "Action Key",
    "Action Code",
    "Title",
    "Owner",
    "Start date",
    "Due date",
    "Status",
    "Objective",
    "Measure indicator",
    "Measure",
    "Baseline",
    "Target",
    "Unit",
)
CYCLES_HEADER = (
    "Action Key",
    "Plan item",
    "Cycle",
    "Plan",
    "Do",
    "Study",
    "Act",
    "Started on",
    "Completed on",
)
MEASUREMENTS_HEADER = ("Action Key", "Plan item", "Measured on", "Value", "Note")
FOCUS_HEADER = (
    "Version",
    "Saved on",
    "Saved by",
    "Plain English",
    "Rationale",
    "Data sources",
    "Criteria (JSON)",
)
READ_ONLY_SHEETS = {
    "Cycles": CYCLES_HEADER,
    "Measurements": MEASUREMENTS_HEADER,
    "Focus group": FOCUS_HEADER,
}
# Tier-sheet column -> plan item field; Plan-sheet column -> plan item field.
TIER_PLAN_COLUMNS = {
    "Plan owner": "owner",
    "Start date": "start_date",
    "Due date": "due_date",
    "Plan status": "status",
    "Objective": "objective",
    "Measure": "measure_text",
    "Baseline": "baseline",
    "Target": "target",
}
PLAN_COLUMNS = {
    "Title": "title",
    "Owner": "owner",
    "Start date": "start_date",
    "Due date": "due_date",
    "Status": "status",
    "Objective": "objective",
    "Measure indicator": "measure_indicator",
    "Measure": "measure_text",
    "Baseline": "baseline",
    "Target": "target",
    "Unit": "unit",
}
PLAN_FIELD_LIMITS = {"title": 300, "measure_text": 300, "unit": 20, "measure_indicator": 64}
_WIDTHS = {"Notes": 40, "Objective": 40, "Action Title": 45, "Title": 45, "Plan": 40}


# --------------------------------------------------------------------------- export


def _date(value: date | None) -> date | None:
    return value


def _number(value: Decimal | None) -> Decimal | int | None:
    n = selectors.as_number(value)
    if n is None:
        return None
    return int(n) if n == n.to_integral() else n


def tier_sheet_names(pack: Pack) -> dict[str, str]:
    """The sheet name of each tier (Excel-safe and unique, reserved names avoided)."""
    used = {name.casefold() for name in ("Plan", "Cycles", "Measurements", "Focus group", "About")}
    return {t.key: sheet_title(t.name, used) for t in pack.tiers}


def export_workbook(org: Organisation, *, now: datetime | None = None) -> bytes:
    """The organisation's assessment, plan, cycles, measurements and Focus group as .xlsx."""
    import openpyxl

    now = timezone.localtime(now or timezone.now())
    pack = selectors.load_pack_for(org)
    entries = selectors.entries(org)
    plan_by_action = selectors.plan_item_by_action(org)
    people = Owners(selectors.member_users(org))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    title = f"{org.name} ({org.ods_code}): {pack.name}. Exported from gpequity on {now:%d %B %Y}."
    names = tier_sheet_names(pack)
    for tier in pack.tiers:
        rows = []
        for action in pack.actions_in(tier=tier.key):
            entry = entries.get(action.key)
            item = plan_by_action.get(action.key)
            rows.append(
                [
                    pack.theme(action.theme).name,
                    action.code,
                    action.key,
                    action.title,
                    AssessmentStatus(entry.status if entry else "not_started").label,
                    entry.notes if entry else "",
                    *_tier_plan_cells(item, people),
                ]
            )
        ws = _sheet(wb, names[tier.key], f"{tier.name}. {title}", TIER_HEADER, rows)
        _status_list(ws, "E", AssessmentStatus.labels, len(rows))
        _status_list(ws, "J", PlanStatus.labels, len(rows))
    plan_rows = [
        [
            i.action_key,
            _code(pack, i.action_key),
            i.title,
            people.label(i.owner),
            _date(i.start_date),
            _date(i.due_date),
            PlanStatus(i.status).label,
            i.objective,
            indicator_title(i.measure_indicator),
            i.measure_text,
            _number(i.baseline),
            _number(i.target),
            i.unit,
        ]
        for i in selectors.plan_items(org)
    ]
    ws = _sheet(wb, "Plan", f"Action plan. {title}", PLAN_HEADER, plan_rows)
    _status_list(ws, "G", PlanStatus.labels, len(plan_rows))
    for sheet, (header, rows) in read_only_rows(org).items():
        _sheet(wb, sheet, f"{sheet} (for reading; not imported). {title}", header, rows)
    about = wb.create_sheet("About")
    for row in (
        ("Format", FORMAT_NAME),
        ("Format version", FORMAT_VERSION),
        ("ODS code", org.ods_code),
        ("Practice", org.name),
        ("Framework", pack.id),
        ("Exported at", now.isoformat(timespec="seconds")),
        ("Attribution", pack.attribution),
        (
            "How to import",
            "Edit Status, Notes and the plan columns of the tier sheets or the Plan sheet, "
            "then upload the workbook on the practice's Reports page. Keep the sheet names, "
            "header rows and Action Key column as they are. Name a plan owner as the workbook "
            "does (a member's name, or their username or e-mail address) and a measure "
            "indicator by its title (or its key).",
        ),
    ):
        append_row(about, row)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 90
    about.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class Owners:
    """How plan owners are named in the workbook, and read back.

    A person reads names, so an owner is written as the member's full name. The name alone
    is only used when it picks out one member and is not another member's username or
    e-mail address; otherwise it is written "Full name (username)". Reading accepts either
    form, a username or an e-mail address; a name shared by two members is refused, asking
    for the "(username)" form."""

    WITH_USERNAME = re.compile(r"^(?P<name>.*\S)\s*\((?P<username>[^()]+)\)$")

    def __init__(self, users: Iterable[Any]):
        self.users = list(users)
        self.by_key: dict[str, Any] = {}
        for user in self.users:
            self.by_key[user.get_username().casefold()] = user
        for user in self.users:
            if user.email:
                self.by_key.setdefault(user.email.casefold(), user)
        self.by_name: dict[str, list[Any]] = {}
        for user in self.users:
            name = user.get_full_name().strip()
            if name:
                self.by_name.setdefault(name.casefold(), []).append(user)

    def label(self, user) -> str:
        if user is None:
            return ""
        name = user.get_full_name().strip()
        if not name:
            return user.get_username()
        key = name.casefold()
        if len(self.by_name.get(key, [])) == 1 and key not in self.by_key:
            return name
        return f"{name} ({user.get_username()})"

    def parse(self, cell: Any) -> Any:
        text = _text(cell)
        if not text:
            return None
        key = text.casefold()
        if key in self.by_key:
            return self.by_key[key]
        m = self.WITH_USERNAME.match(text)
        if m and m["username"].strip().casefold() in self.by_key:
            user = self.by_key[m["username"].strip().casefold()]
            if user.get_full_name().strip().casefold() == m["name"].casefold():
                return user
        named = self.by_name.get(key, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise ValueError(
                f"{len(named)} members are called {text}: write the owner with their "
                f"username, as in '{text} ({named[0].get_username()})'"
            )
        raise ValueError("No member of this practice has this name, username or e-mail address")


def indicator_title(key: str) -> str:
    """An indicator's title for people (the key itself when the toolkit does not list it)."""
    return vocab.INDICATORS.get(key, key) if key else ""


_INDICATOR_BY_TEXT = {
    **{t.casefold(): k for k, t in vocab.INDICATORS.items()},
    **{k.casefold(): k for k in vocab.INDICATORS},
}


def _code(pack: Pack, key: str) -> str:
    try:
        return pack.action(key).code
    except KeyError:
        return ""


def _tier_plan_cells(item, people: Owners) -> list[Any]:
    if item is None:
        return ["", None, None, "", "", "", None, None]
    return [
        people.label(item.owner),
        _date(item.start_date),
        _date(item.due_date),
        PlanStatus(item.status).label,
        item.objective,
        item.measure_text,
        _number(item.baseline),
        _number(item.target),
    ]


def read_only_rows(org: Organisation) -> dict[str, tuple[tuple[str, ...], list[list[Any]]]]:
    """Rows of the sheets that are exported for reading only (compared, never imported)."""
    cycles = [
        [
            c.plan_item.action_key,
            c.plan_item.title,
            c.number,
            c.plan,
            c.do,
            c.study,
            c.act,
            c.started_on,
            c.completed_on,
        ]
        for c in selectors.cycles(org)
    ]
    measurements = [
        [m.plan_item.action_key, m.plan_item.title, m.measured_on, _number(m.value), m.note]
        for m in selectors.measurements(org)
    ]
    focus = [
        [
            v.version,
            timezone.localtime(v.created_at).date() if v.created_at else None,
            selectors.user_label(v.created_by),
            v.description_text,
            v.rationale,
            v.data_sources,
            json.dumps(v.criteria, sort_keys=True, ensure_ascii=False),
        ]
        for v in selectors.focus_versions(org)
    ]
    return {
        "Cycles": (CYCLES_HEADER, cycles),
        "Measurements": (MEASUREMENTS_HEADER, measurements),
        "Focus group": (FOCUS_HEADER, focus),
    }


def _sheet(wb, name: str, title: str, header: Iterable[str], rows: list[list[Any]]):
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    header = list(header)
    append_row(ws, [title])
    append_row(ws, header)
    ws["A1"].font = Font(bold=True, size=12)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, row)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for idx, name_ in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = _WIDTHS.get(name_, 16)
    ws.freeze_panes = "A3"
    return ws


def _status_list(ws, column: str, labels: Iterable[str], n: int) -> None:
    """A drop-down of the allowed labels on a status column (Excel shows it; import checks)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    if n == 0:
        return
    dv = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
    dv.error = "Choose one of the listed statuses"
    ws.add_data_validation(dv)
    dv.add(f"{column}3:{column}{n + 2}")


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class Issue:
    """One problem with an uploaded workbook, pointing at the cell a person must fix."""

    sheet: str
    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = self.sheet or "workbook"
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        shown = f" (value {self.value!r})" if self.value else ""
        return f"{where}: {self.message}{shown}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class Cell:
    """A typed value read from one cell, with where it came from."""

    value: Any
    sheet: str
    row: int
    column: str
    raw: str


@dataclass
class ActionRow:
    key: str
    sheet: str
    row: int
    status: Cell | None = None
    notes: Cell | None = None
    plan: dict[str, Cell] = field(default_factory=dict)


@dataclass
class ParsedWorkbook:
    """Typed contents of an uploaded workbook (only what import may change)."""

    ods_code: str = ""
    tier_rows: dict[str, ActionRow] = field(default_factory=dict)
    plan_rows: dict[str, ActionRow] = field(default_factory=dict)
    read_only: dict[str, list[list[str]]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def data(self) -> dict[str, Any]:
        """A plain, comparable view of the imported values (used by round-trip checks)."""

        def plain(v: Any) -> Any:
            if hasattr(v, "get_username"):
                return v.get_username()
            return v

        return {
            "assessment": {
                k: {
                    "status": r.status.value if r.status else None,
                    "notes": r.notes.value if r.notes else None,
                }
                for k, r in self.tier_rows.items()
            },
            "tier_plan": {
                k: {f: plain(c.value) for f, c in r.plan.items()} for k, r in self.tier_rows.items()
            },
            "plan": {
                k: {f: plain(c.value) for f, c in r.plan.items()} for k, r in self.plan_rows.items()
            },
        }


class WorkbookError(Exception):
    """The upload cannot be read as a practice workbook at all."""

    def __init__(self, issue: Issue):
        super().__init__(str(issue))
        self.issue = issue


def check_file(data: bytes, name: str = "upload") -> None:
    """Refuse files that are too big, not .xlsx workbooks, or zip bombs, before parsing."""
    if len(data) > MAX_BYTES:
        raise WorkbookError(
            Issue(name, None, "", "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE file: Excel's encrypted .xlsx, or .xls
        raise WorkbookError(
            Issue(
                name,
                None,
                "",
                "",
                "The workbook is password-protected or in the old .xls format. Open it in "
                "Excel, remove any password (File, Info, Protect Workbook), save it as .xlsx "
                "and upload it again.",
            )
        )
    if not data.startswith(b"PK\x03\x04"):
        raise WorkbookError(
            Issue(
                name,
                None,
                "",
                "",
                "This is not an Excel workbook (.xlsx). Export the "
                "practice workbook from the Reports page, edit it and upload it again.",
            )
        )
    try:
        infos = check_archive(data, limits=WORKBOOK_LIMITS, label="the workbook")
    except ArchiveError as exc:
        raise WorkbookError(Issue(name, None, "", "", _archive_message(exc))) from None
    if not any(i.filename.startswith("xl/") for i in infos):
        raise WorkbookError(
            Issue(name, None, "", "", "This zip file is not an Excel workbook (.xlsx).")
        )


def _archive_message(exc: ArchiveError) -> str:
    if exc.kind == "bad_zip":
        return "The file is damaged or not an Excel workbook (.xlsx)."
    if exc.kind == "encrypted":
        return (
            "The workbook is password-protected. Open it in Excel, remove the password "
            "(File, Info, Protect Workbook) and upload it again."
        )
    text = exc.message
    return ("T" + text[1:] if text.startswith("the ") else text) + "."


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula: its text (``=...``) and the value Excel last worked out
    for it (None when no spreadsheet program has calculated it)."""

    text: str
    cached: Any = None


def _text(value: Any) -> str:
    if isinstance(value, Formula):
        return value.text.strip()
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: Any) -> date | None:
    """A cell as a date: Excel dates, YYYY-MM-DD or DD/MM/YYYY; blank is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) in (10, 19) else date.fromisoformat(text)
    except ValueError:
        pass
    m = _DMY.match(text)
    if m:
        try:
            return date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            pass
    raise ValueError("Enter a real date as YYYY-MM-DD or DD/MM/YYYY")


def parse_number(value: Any) -> Decimal | None:
    """A cell as a number with at most 3 decimal places (the plan stores 3)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("Enter a number")
    try:
        number = Decimal(str(value).strip().rstrip("%").replace(",", ""))
    except InvalidOperation:
        raise ValueError("Enter a number, for example 42 or 12.5") from None
    if not number.is_finite():
        raise ValueError("Enter a number, for example 42 or 12.5")
    number = number.quantize(Decimal("0.001"))
    if abs(number) >= Decimal("1e9"):
        raise ValueError("The number is too large")
    return selectors.as_number(number)


def _choice(choices: Iterable[tuple[str, str]], blank: str | None) -> Callable[[Any], str | None]:
    by_text = {}
    for value, label in choices:
        by_text[value.casefold()] = value
        by_text[label.casefold()] = value
    allowed = ", ".join(label for _, label in choices)

    def parse(cell: Any) -> str | None:
        text = _text(cell)
        if not text:
            return blank
        try:
            return by_text[text.casefold()]
        except KeyError:
            raise ValueError(f"Choose one of: {allowed}") from None

    return parse


def _exact(value: Any) -> str:
    """A free-text cell exactly as typed (spaces kept), unlike ``_text``."""
    if isinstance(value, str):
        return value
    return _text(value)


def _plain(limit: int | None) -> Callable[[Any], str]:
    def parse(cell: Any) -> str:
        text = _exact(cell)
        if limit and len(text) > limit:
            raise ValueError(f"Use {limit} characters or fewer")
        return text

    return parse


def _indicator(cell: Any) -> str:
    """An indicator by its title (as exported) or its key; blank for none."""
    text = _text(cell)
    if not text:
        return ""
    try:
        return _INDICATOR_BY_TEXT[text.casefold()]
    except KeyError:
        raise ValueError(
            "Use an indicator title from the toolkit's list (as on the plan page), or leave "
            "it blank"
        ) from None


def plan_parsers(owners: Owners) -> dict[str, Callable[[Any], Any]]:
    return {
        "title": _plain(300),
        "owner": owners.parse,
        "start_date": parse_date,
        "due_date": parse_date,
        "status": _choice(PlanStatus.choices, PlanStatus.NOT_STARTED.value),
        "objective": _plain(None),
        "measure_indicator": _indicator,
        "measure_text": _plain(300),
        "baseline": parse_number,
        "target": parse_number,
        "unit": _plain(20),
    }


def read_workbook(data: bytes, org: Organisation, *, name: str = "upload") -> ParsedWorkbook:
    """Parse an uploaded practice workbook. Raises ``WorkbookError`` if it is not one at all;
    cell-level problems are collected in ``issues`` so the person sees them all at once."""
    check_file(data, name)
    wb = _open(data, name, formulas=True)
    try:
        return _read(wb, org, lambda: _open(data, name, formulas=False))
    except WorkbookError:
        raise
    except Exception as exc:  # damaged sheet XML surfaces only while reading
        raise WorkbookError(_unreadable(name, exc)) from None
    finally:
        wb.close()


def _unreadable(name: str, exc: BaseException) -> Issue:
    return Issue(
        name,
        None,
        "",
        "",
        f"The workbook could not be opened: {workbook_problem(exc)}. Save it again as .xlsx.",
    )


def _open(data: bytes, name: str, *, formulas: bool):
    """Open the workbook read-only: with formulas as written (``formulas``), or with the
    values a spreadsheet program last worked out for them."""
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=not formulas)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise WorkbookError(_unreadable(name, exc)) from None


def _rows(ws, cached: Callable[[], Any] | None = None) -> list[tuple[int, list[Any]]]:
    """The sheet's rows; text as typed (``xlsx_value``), a formula as ``Formula`` with the
    value last worked out for it (from ``cached()``, the same workbook opened for values,
    only opened when the sheet has a formula)."""
    out = []
    formulas: list[tuple[int, int]] = []
    for idx, cells in enumerate(ws.iter_rows(), start=1):
        if idx > MAX_ROWS:
            raise WorkbookError(
                Issue(ws.title, idx, "", "", f"The sheet has more than {MAX_ROWS} rows.")
            )
        values = []
        for col, c in enumerate(cells):
            if getattr(c, "data_type", None) == "f":
                formulas.append((idx - 1, col))
                values.append(Formula(str(c.value)))
            else:
                values.append(xlsx_value(c.value))
        while values and values[-1] is None:
            values.pop()
        if len(values) > MAX_COLUMNS:
            raise WorkbookError(
                Issue(ws.title, idx, "", "", f"The sheet has more than {MAX_COLUMNS} columns.")
            )
        out.append((idx, values))
    if formulas and cached is not None:
        wb = cached()
        try:
            worked_out = [list(v) for v in wb[ws.title].iter_rows(values_only=True)]
        finally:
            wb.close()
        for r, c in formulas:
            row = worked_out[r] if r < len(worked_out) else []
            value = row[c] if c < len(row) else None
            out[r][1][c] = Formula(out[r][1][c].text, xlsx_value(value))
    return out


def _header(sheet: str, rows, expected: tuple[str, ...], out: ParsedWorkbook) -> bool:
    """Check row 2 holds exactly the expected headers, in order."""
    got = [_text(v) for v in rows[1][1]] if len(rows) > 1 else []
    while got and not got[-1]:
        got.pop()
    if [g.casefold() for g in got] == [e.casefold() for e in expected]:
        return True
    for i, want in enumerate(expected):
        have = got[i] if i < len(got) else ""
        if have.casefold() != want.casefold():
            from openpyxl.utils import get_column_letter

            out.issues.append(
                Issue(
                    sheet,
                    2,
                    get_column_letter(i + 1),
                    have,
                    f"Expected the header {want!r} here. Keep the header row exactly as exported.",
                )
            )
            return False
    out.issues.append(
        Issue(
            sheet,
            2,
            "",
            ", ".join(got[len(expected) :]),
            "Unexpected extra columns in the header row.",
        )
    )
    return False


def _read(wb, org: Organisation, cached: Callable[[], Any] | None = None) -> ParsedWorkbook:
    out = ParsedWorkbook()
    pack = selectors.load_pack_for(org)
    sheets = {ws.title: ws for ws in wb.worksheets}
    if "About" not in sheets:
        raise WorkbookError(
            Issue(
                "About",
                None,
                "",
                "",
                "This is not a gpequity practice workbook (no About "
                "sheet). Export the workbook from the Reports page and edit that copy.",
            )
        )
    about = {_text(r[0]): _text(r[1]) if len(r) > 1 else "" for _, r in _rows(sheets["About"]) if r}
    if about.get("Format") != FORMAT_NAME:
        raise WorkbookError(
            Issue(
                "About",
                None,
                "B",
                about.get("Format", ""),
                "This is not a gpequity practice "
                "workbook. Export the workbook from the Reports page and edit that copy.",
            )
        )
    if about.get("Format version") != FORMAT_VERSION:
        raise WorkbookError(
            Issue(
                "About",
                None,
                "B",
                about.get("Format version", ""),
                f"This workbook's format version is not supported (expected {FORMAT_VERSION}).",
            )
        )
    out.ods_code = about.get("ODS code", "")
    if out.ods_code.casefold() != org.ods_code.casefold():
        raise WorkbookError(
            Issue(
                "About",
                None,
                "B",
                out.ods_code,
                f"This workbook was exported for another organisation, not {org.ods_code}.",
            )
        )
    parsers = plan_parsers(Owners(selectors.member_users(org)))
    status = _choice(AssessmentStatus.choices, AssessmentStatus.NOT_STARTED.value)
    for sheet in tier_sheet_names(pack).values():
        if sheet not in sheets:
            out.issues.append(Issue(sheet, None, "", "", "This tier's sheet is missing."))
            continue
        rows = _rows(sheets[sheet], cached)
        if not _header(sheet, rows, TIER_HEADER, out):
            continue
        for idx, values in rows[2:]:
            cells = dict(zip(TIER_HEADER, values + [None] * len(TIER_HEADER), strict=False))
            key = _text(cells["Action Key"])
            if not key and not any(_text(v) for v in values):
                continue
            row = _action_row(out, pack, sheet, idx, key, out.tier_rows)
            if row is None:
                continue
            row.status = _cell(out, sheet, idx, "Status", cells["Status"], status)
            row.notes = _cell(out, sheet, idx, "Notes", cells["Notes"], _plain(10000))
            for column, fname in TIER_PLAN_COLUMNS.items():
                c = _cell(out, sheet, idx, column, cells[column], parsers[fname])
                if c is not None:
                    row.plan[fname] = c
    if "Plan" not in sheets:
        out.issues.append(Issue("Plan", None, "", "", "The Plan sheet is missing."))
    else:
        rows = _rows(sheets["Plan"], cached)
        if _header("Plan", rows, PLAN_HEADER, out):
            for idx, values in rows[2:]:
                cells = dict(zip(PLAN_HEADER, values + [None] * len(PLAN_HEADER), strict=False))
                key = _text(cells["Action Key"])
                if not key and not any(_text(v) for v in values):
                    continue
                row = _action_row(out, pack, "Plan", idx, key, out.plan_rows)
                if row is None:
                    continue
                for column, fname in PLAN_COLUMNS.items():
                    c = _cell(out, "Plan", idx, column, cells[column], parsers[fname])
                    if c is not None:
                        row.plan[fname] = c
    for sheet, header in READ_ONLY_SHEETS.items():
        if sheet in sheets:
            rows = _rows(sheets[sheet])
            out.read_only[sheet] = [
                [_text(v) for v in (values + [None] * len(header))[: len(header)]]
                for _, values in rows[2:]
                if any(_text(v) for v in values)
            ]
    return out


def _action_row(out, pack: Pack, sheet: str, idx: int, key: str, seen: dict) -> ActionRow | None:
    if not key:
        out.issues.append(Issue(sheet, idx, "Action Key", "", "The Action Key is blank."))
        return None
    try:
        pack.action(key)
    except KeyError:
        out.issues.append(
            Issue(
                sheet,
                idx,
                "Action Key",
                key,
                "There is no action with this key in the "
                "practice's framework. Keep the Action Key column as exported.",
            )
        )
        return None
    if key in seen:
        first = seen[key]
        out.issues.append(
            Issue(
                sheet,
                idx,
                "Action Key",
                key,
                f"This action appears twice (also {first.sheet} row {first.row}).",
            )
        )
        return None
    row = ActionRow(key=key, sheet=sheet, row=idx)
    seen[key] = row
    return row


def _cell(out, sheet: str, idx: int, column: str, value: Any, parse) -> Cell | None:
    if isinstance(value, Formula):
        if value.cached is not None:
            out.issues.append(
                Issue(
                    sheet,
                    idx,
                    column,
                    value.text[:200],
                    "This cell holds a formula; formulas are not imported. Type the value "
                    "itself (to keep text that starts with =, type an apostrophe ' first).",
                )
            )
            return None
        # Never calculated: text that an older export wrote as a formula. Its text is
        # what was typed (reading its empty worked-out value would wipe it).
        value = value.text
    try:
        parsed = parse(value)
    except ValueError as exc:
        out.issues.append(Issue(sheet, idx, column, _text(value)[:200], str(exc)))
        return None
    return Cell(value=parsed, sheet=sheet, row=idx, column=column, raw=_text(value))


def read_only_texts(org: Organisation) -> dict[str, list[list[str]]]:
    """The read-only sheets as the export would write them now, as text (for comparison)."""
    return {
        sheet: [[_text(v) for v in row] for row in rows]
        for sheet, (_, rows) in read_only_rows(org).items()
    }
