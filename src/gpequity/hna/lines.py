"""Where each record of a CSV file starts, in the lines a person sees in an editor.

DuckDB numbers what it reads by records: a value in quotes that spans lines counts as one
line, and a blank line, which it skips, counts as one. A person opens the file in an editor,
where the quoted value takes all its lines. So after such a value every DuckDB number is too
small. The loader asks this module only when it has something to report, and only reads
the file again when the file is not the plain case of one record per line (ADR 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CHUNK = 1 << 24
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")


def physical_line_count(path: Path) -> int:
    """Lines in the file as an editor counts them (a last line without a newline counts)."""
    count, last = 0, b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (1 if last not in (b"", b"\n") else 0)


@dataclass(frozen=True)
class Records:
    """The non-blank records of a CSV file, header first: for each, DuckDB's line number
    (records and blank lines counted, quoted line breaks not) and its first physical line."""

    duckdb_lines: np.ndarray
    physical_lines: np.ndarray


def scan_records(path: Path) -> Records:
    """Split the file into records as DuckDB does (comma-separated, ``"`` quotes, ``""``
    inside quotes, LF or CRLF line ends, blank lines skipped).

    A line break ends a record when an even number of quotes comes before it (a doubled
    quote inside a value counts twice). Worked out with numpy a chunk at a time: a 2M-row
    file takes about a second, where a Python loop over its lines took seven.
    """
    size = path.stat().st_size
    if size == 0:
        return Records(np.zeros(0, np.int64), np.zeros(0, np.int64))
    data = np.memmap(path, dtype=np.uint8, mode="r")
    breaks, ends = [], []  # every line break; the line breaks that end a record
    parity = 0
    for first in range(0, size, _CHUNK):
        chunk = data[first : first + _CHUNK]
        newlines = np.flatnonzero(chunk == _LF)
        quotes = np.flatnonzero(chunk == _QUOTE)
        outside = (np.searchsorted(quotes, newlines) + parity) % 2 == 0
        parity = (parity + len(quotes)) % 2
        breaks.append(newlines + first)
        ends.append(newlines[outside] + first)
    all_breaks = np.concatenate(breaks)
    record_ends = np.concatenate(ends)
    starts = np.concatenate(([0], record_ends + 1))
    stops = np.concatenate((record_ends, [size]))
    if starts[-1] == size:  # the file ends with a line break: no record after it
        starts, stops = starts[:-1], stops[:-1]
    length = stops - starts
    blank = (length == 0) | ((length == 1) & (data[np.minimum(starts, size - 1)] == _CR))
    duck_lines = np.arange(1, len(starts) + 1)[~blank]
    physical = np.searchsorted(all_breaks, starts[~blank]) + 1
    del data
    return Records(duck_lines, physical)


@dataclass(frozen=True)
class LineMap:
    """Physical first lines of the rows DuckDB kept (by row id) and of the records it
    rejected (by DuckDB's line number)."""

    rows: np.ndarray
    rejects: dict[int, int]


def line_map(path: Path, rows: int, reject_lines: list[int]) -> LineMap | None:
    """The physical lines of a file DuckDB read into ``rows`` rows, rejecting the records at
    ``reject_lines`` (its numbers). None when the file has one record per line (DuckDB's
    numbers are then the lines), or when this module's reading of the file does not add
    up to DuckDB's (the caller then keeps DuckDB's numbers)."""
    if physical_line_count(path) == 1 + rows + len(reject_lines):
        return None
    records = scan_records(path)
    duck, physical = records.duckdb_lines[1:], records.physical_lines[1:]  # past the header
    is_reject = np.isin(duck, np.asarray(reject_lines, dtype=np.int64))
    kept = physical[~is_reject]
    found = dict(zip(duck[is_reject].tolist(), physical[is_reject].tolist(), strict=True))
    if len(kept) != rows or len(found) != len(set(reject_lines)):
        return None
    return LineMap(kept, found)
