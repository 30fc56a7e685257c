"""Read a practice extract (DATA.md) into canonical typed tables, validating it on the way.

Why DuckDB does the work: an extract can hold millions of rows, and the assessment must cost
little more than one scan of the files. Each file is read once by DuckDB with every column as
text; a single SQL projection builds the typed columns of ``gpequity.hna.columns`` and, in
the same pass, a bit mask with one bit per rule a cell can break. Each cell is first tried
against its cheap clean form (a canonical code, ``true``/``false``, an ISO date, ASCII text
with no space at either end); only a row with a cell that is not clean takes the slow path
(trimming, case-folding, other spellings, the rules), so a clean row costs the cheap tests
alone and carries a zero mask. A clean extract costs one scan plus a cheap aggregate. Only
when rules are broken are the offending rows looked up again (by row id) to report their
line and value. Rows DuckDB cannot parse at all (wrong field count, invalid UTF-8, broken
quoting) are captured by its rejects table with their line numbers.

The typed tables stay in that DuckDB connection (``Extract``): the engine counts from them
there, and Arrow copies are made only when a caller asks for ``patients``/``appointments``.

Line numbers are the lines an editor shows. DuckDB's own numbers count a quoted value over
several lines as one line; when a report needs line numbers and the file is not one record
per line, ``gpequity.hna.lines`` reads it again to place every record (only then).

Before DuckDB sees a file, a small sniff of its first bytes rejects what is plainly not a CSV
(binary content, no header line in the first megabyte, missing required columns) or not a
Parquet file, so a gigabyte of junk fails in milliseconds without being read.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from gpequity.archives import ArchiveError, Limits, SafeZip, default_limits

from . import columns as C
from .imd import create_duckdb_table
from .lines import LineMap, line_map
from .validate import ExtractError, Issue, ValidationReport

Progress = Callable[[str, float], None]

SNIFF_BYTES = 1 << 20
MAX_COLUMNS = 1000
"""An extract with more columns than this is refused from its header line alone."""
"""How far into a CSV file the header line must end (1 MB)."""

# ---------------------------------------------------------------------------- column specs

ColumnKind = Literal["id", "text", "upper_text", "code", "ucode", "bool", "date", "int"]


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is read and checked."""

    name: str
    kind: ColumnKind
    required: bool = False
    codes: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    default: str | None = None


def _patient_specs() -> tuple[ColumnSpec, ...]:
    return (
        ColumnSpec("patient_id", "id", required=True),
        ColumnSpec("age", "int", required=True, low=0, high=120),
        ColumnSpec("sex", "code", required=True, codes=C.SEX),
        ColumnSpec("ethnicity", "ucode", codes=C.ETHNICITY_CODES),
        ColumnSpec("imd_decile", "int", low=1, high=10),
        ColumnSpec("lsoa", "upper_text"),
        ColumnSpec("language", "text"),
        *[ColumnSpec(c, "bool") for c in C.PATIENT_FLAGS],
        *[ColumnSpec(c, "bool") for c in C.LONG_TERM_CONDITIONS],
        ColumnSpec("smoker", "code", codes=C.SMOKER, default="unknown"),
        *[ColumnSpec(c, "date") for c in C.PATIENT_DATES],
    )


def _appointment_specs() -> tuple[ColumnSpec, ...]:
    return (
        ColumnSpec("patient_id", "id", required=True),
        ColumnSpec("date", "date", required=True),
        ColumnSpec("status", "code", required=True, codes=C.APPOINTMENT_STATUS),
        ColumnSpec("clinician_id", "text"),
        ColumnSpec("clinician_role", "code", codes=C.CLINICIAN_ROLE),
        ColumnSpec("mode", "code", codes=C.MODE),
        ColumnSpec("booked_via", "code", codes=C.BOOKED_VIA),
    )


PATIENT_SPECS = _patient_specs()
APPOINTMENT_SPECS = _appointment_specs()
assert [s.name for s in PATIENT_SPECS] == C.PATIENTS_SCHEMA.names
assert [s.name for s in APPOINTMENT_SPECS] == C.APPOINTMENTS_SCHEMA.names

_BOOL_SPELLINGS = tuple(sorted(C.TRUE_SPELLINGS | C.FALSE_SPELLINGS))


# ---------------------------------------------------------------------------- the result


PATIENTS_VIEW = "gpequity_patients"
APPOINTMENTS_VIEW = "gpequity_appointments"
_FILE_ROW = "__gpequity_file_row"  # a row's place in its file, in the ``_in_order`` views


def _file_row(names: list[str]) -> str:
    """The in-order view's row column: ``_FILE_ROW``, lengthened past an extract's own column
    of that name (DuckDB names are case-insensitive)."""
    taken = {n.lower() for n in names}
    name = _FILE_ROW
    while name in taken:
        name += "_"
    return name


class Extract:
    """A validated extract in the canonical types of ``gpequity.hna.columns``.

    The loader's DuckDB connection stays open behind it, holding the typed tables as the
    views ``gpequity_patients`` and ``gpequity_appointments``: the DuckDB engine counts
    straight from them (``duckdb_source``), so millions of rows are never copied out and
    back in. ``patients`` and ``appointments`` fetch Arrow tables (in file order) the first
    time they are asked for. ``close()`` (or a ``with`` block) frees the connection.

    ``extra_columns`` are the patients file's columns that the contract does not know, kept
    (as strings, after the canonical ones) for user-defined indicators and criteria.
    """

    def __init__(
        self,
        *,
        report: ValidationReport,
        extra_columns: tuple[str, ...],
        source: str,
        appointment_extra_columns: tuple[str, ...] = (),
        has_appointments: bool,
        con: duckdb.DuckDBPyConnection,
    ) -> None:
        self.report = report
        self.extra_columns = extra_columns
        self.appointment_extra_columns = appointment_extra_columns
        self.source = source
        self.has_appointments = has_appointments
        self._con: duckdb.DuckDBPyConnection | None = con
        self._patients: pa.Table | None = None
        self._appointments: pa.Table | None = None

    @property
    def patient_schema(self) -> pa.Schema:
        return _with_extras(C.PATIENTS_SCHEMA, self.extra_columns)

    @property
    def appointment_schema(self) -> pa.Schema | None:
        if not self.has_appointments:
            return None
        return _with_extras(C.APPOINTMENTS_SCHEMA, self.appointment_extra_columns)

    @property
    def patients(self) -> pa.Table:
        if self._patients is None:
            self._patients = self._fetch(PATIENTS_VIEW, self.patient_schema)
        return self._patients

    @property
    def appointments(self) -> pa.Table | None:
        schema = self.appointment_schema
        if schema is None:
            return None
        if self._appointments is None:
            self._appointments = self._fetch(APPOINTMENTS_VIEW, schema)
        return self._appointments

    def duckdb_source(self) -> tuple[duckdb.DuckDBPyConnection, pa.Schema, pa.Schema | None]:
        """The open connection and the schemas of its two views, for the DuckDB engine."""
        return self._connection(), self.patient_schema, self.appointment_schema

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise ValueError("this extract has been closed")
        return self._con

    def _fetch(self, view: str, schema: pa.Schema) -> pa.Table:
        con = self._connection()
        cols = ", ".join(_q(n) for n in schema.names)
        row = _file_row(schema.names)
        table = con.sql(f"SELECT {cols} FROM {view}_in_order ORDER BY {row}").to_arrow_table()
        return pa.Table.from_arrays(
            [table[f.name].cast(f.type) for f in schema], schema=schema
        )  # fmt: skip

    def close(self) -> None:
        """Free the DuckDB connection (Arrow tables already fetched stay usable)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Extract:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _with_extras(schema: pa.Schema, extras: tuple[str, ...]) -> pa.Schema:
    return pa.schema([*schema, *[pa.field(n, pa.string()) for n in extras]])


def load_extract(
    path: str | Path,
    *,
    drop_bad_rows: bool = False,
    progress: Progress | None = None,
    max_examples: int = 100,
    limits: Limits | None = None,
) -> Extract:
    """Read and validate the extract at ``path`` (a folder or a .zip).

    Raises ``ExtractError`` when the report has errors, unless ``drop_bad_rows`` is true: then
    bad patient rows, bad appointment rows and appointments of dropped or unknown patients are
    left out and counted as warnings. Problems that make a whole file unusable (missing file
    or required column, not a CSV/Parquet file, no patients) always raise.
    """
    report, opened = _open(
        Path(path),
        drop_bad_rows=drop_bad_rows,
        progress=progress,
        max_examples=max_examples,
        limits=limits,
    )
    if opened is None:
        raise ExtractError(report)
    con, p, a = opened
    return Extract(
        report=report,
        extra_columns=p.extras,
        source=str(path),
        appointment_extra_columns=a.extras if a else (),
        has_appointments=a is not None,
        con=con,
    )


# ---------------------------------------------------------------------------- locating files


class _Fatal(Exception):
    """A file-level problem: nothing further can be checked in that file."""


@dataclass
class _Source:
    label: str  # e.g. "patients.csv" (the name the user knows)
    path: Path
    fmt: Literal["csv", "parquet"]


def _file_error(report: ValidationReport, label: str, kind: str, message: str) -> None:
    report.add(Issue(label, None, None, None, kind, message))


@contextmanager
def _located(
    path: Path, report: ValidationReport, limits: Limits | None = None
) -> Iterator[dict[str, _Source]]:
    """Find patients/appointments files in a folder or zip (zip members go to a temp dir)."""
    with ExitStack() as stack:
        if path.is_dir():
            entries = _folder_entries(path)
        elif path.is_file() and zipfile.is_zipfile(path):
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gpequity-")))
            entries = _unzip(path, tmp, report, limits)
        elif path.exists():
            _file_error(report, path.name, "not_extract", "expected a folder or a .zip file")
            yield {}
            return
        else:
            _file_error(report, path.name, "not_found", "no such folder or file")
            yield {}
            return
        found: dict[str, _Source] = {}
        for stem in ("patients", "appointments"):
            hits = _candidates(entries, stem)
            if len(hits) > 1:
                _file_error(
                    report,
                    hits[0].label,
                    "ambiguous",
                    f"both {stem}.csv and {stem}.parquet are present: keep only one",
                )
            elif hits and hits[0].path.is_symlink():
                # Never followed: a link could point at any file on the machine, and the
                # report would then quote that file's contents back.
                _file_error(
                    report,
                    hits[0].label,
                    "link",
                    "this is a symbolic link, not a file: copy the file itself into the "
                    "extract folder",
                )
            elif hits:
                found[stem] = hits[0]
        if "patients" not in found and not any(  # already said why it cannot be read
            i.kind in ("bad_zip", "encrypted_zip", "unsafe_zip", "link")
            or (i.kind == "ambiguous" and i.file.startswith("patients"))
            for i in report.issues
        ):
            _file_error(
                report, "patients.csv", "missing_file", "patients.csv (or .parquet) not found"
            )
        yield found


def _folder_entries(path: Path) -> dict[str, Path]:
    """A folder's files by lower-case name (the extract's file names are case-insensitive).
    Symbolic links are listed too (never followed), so that they can be refused by name."""
    return {p.name.lower(): p for p in path.iterdir() if p.is_symlink() or p.is_file()}


def _candidates(entries: dict[str, Path], stem: str) -> list[_Source]:
    """The files that could be ``stem`` (CSV or Parquet); more than one is an error."""
    return [
        _Source(f"{stem}.{fmt}", entries[f"{stem}.{fmt}"], fmt)  # type: ignore[arg-type]
        for fmt in ("csv", "parquet")
        if f"{stem}.{fmt}" in entries
    ]


_ZIP_READ_ERRORS = (zipfile.BadZipFile, OSError, EOFError, zlib.error)
_WANTED = {f"{s}.{f}" for s in ("patients", "appointments") for f in ("csv", "parquet")}


def _zip_members(infos: list[zipfile.ZipInfo]) -> Iterator[tuple[str, zipfile.ZipInfo]]:
    """The members that are extract files, by lower-case name (any folder depth)."""
    for info in infos:
        name = info.filename.rsplit("/", 1)[-1].lower()
        if not info.is_dir() and name in _WANTED and not info.filename.startswith("__MACOSX"):
            yield name, info


def _unzip(
    path: Path, into: Path, report: ValidationReport, limits: Limits | None = None
) -> dict[str, Path]:
    """Extract only the members named patients.* / appointments.* (any folder depth), after
    checking the whole zip against ``limits`` (its size, member count, names, links,
    encryption; ``gpequity.archives``), counting the bytes really unpacked as they come."""
    out: dict[str, Path] = {}
    try:
        with SafeZip(path, limits=limits or default_limits(), label=path.name) as zf:
            for name, info in _zip_members(zf.members):
                if name in out:
                    _file_error(report, name, "ambiguous", "more than one file of this name")
                    continue
                out[name] = zf.extract(info, into, name)
    except ArchiveError as exc:
        _file_error(report, path.name, _ARCHIVE_KINDS.get(exc.kind, "unsafe_zip"), exc.message)
    return out


_ARCHIVE_KINDS = {
    "encrypted": "encrypted_zip",
    "unsupported": "bad_zip",
    "damaged": "bad_zip",
    "bad_zip": "bad_zip",
    "bad_limit": "bad_zip",
}


# ---------------------------------------------------------------------------- sniffing


def sniff_csv_header(path: Path, label: str, *, max_header_bytes: int = SNIFF_BYTES) -> list[str]:
    """Return the header's column names, or raise ``_Fatal`` if this is plainly not a CSV.

    Reads at most ``max_header_bytes`` (+1) bytes whatever the file size.
    """
    with path.open("rb") as f:
        return _header_names(f.read(max_header_bytes + 1), max_header_bytes)


def _header_names(head: bytes, max_header_bytes: int = SNIFF_BYTES) -> list[str]:
    """The header's column names from a file's first ``max_header_bytes`` (+1) bytes."""
    if not head:
        raise _Fatal("empty", "the file is empty")
    if head.startswith(b"PAR1"):
        raise _Fatal("not_csv", "this is a Parquet file but its name ends in .csv")
    if _utf16(head):
        raise _Fatal(
            "encoding",
            "the file is in UTF-16 (Unicode) encoding: save it as UTF-8 (in Excel, "
            "'CSV UTF-8 (Comma delimited)') and use that",
        )
    if b"\x00" in head[:65536]:
        raise _Fatal("not_csv", "not a CSV text file (binary content)")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    end = head.find(b"\n")
    if end < 0:
        if len(head) > max_header_bytes - 3:
            raise _Fatal(
                "not_csv",
                f"no header line within the first {max_header_bytes:,} bytes: not a CSV file",
            )
        end = len(head)
    try:
        text = head[:end].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Fatal("encoding", "the header line is not valid UTF-8") from exc
    try:
        names = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise _Fatal("not_csv", "the header line is not valid CSV") from exc
    if len(names) > MAX_COLUMNS:
        raise _Fatal(
            "too_many_columns",
            f"the header line has {len(names):,} columns; an extract may have at most "
            f"{MAX_COLUMNS:,}",
        )
    return [n.strip() for n in names]


def _utf16(head: bytes) -> bool:
    """UTF-16 text: a byte-order mark, or mostly ASCII with every other byte zero."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:4096]
    if len(sample) < 8:
        return False
    for zeros in (sample[1::2], sample[0::2]):
        if zeros.count(0) > 0.9 * len(zeros):
            return True
    return False


def _mixed_line_end(path: Path) -> int | None:
    """The first line whose ending differs from line 1's (CRLF against LF), if any."""
    first: bytes | None = None
    line = 0
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            data = tail + chunk
            start = 0
            while (end := data.find(b"\n", start)) >= 0:
                line += 1
                kind = b"\r\n" if end > 0 and data[end - 1 : end] == b"\r" else b"\n"
                if first is None:
                    first = kind
                elif kind != first:
                    return line
                start = end + 1
            tail = data[start:][-1:]  # a CR at the very end of a chunk
    return None


def patient_columns_at_a_glance(extract: str | Path) -> list[str] | None:
    """The patient columns a load of ``extract`` will have (every contract column, then the
    extras), from the CSV header or the Parquet schema alone; None unless ``extract`` has
    exactly one readable patients file (the load itself reports what is wrong). In a zip,
    only a CSV header is read (without unpacking anything); a Parquet member gives None.

    Lets a run check the Focus criteria before the long read, not after it.
    """
    path = Path(extract)
    try:
        if path.is_dir():
            header = _folder_header(path)
        elif path.is_file() and zipfile.is_zipfile(path):
            header = _zip_header(path)
        else:
            return None
    except (_Fatal, ArchiveError, pa.ArrowException, RuntimeError, *_ZIP_READ_ERRORS):
        return None  # an encrypted member raises RuntimeError; the load says what is wrong
    if header is None:
        return None
    extras, _ = _extra_columns(header, {spec.name for spec in PATIENT_SPECS})
    return [*C.PATIENTS_SCHEMA.names, *(name for name, _ in extras)]


def _folder_header(folder: Path) -> list[str] | None:
    hits = _candidates(_folder_entries(folder), "patients")
    if len(hits) != 1 or hits[0].path.is_symlink():
        return None
    if hits[0].fmt == "csv":
        return sniff_csv_header(hits[0].path, hits[0].label)
    import pyarrow.parquet as pq

    return pq.read_schema(hits[0].path).names


def _zip_header(path: Path) -> list[str] | None:
    with SafeZip(path, limits=default_limits(), label=path.name) as zf:
        members = [(n, i) for n, i in _zip_members(zf.members) if n.startswith("patients.")]
        if len(members) != 1 or members[0][0] != "patients.csv":
            return None
        with zf.open(members[0][1]) as f:
            return _header_names(f.read(SNIFF_BYTES + 1))


def _check_parquet(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        raise _Fatal("empty", "the file is empty")
    with path.open("rb") as f:
        start = f.read(4)
        f.seek(max(size - 4, 0))
        end = f.read(4)
    if start != b"PAR1" or end != b"PAR1" or size < 12:
        raise _Fatal("not_parquet", "not a Parquet file (its name ends in .parquet)")


# ---------------------------------------------------------------------------- SQL building


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _is_in(expr: str, values: tuple[str, ...]) -> str:
    """SQL testing ``expr`` against a constant list.

    Not ``expr IN (...)``: DuckDB plans a long IN list as a hash join, which does not keep
    the file's row order, and row order is what maps a row back to its line number. DuckDB 2
    rewrites this form into the same join too, so the loader's connection switches that
    rewrite off (``_open``).
    """
    return f"list_contains([{', '.join(_lit(v) for v in values)}], {expr})"


_SQL_TYPES = {"int16": "SMALLINT", "int8": "TINYINT"}


@dataclass(frozen=True)
class _Check:
    column: str
    kind: str
    message: str
    bad_sql: str


@dataclass(frozen=True)
class _ColumnSql:
    """The SQL for one contract column present in the file, in four projection levels.

    ``fast``: the typed value when the raw cell is already clean (the common case, checked
    with cheap comparisons), else NULL. ``slow``: the trimmed, case-folded cell only when it is
    not blank and not clean, else NULL (so trimming and folding run on few cells). ``value``:
    the typed value (NULL when blank or invalid). ``checks``: the rules, true for a bad cell.
    """

    fast: str
    slow: str
    value: str
    extra: str  # level-3 helper (a decimal for whole numbers), or ""
    checks: list[_Check]
    output: str


def _slow(c: str, f: str, fold: str = "") -> str:
    """The trimmed (and folded) cell, only when it is neither blank nor already clean."""
    return (
        f"CASE WHEN {c} IS NULL OR {f} IS NOT NULL THEN NULL ELSE nullif({fold}(trim({c})), '') END"
    )


def _column_sql(spec: ColumnSpec, i: int, arrow_type: pa.DataType) -> _ColumnSql:
    c, f, s, d, v = f"c{i}", f"f{i}", f"s{i}", f"d{i}", f"v{i}"
    name = spec.name
    blank = f"({c} IS NULL OR ({f} IS NULL AND {s} IS NULL))"
    checks: list[_Check] = []
    if spec.required:
        checks.append(_Check(name, "missing", "required value is blank", blank))
    extra = ""
    match spec.kind:
        case "id" | "text" | "upper_text":
            # Clean: all ASCII, not blank, no space at either end. For ASCII text DuckDB's
            # trim removes only spaces, so a clean cell is its own trimmed value; a cell
            # with other characters (trim also removes Unicode spaces) takes the slow path.
            clean = f"length({c}) = strlen({c}) AND NOT (prefix({c}, ' ') OR suffix({c}, ' '))"
            fold = "upper" if spec.kind == "upper_text" else ""
            fast = f"CASE WHEN {clean} AND {c} <> '' THEN {fold}({c}) END"
            slow = _slow(c, f, fold)
            value = f"coalesce({f}, {s})"
        case "code" | "ucode":
            fold = "lower" if spec.kind == "code" else "upper"
            fast = f"CASE WHEN {_is_in(c, spec.codes)} THEN {c} END"
            slow = _slow(c, f, fold)
            value = f"coalesce({f}, CASE WHEN {_is_in(s, spec.codes)} THEN {s} END)"
            checks.append(
                _Check(
                    name,
                    "unknown_code",
                    f"not one of the codes {', '.join(spec.codes)}",
                    f"{s} IS NOT NULL AND {v} IS NULL",
                )  # fmt: skip
            )
        case "bool":
            fast = f"CASE WHEN {c} = 'false' THEN false WHEN {c} = 'true' THEN true END"
            slow = _slow(c, f, "lower")
            trues = _is_in(s, tuple(sorted(C.TRUE_SPELLINGS)))
            falses = _is_in(s, tuple(sorted(C.FALSE_SPELLINGS)))
            parsed = f"CASE WHEN {trues} THEN true WHEN {falses} THEN false END"
            value = f"coalesce({f}, {parsed})"
            checks.append(
                _Check(
                    name,
                    "not_boolean",
                    "not a true/false value (true/false, yes/no, y/n, 1/0)",
                    f"{s} IS NOT NULL AND {v} IS NULL",
                )  # fmt: skip
            )
        case "date":
            iso = "{x} LIKE '____-__-__'"  # ten characters, dashes 5th and 8th
            fast = f"CASE WHEN {iso.format(x=c)} THEN TRY_CAST({c} AS DATE) END"
            slow = _slow(c, f)
            value = f"coalesce({f}, CASE WHEN {iso.format(x=s)} THEN TRY_CAST({s} AS DATE) END)"
            checks.append(
                _Check(
                    name,
                    "not_date",
                    "not a valid ISO date YYYY-MM-DD",
                    f"{s} IS NOT NULL AND {v} IS NULL",
                )  # fmt: skip
            )
        case "int":
            sql_type = _SQL_TYPES[str(arrow_type)]
            # Clean when the cell is exactly the canonical spelling of an in-range integer.
            n = f"TRY_CAST({c} AS {sql_type})"
            clean = f"CAST({n} AS VARCHAR) = {c} AND {n} BETWEEN {spec.low} AND {spec.high}"
            fast = f"CASE WHEN {clean} THEN {n} END"
            slow = _slow(c, f)
            extra = f"TRY_CAST({s} AS DECIMAL(18, 6))"
            whole = f"{d} = trunc({d})"
            ok = f"{whole} AND {d} BETWEEN {spec.low} AND {spec.high}"
            value = f"coalesce({f}, CASE WHEN {ok} THEN CAST({d} AS {sql_type}) END)"
            checks.append(
                _Check(
                    name,
                    "not_whole_number",
                    "not a whole number",
                    f"{s} IS NOT NULL AND ({d} IS NULL OR {d} <> trunc({d}))",
                )  # fmt: skip
            )
            checks.append(
                _Check(
                    name,
                    "out_of_range",
                    f"outside the range {spec.low} to {spec.high}",
                    f"{s} IS NOT NULL AND {whole} AND NOT ({ok})",
                )  # fmt: skip
            )
        case _:
            raise AssertionError(spec.kind)
    output = f"coalesce({v}, {_lit(spec.default)})" if spec.default else v
    if spec.kind == "bool":
        output = f"coalesce({v}, false)"
    return _ColumnSql(fast, slow, value, extra, checks, output)


def _when_suspect(sql: str, otherwise: str) -> str:
    """``sql`` on suspect rows, ``otherwise`` on the rest (no CASE when they are the same)."""
    return otherwise if sql == otherwise else f"CASE WHEN __suspect THEN {sql} ELSE {otherwise} END"


def _absent_sql(spec: ColumnSpec, arrow_type: pa.DataType) -> str:
    """The canonical value of a contract column the file does not have."""
    if spec.kind == "bool":
        return "false"
    if spec.default is not None:
        return _lit(spec.default)
    sql_type = {"date": "DATE", "int": _SQL_TYPES.get(str(arrow_type), "INTEGER")}
    return f"CAST(NULL AS {sql_type.get(spec.kind, 'VARCHAR')})"


# ---------------------------------------------------------------------------- loading a file


def _extra_store(j: int) -> str:
    return f"__x{j}"


def _extra_columns(header: list[str], known: set[str]) -> tuple[list[tuple[str, int]], list[str]]:
    """The header's columns that are not in the contract, with their positions, and the
    names met again (DuckDB names are case-insensitive: ``Frailty`` and ``frailty`` clash)."""
    extras: list[tuple[str, int]] = []
    seen: set[str] = set()
    again: list[str] = []
    for i, name in enumerate(header):
        key = name.lower()
        if not name or key in known:
            continue
        if key in seen:
            again.append(name)
        else:
            seen.add(key)
            extras.append((name, i))
    return extras, again


@dataclass
class _Loaded:
    """A file read into DuckDB table ``table`` (typed columns, ``__bad``, ``__raw``)."""

    source: _Source
    table: str
    rows: int
    extras: tuple[str, ...]
    checks: list[_Check]
    raw_index: dict[str, int]  # column -> 1-based position in __raw
    present: frozenset[str] = frozenset()  # contract columns present in the file
    reject_lines: list[int] = field(default_factory=list)  # DuckDB's numbers (``lines``)
    contract: tuple[str, ...] = ()  # the contract's columns, in the table under these names

    @cached_property
    def _physical(self) -> LineMap | None:
        """The file's physical lines (None: one record per line), worked out on first use:
        only a report needs them."""
        return line_map(self.source.path, self.rows, self.reject_lines)

    def stored(self) -> list[tuple[str, str]]:
        """Each extra column's (stored, own) name. The table keeps extras under names of
        its own (``__x0``, ...), so that an extract's column called ``rowid``, ``__bad`` or
        ``__raw`` cannot shadow the table's row ids or its bookkeeping columns."""
        return [(_extra_store(j), name) for j, name in enumerate(self.extras)]

    def line(self, rowid: int) -> int:
        """The file line of a row: header is line 1; rows DuckDB rejected are skipped; a
        quoted value over several lines, or a blank line, moves the later rows down."""
        if self.source.fmt == "parquet":
            return rowid + 1
        if mapped := self._physical:
            return int(mapped.rows[rowid])
        line = rowid + 2
        while True:
            shifted = rowid + 2 + bisect_right(self.reject_lines, line)
            if shifted == line:
                return line
            line = shifted

    def reject_line(self, line: int) -> int:
        """The file line of a record DuckDB rejected, from DuckDB's number for it."""
        mapped = self._physical
        return mapped.rejects.get(line, line) if mapped else line


def _source_columns(
    con: duckdb.DuckDBPyConnection, src: _Source, table: str
) -> tuple[str, list[str]]:
    """A FROM clause giving every column as VARCHAR (named c0, c1, ...) and the header names."""
    path = _lit(str(src.path))
    if src.fmt == "csv":
        names = sniff_csv_header(src.path, src.label)
        cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
        reader = (
            f"read_csv({path}, columns={cols}, header=true, auto_detect=false, delim=',', "
            "quote='\"', escape='\"', store_rejects=true, strict_mode=true, "
            f"rejects_table='rej_{table}', rejects_scan='scan_{table}')"
        )
        return f"(SELECT * FROM {reader})", names
    _check_parquet(src.path)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
    except duckdb.Error as exc:
        raise _Fatal("not_parquet", "the Parquet file could not be read") from exc
    names = [str(row[0]) for row in described]
    selects = []
    for i, (col, col_type, *_rest) in enumerate(described):
        value = _q(str(col))
        if "TIMESTAMP" in str(col_type):
            value = f"CAST({value} AS DATE)"
        selects.append(f"CAST({value} AS VARCHAR) AS c{i}")
    return f"(SELECT {', '.join(selects)} FROM read_parquet({path}))", names


def _load(
    con: duckdb.DuckDBPyConnection,
    src: _Source,
    table: str,
    specs: tuple[ColumnSpec, ...],
    schema: pa.Schema,
    report: ValidationReport,
) -> _Loaded:
    """Read one file into ``table``: typed canonical columns, extras, __bad mask, __raw values."""
    from_clause, header = _source_columns(con, src, table)
    by_name: dict[str, int] = {}
    known = {s.name for s in specs}
    for i, name in enumerate(header):
        key = name.lower()
        if key in known:
            if key in by_name:
                raise _Fatal("duplicate_column", f"column {key} appears more than once")
            by_name[key] = i
    extras, again = _extra_columns(header, known)
    for name in again:
        report.add(
            Issue(
                src.label,
                None,
                name,
                None,
                "duplicate_extra_column",
                "this column name appears more than once (ignoring case): only the first is kept",
                "warning",
            )
        )
    missing = [s.name for s in specs if s.required and s.name not in by_name]
    if missing:
        if not by_name:
            hint = (
                " (it looks separated by semicolons or tabs: use commas)"
                if len(header) == 1 and any(sep in header[0] for sep in ";\t")
                else ": is this the right file?"
            )
            raise _Fatal(
                "not_csv" if src.fmt == "csv" else "missing_column",
                "none of the expected columns are in the header" + hint,
            )
        raise _Fatal("missing_column", "required column(s) missing: " + ", ".join(missing))

    present = [(sp, by_name[sp.name]) for sp in specs if sp.name in by_name]
    cols = {sp.name: _column_sql(sp, i, schema.field(sp.name).type) for sp, i in present}
    checks = [chk for sp, _ in present for chk in cols[sp.name].checks]
    if len(checks) > 62:
        raise AssertionError("too many checks for a 64-bit mask")
    raw_cols = [f"c{i}" for _, i in present] + [f"c{i}" for _, i in extras]
    level_fast = [f"{cols[sp.name].fast} AS f{i}" for sp, i in present]
    # A row is suspect when a cell is not clean (the fast value is NULL but the cell is not)
    # or a required cell is blank. Only suspect rows take the slow path: on the others the
    # typed value is the fast one and no rule can fail, so a clean file pays for the fast
    # level alone (DuckDB skips a CASE branch no row takes).
    suspect = " OR ".join(
        [f"(c{i} IS NOT NULL AND f{i} IS NULL)" for _, i in present]
        + [f"c{i} IS NULL" for sp, i in present if sp.required]
    )
    level_suspect = [f"{suspect or 'false'} AS __suspect"]
    level_slow = [_when_suspect(cols[sp.name].slow, "NULL") + f" AS s{i}" for sp, i in present]
    level_extra = [f"{cols[sp.name].extra} AS d{i}" for sp, i in present if cols[sp.name].extra]
    level_value = [_when_suspect(cols[sp.name].value, f"f{i}") + f" AS v{i}" for sp, i in present]
    bits = " | ".join(
        f"(CAST(coalesce({chk.bad_sql}, false) AS BIGINT) << {b})" for b, chk in enumerate(checks)
    )
    mask = _when_suspect(bits, "CAST(0 AS BIGINT)") if checks else "CAST(0 AS BIGINT)"
    checked_cols = list(dict.fromkeys(chk.column for chk in checks))
    raw_index = {col: j + 1 for j, col in enumerate(checked_cols)}
    raw_list = "[" + ", ".join(f"c{by_name[col]}" for col in checked_cols) + "]"
    typed = [
        (cols[sp.name].output if sp.name in cols else _absent_sql(sp, schema.field(sp.name).type))
        + f" AS {_q(sp.name)}"
        for sp in specs
    ]
    typed += [f"nullif(trim(c{i}), '') AS {_extra_store(j)}" for j, (_, i) in enumerate(extras)]

    def level(prev: str, exprs: list[str]) -> str:
        return f"SELECT *{', ' if exprs else ''}{', '.join(exprs)} FROM {prev}"

    sql = (
        f"CREATE TABLE {table} AS "
        f"WITH l1 AS (SELECT {', '.join(raw_cols)} FROM {from_clause}), "
        f"l2 AS ({level('l1', level_fast)}), "
        f"l2s AS ({level('l2', level_suspect)}), "
        f"l3 AS ({level('l2s', level_slow)}), "
        f"l4 AS ({level('l3', level_extra)}), "
        f"l5 AS ({level('l4', level_value)}), "
        f"l6 AS (SELECT *, {mask} AS __bad FROM l5) "
        f"SELECT {', '.join(typed)}, __bad, "
        f"CASE WHEN __bad <> 0 THEN {raw_list if checked_cols else 'NULL'} END AS __raw FROM l6"
    )
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        # DuckDB messages can quote file content; keep only a line number if there is one.
        line = re.search(r"[Ll]ine:? (\d+)", str(exc))
        at = f" near line {line.group(1)}" if line else ""
        mixed = _mixed_line_end(src.path) if src.fmt == "csv" and not line else None
        if mixed is not None:
            raise _Fatal(
                "mixed_line_endings",
                f"line {mixed} ends differently from line 1 (the file mixes Windows and "
                "Unix line endings): save it again from one program so every line ends alike",
            ) from exc
        raise _Fatal("unreadable", f"the file could not be read{at}") from exc
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    loaded = _Loaded(
        src,
        table,
        rows,
        tuple(n for n, _ in extras),
        checks,
        raw_index,
        frozenset(by_name),
        contract=tuple(sp.name for sp in specs),
    )
    if src.fmt == "csv":
        _collect_rejects(con, loaded, len(header), report)
    return loaded


_REJECT_KINDS = {
    "MISSING COLUMNS": ("field_count", "too few fields: the row is truncated or ragged"),
    "TOO MANY COLUMNS": ("field_count", "too many fields: the row is ragged"),
    "INVALID ENCODING": ("encoding", "the line is not valid UTF-8 (wrong file encoding?)"),
    "UNQUOTED VALUE": ("quoting", "unterminated or misplaced quote"),
    "LINE SIZE OVER MAXIMUM": ("line_too_long", "the line is longer than 2 MB"),
}


def _collect_rejects(
    con: duckdb.DuckDBPyConnection, loaded: _Loaded, n_fields: int, report: ValidationReport
) -> None:
    """Report the lines DuckDB could not parse: full counts, the first examples of each kind.

    Works in SQL so that a whole file in the wrong encoding (every line rejected) stays cheap.
    """
    table = f"rej_{loaded.table}"
    lines = con.execute(f"SELECT DISTINCT line FROM {table} ORDER BY line").fetchnumpy()["line"]
    loaded.reject_lines = [int(x) for x in lines]
    label = loaded.source.label
    totals = con.execute(
        f"SELECT CAST(error_type AS VARCHAR), count(DISTINCT line) FROM {table} "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    for error_type, total in totals:
        kind, message = _REJECT_KINDS.get(error_type, ("unreadable", "the line could not be read"))
        if kind == "field_count":
            message += f" (expected {n_fields} fields)"
        examples = con.execute(
            f"SELECT DISTINCT line FROM {table} WHERE CAST(error_type AS VARCHAR) = ? "
            f"ORDER BY line LIMIT {report.max_examples}",
            [error_type],
        ).fetchall()
        issues = [
            Issue(label, loaded.reject_line(int(line)), None, None, kind, message)
            for (line,) in examples
        ]
        report.add_group(issues, int(total))


# ---------------------------------------------------------------------------- reporting


def _report_checks(
    con: duckdb.DuckDBPyConnection, loaded: _Loaded, report: ValidationReport
) -> int:
    """Turn the __bad bits into issues with line and value; return the number of bad rows."""
    t = loaded.table
    bad_rows = con.execute(f"SELECT count(*) FROM {t} WHERE __bad <> 0").fetchone()[0]  # type: ignore[index]
    if not bad_rows:
        return 0
    counts_sql = ", ".join(f"count_if((__bad >> {b}) & 1 = 1)" for b in range(len(loaded.checks)))
    counts = con.execute(f"SELECT {counts_sql} FROM {t} WHERE __bad <> 0").fetchone()
    assert counts is not None
    for b, (check, total) in enumerate(zip(loaded.checks, counts, strict=True)):
        if not total:
            continue
        j = loaded.raw_index[check.column]
        examples = con.execute(
            f"SELECT rowid, __raw[{j}] FROM {t} WHERE (__bad >> {b}) & 1 = 1 "
            f"ORDER BY rowid LIMIT {report.max_examples}"
        ).fetchall()
        issues = [
            Issue(
                loaded.source.label,
                loaded.line(rowid),
                check.column,
                value,
                check.kind,
                check.message,
            )  # fmt: skip
            for rowid, value in examples
        ]
        report.add_group(issues, int(total))
    return int(bad_rows)


PRACTICE_CODE = "practice_code"
_PRACTICE_BIT = 62  # above every check's bit (at most 62 checks: bits 0 to 61)


def _report_practice_codes(
    con: duckdb.DuckDBPyConnection, loaded: _Loaded, report: ValidationReport
) -> None:
    """DATA.md "System extracts": once any patient row has a ``practice_code``, the extract
    holds several practices and a row without one is an error (marked bad, so that
    ``drop_bad_rows`` leaves it out like any other)."""
    stored = next((st for st, name in loaded.stored() if name == PRACTICE_CODE), None)
    if stored is None:
        return
    t = loaded.table
    filled, blank = con.execute(
        f"SELECT count({stored}), count(*) - count({stored}) FROM {t}"
    ).fetchone()  # type: ignore[misc]
    if not filled or not blank:
        return
    con.execute(
        f"UPDATE {t} SET __bad = __bad | (CAST(1 AS BIGINT) << {_PRACTICE_BIT}) "
        f"WHERE {stored} IS NULL"
    )
    examples = con.execute(
        f"SELECT rowid FROM {t} WHERE {stored} IS NULL ORDER BY rowid LIMIT {report.max_examples}"
    ).fetchall()
    message = (
        "blank, but other rows have a practice code: in a system extract every patient row "
        "needs the code of its practice"
    )
    issues = [
        Issue(loaded.source.label, loaded.line(rowid), PRACTICE_CODE, "", "missing", message)
        for (rowid,) in examples
    ]
    report.add_group(issues, int(blank))


def _report_duplicates(
    con: duckdb.DuckDBPyConnection, p: _Loaded, report: ValidationReport
) -> None:
    con.execute(
        f"CREATE TEMP TABLE dup AS SELECT r, patient_id, first_r FROM ("
        f" SELECT rowid AS r, patient_id, min(rowid) OVER (PARTITION BY patient_id) AS first_r"
        f" FROM {p.table} WHERE patient_id IN ("
        f"  SELECT patient_id FROM {p.table} WHERE patient_id IS NOT NULL"
        f"  GROUP BY 1 HAVING count(*) > 1)) WHERE r > first_r"
    )
    total = con.execute("SELECT count(*) FROM dup").fetchone()[0]  # type: ignore[index]
    rows = con.execute(
        f"SELECT r, patient_id, first_r FROM dup ORDER BY r LIMIT {report.max_examples}"
    ).fetchall()
    issues = [
        Issue(
            p.source.label,
            p.line(r),
            "patient_id",
            None,  # the line is enough: a patient id is patient data (DATA.md)
            "duplicate_id",
            f"patient_id is not unique (first seen on line {p.line(first)})",
        )  # fmt: skip
        for r, _pid, first in rows
    ]
    report.add_group(issues, int(total))


def _report_orphans(
    con: duckdb.DuckDBPyConnection, a: _Loaded, p: _Loaded, report: ValidationReport
) -> None:
    # An explicit ANTI JOIN: DuckDB plans the NOT EXISTS form of the same test as a mark
    # join, three times slower at 6M appointments (0.9 s against 0.3 s, measured).
    orphans = (
        f"FROM {a.table} a ANTI JOIN {p.table} p ON p.patient_id = a.patient_id "
        "WHERE a.patient_id IS NOT NULL"
    )
    # Count first (a streaming anti join, no copy): nearly every extract has no orphans.
    total = con.execute(f"SELECT count(*) {orphans}").fetchone()[0]  # type: ignore[index]
    if not total:
        return
    rows = con.execute(
        f"SELECT a.rowid, a.patient_id {orphans} ORDER BY a.rowid LIMIT {report.max_examples}"
    ).fetchall()
    issues = [
        Issue(
            a.source.label,
            a.line(r),
            "patient_id",
            None,  # the line is enough: a patient id is patient data (DATA.md)
            "unknown_patient",
            f"patient_id is not in {p.source.label}",
        )  # fmt: skip
        for r, _pid in rows
    ]
    report.add_group(issues, int(total))


def _imd_facts(con: duckdb.DuckDBPyConnection, p: _Loaded, report: ValidationReport) -> None:
    """Count deciles that the LSOA will fill and warn about LSOAs not in the IMD 2019 table."""
    create_duckdb_table(con, "imd_ref")
    fill, not_found = con.execute(
        "SELECT coalesce(count_if(i.lsoa11cd IS NOT NULL), 0), "
        "coalesce(count_if(i.lsoa11cd IS NULL), 0) "
        f"FROM {p.table} p LEFT JOIN imd_ref i ON p.lsoa = i.lsoa11cd "
        f"WHERE p.imd_decile IS NULL AND p.lsoa IS NOT NULL"
    ).fetchone()  # type: ignore[misc]
    report.completeness["imd_filled_from_lsoa"] = int(fill)
    report.completeness["lsoa_not_in_imd2019"] = int(not_found)
    if not_found:
        rows = con.execute(
            f"SELECT p.rowid, p.lsoa FROM {p.table} p ANTI JOIN imd_ref i ON p.lsoa = i.lsoa11cd "
            f"WHERE p.imd_decile IS NULL AND p.lsoa IS NOT NULL "
            f"ORDER BY 1 LIMIT {report.max_examples}"
        ).fetchall()
        issues = [
            Issue(
                p.source.label,
                p.line(r),
                "lsoa",
                v,
                "lsoa_not_found",
                "LSOA code not in the IMD 2019 table (2011 LSOAs): imd_decile stays blank",
                "warning",
            )  # fmt: skip
            for r, v in rows
        ]
        report.add_group(issues, int(not_found))


def _appointment_dates(
    con: duckdb.DuckDBPyConnection, a: _Loaded, report: ValidationReport
) -> None:
    """The first and last appointment dates (ISO), to check them against the as-of date."""
    first, last = con.execute(f"SELECT min(date), max(date) FROM {a.table}").fetchone()  # type: ignore[misc]
    if first is not None:
        report.completeness["appointment_dates"] = [first.isoformat(), last.isoformat()]


_COMPLETENESS_COLUMNS = (
    "ethnicity",
    "imd_decile",
    "lsoa",
    "language",
    *C.PATIENT_DATES,
)


def _completeness(con: duckdb.DuckDBPyConnection, p: _Loaded, report: ValidationReport) -> None:
    """Share of blank values per optional column (absent columns count as all blank)."""
    cols = [c for c in _COMPLETENESS_COLUMNS if c in p.present]
    parts = [f"count_if({_q(c)} IS NULL)" for c in cols] + ["count_if(smoker = 'unknown')"]
    values = con.execute(f"SELECT {', '.join(parts)} FROM {p.table}").fetchone()
    assert values is not None
    n = max(p.rows, 1)
    blank = {c: 1.0 for c in _COMPLETENESS_COLUMNS}
    blank.update({c: v / n for c, v in zip(cols, values[:-1], strict=True)})
    blank["smoker"] = values[-1] / n
    report.completeness["rows"] = p.rows
    report.completeness["blank_share"] = blank
    report.completeness["absent_columns"] = [
        s.name for s in PATIENT_SPECS if not s.required and s.name not in p.present
    ]


# ---------------------------------------------------------------------------- orchestration


def read_extract(
    path: Path,
    *,
    drop_bad_rows: bool = False,
    progress: Progress | None = None,
    max_examples: int = 100,
    limits: Limits | None = None,
) -> ValidationReport:
    """Check the extract against every rule and return the report (nothing is kept)."""
    report, opened = _open(
        path,
        drop_bad_rows=drop_bad_rows,
        progress=progress,
        max_examples=max_examples,
        limits=limits,
    )
    if opened is not None:
        opened[0].close()
    return report


def _open(
    path: Path,
    *,
    drop_bad_rows: bool,
    progress: Progress | None,
    max_examples: int,
    limits: Limits | None = None,
) -> tuple[
    ValidationReport,
    tuple[duckdb.DuckDBPyConnection, _Loaded, _Loaded | None] | None,
]:
    """Read, validate and (when usable) expose the extract as the two canonical views.

    Returns the report and, when the extract can be used, the open connection with the
    loaded files; None when it cannot (file-level errors, or errors and not dropping).
    """
    say = progress or (lambda stage, fraction: None)
    report = ValidationReport(source=str(path), max_examples=max_examples)
    # Rows are stored in file order: a row's place is its line number (``_Loaded.line``).
    # DuckDB 2 turns a constant list test (``_is_in``) into a hash join, which reorders rows,
    # unless its "in_clause" rewrite is off.
    con = duckdb.connect(
        config={"preserve_insertion_order": True, "disabled_optimizers": "in_clause"}
    )
    keep = False
    try:
        con.execute("SET enable_progress_bar = false")
        with _located(path, report, limits) as found:
            if not report.ok or "patients" not in found:
                return report, None
            say("Reading patients", 0.0)
            p = _load_or_report(
                con, found["patients"], "p", PATIENT_SPECS, C.PATIENTS_SCHEMA, report
            )
            a = None
            if "appointments" in found:
                say("Reading appointments", 0.4)
                a = _load_or_report(
                    con,
                    found["appointments"],
                    "a",
                    APPOINTMENT_SPECS,
                    C.APPOINTMENTS_SCHEMA,
                    report,
                )
            if p is None or (a is None and "appointments" in found):
                return report, None
            say("Checking the extract", 0.7)
            report.counts[p.source.label] = p.rows
            if p.rows == 0:
                if not p.reject_lines:
                    _file_error(
                        report, p.source.label, "empty", "the file has a header but no rows"
                    )
                else:
                    _file_error(
                        report, p.source.label, "no_rows", "no line of the file could be read"
                    )
                return report, None
            _report_checks(con, p, report)
            _report_practice_codes(con, p, report)
            _report_duplicates(con, p, report)
            _completeness(con, p, report)
            _imd_facts(con, p, report)
            if a is not None:
                report.counts[a.source.label] = a.rows
                _report_checks(con, a, report)
                _report_orphans(con, a, p, report)
                _appointment_dates(con, a, report)
            if not report.ok and not drop_bad_rows:
                return report, None
            dropping = drop_bad_rows and not report.ok
            if not _canonical_views(con, p, a, report, dropping):
                _file_error(
                    report,
                    p.source.label,
                    "no_rows_left",
                    "every row has a problem: dropping the bad rows leaves no patients to assess",
                )
                return report, None
            if dropping:
                report.demote_errors()
            say("Extract read", 1.0)
            keep = True
            return report, (con, p, a)
    finally:
        if not keep:
            con.close()


def _canonical_views(
    con: duckdb.DuckDBPyConnection,
    p: _Loaded,
    a: _Loaded | None,
    report: ValidationReport,
    dropping: bool,
) -> bool:
    """Create the views the engine reads (canonical columns, then extras under their own
    names) and their ``_in_order`` twins that the Arrow fetch reads, with each row's place in
    the file (``_file_row``) to sort by: SQL does not promise that a query over a view keeps
    the view's own ORDER BY.

    Without dropping they are projections of the loaded tables (no copy). When bad rows are
    dropped, the kept rows are copied once into new tables, in file order. False (and no
    views) when dropping would leave no patients.
    """
    p_source = p.table
    if dropping:
        con.execute(
            f"CREATE TEMP TABLE keep_p AS SELECT rowid AS r, patient_id FROM {p.table} "
            f"WHERE __bad = 0 AND rowid NOT IN (SELECT r FROM dup)"
        )
        # A filter by row id is a semi join, which may reorder: sort back into file order.
        con.execute(
            f"CREATE TEMP TABLE p_kept AS SELECT {_stored_columns(p)} FROM {p.table} "
            f"WHERE rowid IN (SELECT r FROM keep_p) ORDER BY rowid"
        )
        p_source = "p_kept"
        kept = con.execute("SELECT count(*) FROM p_kept").fetchone()[0]  # type: ignore[index]
        if not kept:
            return False
        _dropped(report, p.source.label, p.rows - kept, "bad rows")
    joined = f"FROM {p_source} t"
    replace: dict[str, str] = {}
    if report.completeness.get("imd_filled_from_lsoa"):
        # Blank deciles filled from the LSOA by a join when read (cheaper than an UPDATE);
        # an equi-join only: an extra test makes it a loop join.
        joined += " LEFT JOIN imd_ref i ON t.lsoa = i.lsoa11cd"
        replace["imd_decile"] = "coalesce(t.imd_decile, CAST(i.imd_decile AS TINYINT))"
    _create_views(con, PATIENTS_VIEW, p, joined, replace)
    if a is None:
        return True
    a_source = a.table
    if dropping:
        con.execute(
            f"CREATE TEMP TABLE a_kept AS SELECT {_stored_columns(a, 'a.')} FROM {a.table} a "
            f"SEMI JOIN keep_p k ON a.patient_id = k.patient_id "
            f"WHERE a.__bad = 0 ORDER BY a.rowid"
        )
        a_source = "a_kept"
        kept = con.execute("SELECT count(*) FROM a_kept").fetchone()[0]  # type: ignore[index]
        _dropped(
            report,
            a.source.label,
            a.rows - kept,
            "bad rows and appointments of unknown or dropped patients",
        )
    _create_views(con, APPOINTMENTS_VIEW, a, f"FROM {a_source} t", {})
    return True


def _create_views(
    con: duckdb.DuckDBPyConnection, view: str, loaded: _Loaded, joined: str, replace: dict[str, str]
) -> None:
    """``view`` over ``joined`` (the rows as ``t``), and its ``_in_order`` twin with each
    row's place in the file."""
    select = _view_columns(loaded, "t.", replace)
    row = _file_row([*loaded.contract, *loaded.extras])
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT {select} {joined}")
    con.execute(f"CREATE TEMP VIEW {view}_in_order AS SELECT {select}, t.rowid AS {row} {joined}")


def _stored_columns(loaded: _Loaded, prefix: str = "") -> str:
    """The loaded table's data columns under their stored names (no bookkeeping columns)."""
    stored = [*map(_q, loaded.contract), *(st for st, _ in loaded.stored())]
    return ", ".join(prefix + c for c in stored)


def _view_columns(loaded: _Loaded, prefix: str, replace: dict[str, str]) -> str:
    """The view's columns: the contract's (or a replacement expression), then each extra
    under the extract's own name."""
    cols = [f"{replace.get(n, prefix + _q(n))} AS {_q(n)}" for n in loaded.contract]
    cols += [f"{prefix}{st} AS {_q(name)}" for st, name in loaded.stored()]
    return ", ".join(cols)


def _load_or_report(
    con: duckdb.DuckDBPyConnection,
    src: _Source,
    table: str,
    specs: tuple[ColumnSpec, ...],
    schema: pa.Schema,
    report: ValidationReport,
) -> _Loaded | None:
    try:
        loaded = _load(con, src, table, specs, schema, report)
    except _Fatal as fatal:
        kind, message = fatal.args
        _file_error(report, src.label, kind, message)
        return None
    return loaded


def _dropped(report: ValidationReport, label: str, n: int, what: str) -> None:
    if n:
        report.add(
            Issue(label, None, None, None, "dropped", f"{n:,} row(s) dropped ({what})", "warning"),
            n,
        )
