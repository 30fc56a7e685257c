"""Receiving a practice extract: streamed into a private folder with a size cap, then the
cheap checks that need no engine (ADR 17). Anything refused leaves no file behind.

An upload is either one zip holding ``patients.csv`` (and optionally ``appointments.csv``,
or the Parquet versions), or the patients file itself with an optional appointments file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from gpequity.archives import ArchiveError, Limits, SafeZip, default_limits, iter_members

UPLOAD_ROOT = "hna-uploads"
EXTRACT_FIELDS = ("extract", "appointments")
_STEMS = ("patients", "appointments")
_FORMATS = ("csv", "parquet")
_REQUIRED = {
    "patients": ("patient_id", "age", "sex"),
    "appointments": ("patient_id", "date", "status"),
}


class UploadRefused(ValueError):
    """The upload cannot be used; the message says why in plain English."""

    def __init__(self, message: str, field: str = "extract"):
        super().__init__(message)
        self.field = field


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_ROOT


def folder_path(name: str) -> Path:
    """The absolute path of an upload folder from its stored name (never user input)."""
    path = (root() / name).resolve()
    if root().resolve() not in path.parents:
        raise ValueError("not an upload folder")
    return path


def new_folder() -> tuple[str, Path]:
    name = secrets.token_hex(16)
    path = root() / name
    path.mkdir(parents=True, exist_ok=False)
    return name, path


def remove_folder(name: str) -> None:
    if name:
        shutil.rmtree(folder_path(name), ignore_errors=True)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


# --------------------------------------------------------------------------- streaming


class PrivateUploadHandler(FileUploadHandler):
    """Writes the extract's file fields straight into a new private folder, chunk by chunk,
    stopping at ``HNA_UPLOAD_MAX_BYTES`` (the rest of an oversized file is skipped, not kept).
    Other file fields are ignored."""

    def __init__(self, request=None):
        super().__init__(request)
        self.folder_name, self.folder = "", None  # made on the first file
        self.limit = settings.HNA_UPLOAD_MAX_BYTES
        self.total = 0
        self.too_large = False
        self.received: dict[str, StoredFile] = {}
        self._current: StoredFile | None = None
        self._fh = None

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, *a):
        super().new_file(field_name, file_name, content_type, content_length, charset, *a)
        if field_name not in EXTRACT_FIELDS or self.too_large:
            raise SkipFile()
        if self.folder is None:
            self.folder_name, self.folder = new_folder()
        self._current = StoredFile(
            field_name, _safe_name(file_name), self.folder / f"upload-{field_name}"
        )
        self._fh = self._current.path.open("wb")

    def receive_data_chunk(self, raw_data, start):
        if self._fh is None:
            return None
        self.total += len(raw_data)
        if self.total > self.limit:
            self.too_large = True
            self._fh.close()
            self._fh = None
            self._current.path.unlink(missing_ok=True)
            self._current = None
            raise SkipFile()
        self._fh.write(raw_data)
        self._current.size += len(raw_data)
        self._current.sha.update(raw_data)
        return None

    def file_complete(self, file_size):
        if self._fh is None:
            return None
        self._fh.close()
        self._fh = None
        self.received[self._current.field] = self._current
        self._current = None
        return None  # the view reads ``received``; nothing goes into request.FILES

    def upload_interrupted(self):
        self.discard()

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class StoredFile:
    field: str
    name: str  # the name the user gave, cleaned
    path: Path
    size: int = 0
    sha: object = field(default_factory=hashlib.sha256)


def store_uploaded(files: dict[str, object]) -> tuple[str, dict[str, StoredFile]]:
    """Copy Django uploaded files (the API's path) into a new private folder, with the cap."""
    name, folder = new_folder()
    limit, total, stored = settings.HNA_UPLOAD_MAX_BYTES, 0, {}
    try:
        for field_name, upload in files.items():
            if upload is None:
                continue
            target = StoredFile(
                field_name, _safe_name(upload.name), folder / f"upload-{field_name}"
            )
            with target.path.open("wb") as out:
                for chunk in upload.chunks():
                    total += len(chunk)
                    if total > limit:
                        raise UploadRefused(
                            f"The upload is larger than {_mb(limit)}. Zip the files, or ask "
                            "your administrator about the limit.",
                            field_name,
                        )
                    out.write(chunk)
                    target.size += len(chunk)
                    target.sha.update(chunk)
            stored[field_name] = target
    except BaseException:
        remove_folder(name)
        raise
    return name, stored


def _safe_name(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(c for c in base if c.isprintable())[-120:] or "upload"


# --------------------------------------------------------------------------- checks


@dataclass
class Checked:
    """An upload that passed the quick checks, laid out as the engine reads it."""

    extract_path: Path  # a .zip file or a folder
    names: str
    size: int
    fingerprint: str


def check_and_arrange(folder: Path, stored: dict[str, StoredFile]) -> Checked:
    """Refuse what cannot be an extract (``UploadRefused``), else rename the files as the
    engine expects them. The caller deletes the folder when this raises."""
    extract = stored.get("extract")
    if extract is None:
        raise UploadRefused("Choose the extract file to upload")
    appointments = stored.get("appointments")
    for f in (extract, appointments):
        if f is not None and f.size == 0:
            raise UploadRefused(f"{f.name} is empty (0 bytes)", f.field)
    kind = _kind(extract)
    if kind == "zip":
        if appointments is not None:
            raise UploadRefused(
                "Put appointments.csv inside the zip, or upload patients.csv and "
                "appointments.csv without a zip",
                "appointments",
            )
        target = folder / "extract.zip"
        extract.path.rename(target)
        _check_zip(target, extract.name)
        path = target
    else:
        fmt = kind
        target = folder / "extract"
        target.mkdir()
        extract.path.rename(target / f"patients.{fmt}")
        _check_file(target / f"patients.{fmt}", "patients", extract.name, "extract")
        if appointments is not None:
            akind = _kind(appointments)
            if akind not in _FORMATS:
                raise UploadRefused(
                    f"{appointments.name} is not a CSV or Parquet file", "appointments"
                )
            apath = target / f"appointments.{akind}"
            appointments.path.rename(apath)
            _check_file(apath, "appointments", appointments.name, "appointments")
        path = target
    files = [extract, *([appointments] if appointments else [])]
    return Checked(
        extract_path=path,
        names=", ".join(f.name for f in files)[:300],
        size=sum(f.size for f in files),
        fingerprint=_fingerprint(files),
    )


def _fingerprint(files: list[StoredFile]) -> str:
    if len(files) == 1:
        return files[0].sha.hexdigest()
    whole = hashlib.sha256()
    for f in files:
        whole.update(f.sha.hexdigest().encode())
    return whole.hexdigest()


def _kind(f: StoredFile) -> str:
    with f.path.open("rb") as fh:
        head = fh.read(8)
    lower = f.name.lower()
    if head.startswith(b"PK"):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if lower.endswith(".zip"):
        raise UploadRefused(f"{f.name} is not a zip file (it cannot be opened as one)", f.field)
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return "csv"
    raise UploadRefused(
        f"{f.name} is not a zip, CSV or Parquet file. Upload a zip of the extract, or patients.csv",
        f.field,
    )


def zip_limits() -> Limits:
    """The caps on an uploaded zip: the shared ones (``gpequity.archives``: member count,
    zip-bomb ratio, names, links, encryption) with ``HNA_UNZIPPED_MAX_BYTES`` as the total.
    The run reads the extract with the same limits."""
    return default_limits().with_total(settings.HNA_UNZIPPED_MAX_BYTES)


def _check_zip(path: Path, shown: str) -> None:
    try:
        with SafeZip(path, limits=zip_limits(), label=shown) as zf:
            members = {}
            for info in iter_members(zf):
                if info.filename.startswith("__MACOSX"):
                    continue
                leaf = info.filename.rsplit("/", 1)[-1].lower()
                stem, _, fmt = leaf.partition(".")
                if stem in _STEMS and fmt in _FORMATS:
                    if stem in members:
                        raise UploadRefused(f"{shown} holds more than one {stem} file")
                    members[stem] = (info, fmt)
            if "patients" not in members:
                raise UploadRefused(f"{shown} has no patients.csv (or patients.parquet) in it")
            for stem, (info, fmt) in members.items():
                with zf.open(info) as fh:
                    head = fh.read(1 << 20)
                _check_head(head, fmt, stem, f"{info.filename} in {shown}", "extract")
    except ArchiveError as exc:
        raise UploadRefused(exc.message) from exc


def _check_file(path: Path, stem: str, shown: str, field_name: str) -> None:
    fmt = path.suffix.lstrip(".")
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    _check_head(head, fmt, stem, shown, field_name, path=path)


def _check_head(
    head: bytes, fmt: str, stem: str, shown: str, field_name: str, path: Path | None = None
) -> None:
    """The header names the required columns and at least one data row follows."""
    if fmt == "parquet":
        if path is None:
            return  # inside a zip: the run checks it
        try:
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path)
        except Exception as exc:  # pyarrow raises several kinds for a broken file
            raise UploadRefused(f"{shown} is not a readable Parquet file", field_name) from exc
        names = [n.lower() for n in meta.schema.names]
        rows = meta.num_rows
    else:
        if b"\x00" in head[:65536]:
            raise UploadRefused(f"{shown} is not a CSV text file", field_name)
        text = head.removeprefix(b"\xef\xbb\xbf")
        first, _, rest = text.partition(b"\n")
        try:
            header = next(csv.reader(io.StringIO(first.rstrip(b"\r").decode("utf-8"))), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            raise UploadRefused(
                f"{shown}: the first line is not a readable CSV header (UTF-8)", field_name
            ) from exc
        names = [n.strip().lower() for n in header]
        rows = 1 if rest.strip() else 0
    missing = [c for c in _REQUIRED[stem] if c not in names]
    if missing:
        raise UploadRefused(
            f"{shown} has no {', '.join(missing)} column"
            f"{'s' if len(missing) > 1 else ''}: check it is the {stem} file of the extract "
            f"(its first line should name the columns, for example {', '.join(_REQUIRED[stem])})",
            field_name,
        )
    if rows == 0:
        raise UploadRefused(f"{shown} has a header but no {stem} in it", field_name)
