"""Checking uploaded evidence files before anything is stored.

A file is accepted only when its extension is on the allow-list AND its first bytes look like
that kind of file, so a renamed executable or a mislabelled archive is refused. Every message
names the file, because the person uploading may have picked several in turn.
"""

from __future__ import annotations

import codecs
import os
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from gpequity.archives import XLSX_LIMITS, ArchiveError, check_archive


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str


ALLOWED: dict[str, FileType] = {
    ".pdf": FileType("PDF", "application/pdf"),
    ".docx": FileType(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ".xlsx": FileType(
        "Excel spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    ".pptx": FileType(
        "PowerPoint presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ".png": FileType("PNG image", "image/png"),
    ".jpg": FileType("JPEG image", "image/jpeg"),
    ".jpeg": FileType("JPEG image", "image/jpeg"),
    ".txt": FileType("text file", "text/plain"),
    ".csv": FileType("CSV file", "text/csv"),
}
ALLOWED_HINT = "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), PNG, JPG, text (.txt) or CSV"
ACCEPT_ATTR = ",".join(sorted(ALLOWED))

# The folder each Office Open XML format keeps its main part in.
_OOXML_FOLDER = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
_TEXT_SAMPLE = 64 * 1024
MAX_NAME = 200


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    extension: str
    content_type: str
    size: int


def clean_name(name: str) -> str:
    """The user's file name without folders or control characters, for display only."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    if len(base) > MAX_NAME:  # shorten the name, never the extension that says its type
        stem, ext = os.path.splitext(base)
        base = (stem[: MAX_NAME - len(ext)] + ext) if len(ext) < 20 else base[:MAX_NAME]
    return base or "unnamed file"


def max_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def check_upload(upload) -> CheckedUpload:
    """Validate an uploaded file or raise ``ValidationError`` with a message naming it."""
    name = clean_name(getattr(upload, "name", ""))
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED:
        raise ValidationError(
            f"“{name}” is not a file type we accept. Upload a {ALLOWED_HINT} file.",
            code="type",
        )
    size = int(upload.size or 0)
    if size == 0:
        raise ValidationError(
            f"“{name}” is empty. Choose a file with something in it.", code="empty"
        )
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            f"“{name}” is {filesizeformat(size)}. "
            f"Files must be {filesizeformat(limit)} or smaller.",
            code="size",
        )
    if ext in _OOXML_FOLDER:
        _check_archive(upload, name, ALLOWED[ext].label)
    if not _content_matches(upload, ext):
        raise ValidationError(
            f"“{name}” does not look like a {ALLOWED[ext].label}: its contents do not match "
            f"its name. Save it again as a {ALLOWED[ext].label} and upload that.",
            code="content",
        )
    return CheckedUpload(name, ext, ALLOWED[ext].content_type, size)


def _check_archive(upload, name: str, label: str) -> None:
    """An Office file is a zip: refuse a bomb, an encrypted or a damaged one by name
    (``gpequity.archives``), before anything opens it."""
    upload.seek(0)
    try:
        check_archive(upload, limits=XLSX_LIMITS, label=f"“{name}”")
    except ArchiveError as exc:
        if exc.kind == "bad_zip":
            return  # not a zip at all: the content check says so
        if exc.kind == "encrypted":
            message = (
                f"“{name}” is password-protected. Save a copy without the password and upload that."
            )
        else:
            message = f"{exc.message[0].upper()}{exc.message[1:]}. Upload a different {label}."
        raise ValidationError(message, code="archive") from None
    finally:
        upload.seek(0)


def _content_matches(upload, ext: str) -> bool:
    upload.seek(0)
    head = upload.read(_TEXT_SAMPLE)
    upload.seek(0)
    try:
        if ext == ".pdf":
            return head.startswith(b"%PDF-")
        if ext == ".png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        if ext in (".jpg", ".jpeg"):
            return head.startswith(b"\xff\xd8\xff")
        if ext in _OOXML_FOLDER:
            return head.startswith(b"PK\x03\x04") and _is_ooxml(upload, _OOXML_FOLDER[ext])
        return _looks_like_text(head)
    finally:
        upload.seek(0)


def _is_ooxml(upload, folder: str) -> bool:
    """A real Office file is a zip with a content-types part and its own main folder."""
    try:
        with zipfile.ZipFile(upload) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)


def _looks_like_text(head: bytes) -> bool:
    """Plain text: no NUL or other control bytes, and decodable as UTF-8 or Windows-1252."""
    if b"\x00" in head:
        return False
    complete = len(head) < _TEXT_SAMPLE
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            # A sample may end part-way through a multi-byte character: not final then.
            text = decoder.decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return all(ch in "\t\n\r\f" or unicodedata.category(ch) != "Cc" for ch in text)
    return False
