"""Opening zip files (and XLSX workbooks, which are zips) that came from someone else.

A zip's central directory says how many members it has, how big each unpacks and whether it
is encrypted, so most harm can be refused before a single byte is inflated: too many members,
too much data in total, a member that inflates far more than real files do (a zip bomb), an
encrypted member, or a member whose name would land outside the folder it is unpacked into or
that is a symbolic link. While a member is read, the bytes that really come out are counted
too, so a member that lies about its size is stopped at its declared size (and the total
cap still holds).

Pure Python (zipfile, stat); no Django. Every refusal is an ``ArchiveError`` whose message a
person can act on; it names the archive member, never any of its contents.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

GIB = 1 << 30
MIB = 1 << 20

ENV_MAX_UNZIPPED = "GPEQUITY_MAX_UNZIPPED_BYTES"
"""Environment variable that overrides the default cap on an archive's unpacked size."""

_ENCRYPTED = 0x1  # general purpose flag bit 0
_STRONG_ENCRYPTION = 0x40  # general purpose flag bit 6
_READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, OSError)


class ArchiveError(ValueError):
    """A zip or workbook that will not be opened. ``kind`` is a stable short name."""

    def __init__(self, kind: str, message: str, *, member: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.member = member


@dataclass(frozen=True)
class Limits:
    """What an archive may hold. ``max_ratio`` applies to members above ``ratio_from`` bytes
    (a small file can compress very well without harm)."""

    max_members: int = 10_000
    max_total: int = 4 * GIB
    max_member: int | None = None
    max_ratio: float = 200.0
    ratio_from: int = MIB

    def with_total(self, max_total: int) -> Limits:
        return replace(self, max_total=max_total)


XLSX_LIMITS = Limits(max_members=1_000, max_total=50 * MIB, max_ratio=100.0)
"""Workbooks people upload: a few dozen parts, tens of MB of XML at most (the practice
workbook of the biggest framework is under 1 MB unpacked)."""


def human_size(n: int) -> str:
    """Bytes as a person reads them: 4 GB, 25 MB, 512 KB, 900 bytes."""
    for unit, size in (("GB", GIB), ("MB", MIB), ("KB", 1024)):
        if n >= size:
            value = n / size
            return (
                f"{value:.0f} {unit}"
                if value >= 10 or value.is_integer()
                else f"{value:.1f} {unit}"
            )
    return f"{n} bytes"


def parse_size(text: str) -> int:
    """A size such as ``4GB``, ``500 MB``, ``1048576`` as bytes (ValueError if unreadable)."""
    t = text.strip().upper().replace(" ", "")
    units = (("GB", GIB), ("G", GIB), ("MB", MIB), ("M", MIB), ("KB", 1024), ("K", 1024))
    number, scale = None, 1
    for unit, size in units:
        if t.endswith(unit):
            number, scale = float(t[: -len(unit)]), size
            break
    if number is None:
        number = float(t.removesuffix("B"))
    if not number > 0 or number != number or number == float("inf"):
        raise ValueError(f"not a size: {text!r}")
    return int(number * scale)


def default_limits(environ: dict[str, str] | None = None) -> Limits:
    """The limits for extract zips: 4 GB unpacked unless ``GPEQUITY_MAX_UNZIPPED_BYTES`` says
    otherwise (bytes, or with a unit: ``500MB``, ``8GB``)."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_MAX_UNZIPPED, "").strip()
    if not raw:
        return Limits()
    try:
        return Limits(max_total=parse_size(raw))
    except ValueError:
        raise ArchiveError(
            "bad_limit",
            f"{ENV_MAX_UNZIPPED} is set to {raw!r}, which is not a size "
            "(use bytes or a size such as 500MB or 8GB)",
        ) from None


# --------------------------------------------------------------------------- member checks


def is_link(info: zipfile.ZipInfo) -> bool:
    """True when the member is a symbolic link (Unix mode bits in the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def safe_name(name: str) -> str | None:
    """The member's path relative to the unpack folder, or None if it would escape it
    (absolute, a drive letter, ``..`` parts, backslashes used as folders)."""
    if not name or "\x00" in name:
        return None
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return None
    parts = PurePosixPath(unified).parts
    if any(p == ".." for p in parts):
        return None
    cleaned = "/".join(p for p in parts if p not in ("", "."))
    return cleaned or None


def check_members(infos: list[zipfile.ZipInfo], limits: Limits, label: str) -> None:
    """Refuse an archive from its central directory alone (nothing is inflated)."""
    if len(infos) > limits.max_members:
        raise ArchiveError(
            "too_many_members",
            f"{label} holds {len(infos):,} files; at most {limits.max_members:,} are allowed",
        )
    total = 0
    for info in infos:
        name = info.filename
        if info.flag_bits & (_ENCRYPTED | _STRONG_ENCRYPTION):
            raise ArchiveError(
                "encrypted",
                f"{name} is password-protected in {label}: unzip it yourself (or save the "
                "file again without a password) and use that instead",
                member=name,
            )
        if safe_name(name) is None:
            raise ArchiveError(
                "unsafe_name",
                f"{label} holds a file named {name!r} that points outside its folder; "
                "refusing to open it",
                member=name,
            )
        if is_link(info):
            raise ArchiveError(
                "link",
                f"{name} in {label} is a symbolic link, not a file; refusing to open it",
                member=name,
            )
        if limits.max_member is not None and info.file_size > limits.max_member:
            raise ArchiveError(
                "too_big",
                f"{name} in {label} unpacks to {human_size(info.file_size)}; "
                f"the limit is {human_size(limits.max_member)}",
                member=name,
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_from and ratio > limits.max_ratio:
            raise ArchiveError(
                "ratio",
                f"{name} in {label} unpacks to {human_size(info.file_size)}, {ratio:,.0f} "
                f"times its packed size (real files stay under {limits.max_ratio:,.0f} "
                "times): it looks like a zip bomb, so it is not opened",
                member=name,
            )
        total += info.file_size
        if total > limits.max_total:
            raise ArchiveError(
                "too_big",
                f"{label} unpacks to more than {human_size(limits.max_total)}, the limit",
            )


# --------------------------------------------------------------------------- reading


class SafeZip:
    """A zip opened for reading after ``check_members``; ``open``/``read``/``extract`` count
    the bytes that really come out against each member's declared size and the total cap.

    Use as a context manager. ``source`` is a path, bytes or a binary file object.
    """

    def __init__(self, source: str | os.PathLike | bytes | BinaryIO, *, limits: Limits, label: str):
        self.limits = limits
        self.label = label
        self._read_total = 0
        if isinstance(source, bytes | bytearray):
            source = io.BytesIO(source)
        try:
            self._zf = zipfile.ZipFile(source)
        except zipfile.BadZipFile:
            raise ArchiveError("bad_zip", f"{label} is damaged or not a zip file") from None
        except (*_READ_ERRORS, ValueError) as exc:
            raise ArchiveError(
                "bad_zip", f"{label} could not be read as a zip file ({type(exc).__name__})"
            ) from None
        try:
            self.members = self._zf.infolist()
            check_members(self.members, limits, label)
        except BaseException:
            self._zf.close()
            raise

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zf.close()

    def names(self) -> list[str]:
        return [i.filename for i in self.members]

    def open(self, info: zipfile.ZipInfo) -> IO[bytes]:
        """A reader for one member that stops and raises ``ArchiveError`` past its declared
        size or the archive's cap, and turns a damaged member into ``ArchiveError``."""
        try:
            raw = self._zf.open(info)
        except NotImplementedError:
            raise ArchiveError(
                "unsupported",
                f"{info.filename} in {self.label} uses a compression method that cannot be "
                "read here: unzip it yourself and use that instead",
                member=info.filename,
            ) from None
        except RuntimeError:  # zipfile's own "password required" error
            raise ArchiveError(
                "encrypted",
                f"{info.filename} is password-protected in {self.label}",
                member=info.filename,
            ) from None
        except _READ_ERRORS as exc:
            raise self._damaged(info, exc) from None
        return _CountingReader(raw, info, self)

    def read(self, info: zipfile.ZipInfo) -> bytes:
        with self.open(info) as f:
            return f.read()

    def extract(self, info: zipfile.ZipInfo, folder: Path, name: str | None = None) -> Path:
        """Copy one member into ``folder`` (as ``name``, else its own safe path)."""
        rel = name or safe_name(info.filename)
        assert rel is not None  # check_members refused unsafe names
        target = folder / rel
        root = folder.resolve()
        if root not in target.resolve().parents and target.resolve() != root:
            raise ArchiveError(  # pragma: no cover - safe_name already refuses these
                "unsafe_name", f"{info.filename} would be written outside its folder"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.open(info) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, MIB)
        return target

    def _damaged(self, info: zipfile.ZipInfo, exc: BaseException) -> ArchiveError:
        return ArchiveError(
            "damaged",
            f"{info.filename} in {self.label} is damaged or does not match the size it "
            f"declares ({type(exc).__name__}); make the zip file again",
            member=info.filename,
        )

    def _count(self, info: zipfile.ZipInfo, n: int, so_far: int) -> None:
        self._read_total += n
        if so_far > info.file_size:
            raise ArchiveError(
                "lying_member",
                f"{info.filename} in {self.label} unpacks to more than the "
                f"{human_size(info.file_size)} it declares; refusing to read further",
                member=info.filename,
            )
        if self._read_total > self.limits.max_total:
            raise ArchiveError(
                "too_big",
                f"{self.label} unpacks to more than {human_size(self.limits.max_total)}, the limit",
            )


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes], info: zipfile.ZipInfo, owner: SafeZip):
        self._raw = raw
        self._info = info
        self._owner = owner
        self._seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        try:
            data = self._raw.read(len(b))
        except _READ_ERRORS as exc:
            raise self._owner._damaged(self._info, exc) from None
        n = len(data)
        self._seen += n
        self._owner._count(self._info, n, self._seen)
        b[:n] = data
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def check_archive(
    source: str | os.PathLike | bytes | BinaryIO, *, limits: Limits, label: str
) -> list[zipfile.ZipInfo]:
    """Check a zip's central directory against ``limits``; returns its members.

    For libraries that open the zip themselves (openpyxl): what they then read is bounded
    by the declared sizes checked here, since ``zipfile`` stops at a member's declared size
    and fails its checksum when the member lied.
    """
    position = source.tell() if hasattr(source, "tell") else None
    try:
        with SafeZip(source, limits=limits, label=label) as z:
            return z.members
    finally:
        if position is not None:
            source.seek(position)  # type: ignore[union-attr]


def iter_members(z: SafeZip) -> Iterator[zipfile.ZipInfo]:
    """The file members (folders left out)."""
    return (i for i in z.members if not i.is_dir())
