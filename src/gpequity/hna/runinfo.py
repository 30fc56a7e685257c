"""What a run records beside its tables (DATA.md "Results over time").

Each run keeps its as-of date, the extract's fingerprint, the Focus criteria and indicator
definitions it used, and the gpequity version, so that two runs can be told apart (or shown
to be the same) long after the extract itself is deleted. ``RunInfo.to_json`` is canonical
(sorted keys, no spaces, no timestamps): the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gpequity.hna.indicators import Indicator

RUN_FILE = "run.json"
"""The file the command line writes beside the tables."""

DATA_FILES = tuple(f"{s}.{f}" for s in ("patients", "appointments") for f in ("csv", "parquet"))
"""The extract's data files (DATA.md "The extract"), the ones the fingerprint covers."""

_CHUNK = 1 << 20


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(files: Iterable[tuple[str, int, IO[bytes]]]) -> str:
    """SHA-256 over each file in turn: its name, its size in bytes, then its bytes."""
    h = hashlib.sha256()
    for name, size, stream in files:
        h.update(f"{name}\0{size}\0".encode())
        while chunk := stream.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _folder_files(folder: Path) -> Iterable[tuple[str, int, IO[bytes]]]:
    found = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for name in DATA_FILES:
        if name in found:
            path = found[name]
            with path.open("rb") as f:
                yield name, path.stat().st_size, f


def _zip_files(path: Path) -> Iterable[tuple[str, int, IO[bytes]]]:
    from gpequity.archives import SafeZip, default_limits
    from gpequity.hna.extract import _zip_members

    # Checked and counted as the loader does (gpequity.archives), though the load has
    # normally refused a harmful zip before its fingerprint is taken.
    with SafeZip(path, limits=default_limits(), label=path.name) as zf:
        members = dict(_zip_members(zf.members))  # the files the loader reads, any depth
        for name in DATA_FILES:
            if name in members:
                info = members[name]
                with zf.open(info) as f:
                    yield name, info.file_size, f


def extract_fingerprint(extract: str | Path) -> str:
    """SHA-256 (hex) of an extract's data files, the same for a folder and a zip of it.

    The data files are ``patients`` and ``appointments`` (``.csv`` or ``.parquet``), taken
    in that order, each as its lower-case name, its size and its bytes; a zip's members are
    read uncompressed, wherever they sit in it, so zipping (or the zip's own dates and
    compression) does not change the fingerprint, and other files are not part of it.
    """
    path = Path(extract)
    if path.is_dir():
        return _digest(_folder_files(path))
    if path.is_file() and zipfile.is_zipfile(path):
        return _digest(_zip_files(path))
    raise ValueError(f"{path} is not an extract folder or zip")


def definitions_data(definitions: Sequence[Indicator]) -> list[dict[str, Any]]:
    """The indicator definitions as plain data (every field, defaults included)."""
    return [d.model_dump(mode="json") for d in definitions]


@dataclass(frozen=True)
class RunInfo:
    """What a run used. ``focus`` is the parsed criteria as data (None without a Focus
    group); ``indicators`` the definitions of the indicators computed; ``extract_fingerprint``
    None when the run was given an already loaded extract rather than files. The engine is
    not recorded: DuckDB and Spark give the same tables, and the same record."""

    as_of: date
    extract_fingerprint: str | None
    focus: dict[str, Any] | None
    indicators: list[dict[str, Any]]
    gpequity_version: str
    shareable: bool = False
    drop_bad_rows: bool = False
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def indicators_fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the definitions: equal when they are equal."""
        return hashlib.sha256(canonical_json(self.indicators).encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["indicators_fingerprint"] = self.indicators_fingerprint
        return data

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunInfo:
        fields = {k: v for k, v in data.items() if k != "indicators_fingerprint"}
        fields["as_of"] = date.fromisoformat(fields["as_of"])
        return cls(**fields)
