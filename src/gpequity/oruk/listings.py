"""The directory part of gpequity's organisation JSON export, read back.

The export (``gpequity.org-export``) carries each service the organisation owns as its ORUK
document plus what the standard does not hold: whether it is published, when and by whom it was
last checked (kept apart from the last change), when and by whom it was last changed, and the
feed it came from. ``read_section`` checks every entry (the ORUK document against the bundled
schemas, our fields for type, shape and length) and returns the entries with every problem,
each naming the place in the file (``directory.services[3].checked_on``), the service id and
the value. Nothing here writes; the web app applies the entries all or nothing.

Django-free (ADR 2).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .feeds import MAX_BYTES, FeedError, _parse_json
from .records import from_oruk, to_oruk
from .validate import MISSING, Problem, _show, service_problems

SCHEMA = "gpequity.org-export"
SECTION_VERSION = 1
LIMITS = {"checked_by": 200, "changed_by": 200, "source": 300}


@dataclass
class Listing:
    """One service of the export: its ORUK document (as we store it) and our own fields."""

    document: dict[str, Any]
    public: bool
    checked_on: dt.date | None
    checked_by: str
    changed_at: dt.datetime
    changed_by: str
    source: str

    @property
    def id(self) -> str:
        return self.document["id"]

    @property
    def name(self) -> str:
        return self.document.get("name", "")

    def own_fields(self) -> dict[str, Any]:
        return {
            "public": self.public,
            "checked_on": self.checked_on,
            "checked_by": self.checked_by,
            "changed_at": self.changed_at,
            "changed_by": self.changed_by,
            "source": self.source,
        }


def is_org_export(doc: Any) -> bool:
    """Whether a parsed JSON document is an organisation export (or its directory part)
    rather than an ORUK service or page."""
    if not isinstance(doc, dict):
        return False
    if doc.get("schema") == SCHEMA:
        return True
    services = doc.get("services")
    return (
        isinstance(services, list)
        and "contents" not in doc
        and any(isinstance(s, dict) and "oruk" in s for s in services)
    )


def section_of(doc: dict[str, Any]) -> Any:
    return doc.get("directory") if doc.get("schema") == SCHEMA else doc


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError
    return dt.date.fromisoformat(value)


def _datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError
    return parsed


def read_section(section: Any) -> tuple[list[Listing], list[Problem]]:
    """The listings of a directory section, or every problem with it (then use none)."""
    where = "directory"
    if not isinstance(section, dict) or not isinstance(section.get("services"), list):
        return [], [Problem("", f"{where}.services", MISSING, "the file has no list of services")]
    version = section.get("version", SECTION_VERSION)
    if version != SECTION_VERSION:
        return [], [
            Problem(
                "", f"{where}.version", _show(version), f"this installation reads {SECTION_VERSION}"
            )
        ]
    listings: list[Listing] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for n, entry in enumerate(section["services"]):
        at = f"{where}.services[{n}]"
        if not isinstance(entry, dict):
            problems.append(Problem("", at, _show(entry), "must be an object"))
            continue
        doc = entry.get("oruk")
        rid = str(doc.get("id", "")) if isinstance(doc, dict) else ""
        found = _entry_problems(entry, at, rid)
        if not isinstance(doc, dict):
            found.append(Problem(rid, f"{at}.oruk", _show(doc), "must be an ORUK service object"))
        else:
            for p in service_problems(doc):
                found.append(Problem(rid, f"{at}.oruk.{p.field}", p.value, p.message))
            if rid in seen:
                found.append(Problem(rid, f"{at}.oruk.id", rid, "is used by two services"))
            seen.add(rid)
        if found:
            problems.extend(found)
            continue
        document = to_oruk(from_oruk(doc))
        checked_on = _date(entry.get("checked_on")) if entry.get("checked_on") else None
        assured = document.get("assured_date", "")[:10]
        if (checked_on.isoformat() if checked_on else "") != assured:
            problems.append(
                Problem(
                    rid,
                    f"{at}.checked_on",
                    _show(entry.get("checked_on")),
                    f"does not match the service's assured_date ({assured or 'none'})",
                )
            )
            continue
        listings.append(
            Listing(
                document=document,
                public=entry.get("public", False),
                checked_on=checked_on,
                checked_by=entry.get("checked_by") or "",
                changed_at=_datetime(entry["changed_at"]),
                changed_by=entry.get("changed_by") or "",
                source=entry.get("source") or "",
            )
        )
    return (listings, []) if not problems else ([], problems)


def _entry_problems(entry: dict[str, Any], at: str, rid: str) -> list[Problem]:
    out = []
    if not isinstance(entry.get("public", False), bool):
        out.append(Problem(rid, f"{at}.public", _show(entry["public"]), "must be true or false"))
    value = entry.get("checked_on")
    if value not in (None, ""):
        try:
            _date(value)
        except ValueError:
            out.append(Problem(rid, f"{at}.checked_on", _show(value), "is not a date (YYYY-MM-DD)"))
    if "changed_at" not in entry:
        out.append(Problem(rid, f"{at}.changed_at", MISSING, "is required"))
    else:
        try:
            _datetime(entry["changed_at"])
        except ValueError:
            out.append(
                Problem(
                    rid,
                    f"{at}.changed_at",
                    _show(entry["changed_at"]),
                    "is not a date and time with its offset (2026-01-31T09:30:00+00:00)",
                )
            )
    for key, limit in LIMITS.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            out.append(Problem(rid, f"{at}.{key}", _show(value), "must be text"))
        elif len(value) > limit:
            out.append(Problem(rid, f"{at}.{key}", _show(value), f"is over {limit} characters"))
    return out


def export_section(path: Path, *, max_bytes: int = MAX_BYTES) -> Any | None:
    """The directory section when ``path`` is an organisation export (JSON), else None (an
    ORUK feed, a folder or a zip, read with ``feeds.read_source``). ``FeedError`` names the
    file and place when it is not readable JSON."""
    if not path.is_file() or zipfile.is_zipfile(path):
        return None
    if path.stat().st_size > max_bytes:
        raise FeedError(f"{path}: larger than {max_bytes // (1024 * 1024)} MB")
    doc = _parse_json(path.read_bytes(), str(path))
    return section_of(doc) if is_org_export(doc) else None
