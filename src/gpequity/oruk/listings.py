"""The directory part of gpequity's organisation JSON export, read back.

The export (``gpequity.org-export``) carries each service the organisation owns as its ORUK
document plus what the standard does not hold: whether it is published, when and by whom it was
last checked (kept apart from the last change), when and by whom it was last changed, and the
feed it came from. Since section version 2 it also carries the shortlists people keep in the
organisation's directory and the problems reported with the organisation's listings (open or
closed, with what was done), see ADR 30 for who is named and how.
``read_directory`` checks every entry (the ORUK document against the bundled schemas, our
fields for type, shape and length) and returns the entries with every problem, each naming the
place in the file (``directory.services[3].checked_on``), the service id and the value. Nothing
here writes; the web app resolves people, organisations and services and applies the entries
all or nothing. Version 1 sections (services only) still read.

Django-free (ADR 2).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .feeds import MAX_BYTES, FeedError, _parse_json
from .records import from_oruk, to_oruk
from .validate import MISSING, Problem, _show, service_problems

SCHEMA = "gpequity.org-export"
SECTION_VERSION = 2
READS = (1, 2)
LIMITS = {"checked_by": 200, "changed_by": 200, "source": 300}
DESCRIPTION_LIMIT = 5000
RESOLUTION_LIMIT = 2000
NAME_LIMIT = 300


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


@dataclass(frozen=True)
class PersonRef:
    """Someone named in the export: by ``username`` when they are a member of the exporting
    organisation (its member list already names them), otherwise by the name the organisation
    sees on its pages and an opaque ``ref`` only the exporting installation can read back."""

    username: str = ""
    ref: str = ""
    name: str = ""

    def __str__(self) -> str:
        return self.username or self.name or self.ref


@dataclass(frozen=True)
class ServiceRef:
    """A service on a shortlist: its ORUK id and, when another organisation owns it (the PCN's
    service in a practice's directory), that organisation's ODS code."""

    id: str
    owner: str = ""


@dataclass
class ShortlistItem:
    at: str  # its place in the file, for messages
    user: PersonRef
    service: ServiceRef
    added_at: dt.datetime


@dataclass
class ReportItem:
    at: str
    service_id: str  # a service the organisation owns
    description: str
    reported_at: dt.datetime
    reported_by: PersonRef | None
    reported_from: str  # ODS code, "" when not known
    closed_at: dt.datetime | None
    closed_by: PersonRef | None
    resolution: str

    @property
    def key(self) -> tuple[str, dt.datetime, str]:
        return (self.service_id, self.reported_at, self.description)


@dataclass
class DirectoryPart:
    owner: str = ""  # ODS code of the organisation that exported it
    listings: list[Listing] = field(default_factory=list)
    shortlists: list[ShortlistItem] = field(default_factory=list)
    reports: list[ReportItem] = field(default_factory=list)


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
    part, problems = read_directory(section)
    return part.listings, problems


def read_directory(section: Any) -> tuple[DirectoryPart, list[Problem]]:
    """Everything in a directory section (services, shortlists, problem reports), or every
    problem with it (then an empty part)."""
    listings, problems = _read_services(section)
    if problems and not isinstance(section, dict):
        return DirectoryPart(), problems
    if isinstance(section, dict) and section.get("version", SECTION_VERSION) not in READS:
        return DirectoryPart(), problems
    shortlists, found = _read_shortlists(section)
    problems += found
    reports, found = _read_reports(section)
    problems += found
    if problems:
        return DirectoryPart(), problems
    owner = section.get("owner")
    return DirectoryPart(
        owner=owner if isinstance(owner, str) else "",
        listings=listings,
        shortlists=shortlists,
        reports=reports,
    ), []


def _read_services(section: Any) -> tuple[list[Listing], list[Problem]]:
    where = "directory"
    if not isinstance(section, dict) or not isinstance(section.get("services"), list):
        return [], [Problem("", f"{where}.services", MISSING, "the file has no list of services")]
    version = section.get("version", SECTION_VERSION)
    if version not in READS:
        return [], [
            Problem(
                "",
                f"{where}.version",
                _show(version),
                f"this installation reads versions {', '.join(map(str, READS))}",
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


def _text(entry: dict, key: str, at: str, rid: str, limit: int, out: list[Problem]) -> str:
    value = entry.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        out.append(Problem(rid, f"{at}.{key}", _show(value), "must be text"))
        return ""
    if len(value) > limit:
        out.append(Problem(rid, f"{at}.{key}", _show(value), f"is over {limit} characters"))
    return value


def _when(
    entry: dict, key: str, at: str, rid: str, out: list[Problem], required: bool
) -> dt.datetime | None:
    value = entry.get(key)
    if value is None:
        if required:
            out.append(Problem(rid, f"{at}.{key}", MISSING, "is required"))
        return None
    try:
        return _datetime(value)
    except ValueError:
        out.append(
            Problem(
                rid,
                f"{at}.{key}",
                _show(value),
                "is not a date and time with its offset (2026-01-31T09:30:00+00:00)",
            )
        )
        return None


def _person(value: Any, at: str, rid: str, out: list[Problem]) -> PersonRef | None:
    """A person object ({"username": ...} or {"name": ..., "ref": ...}); None for null."""
    if value is None:
        return None
    if not isinstance(value, dict):
        out.append(Problem(rid, at, _show(value), 'must be {"username": ...} or {"ref": ...}'))
        return None
    found: list[Problem] = []
    username = _text(value, "username", at, rid, 150, found)
    ref = _text(value, "ref", at, rid, 64, found)
    name = _text(value, "name", at, rid, NAME_LIMIT, found)
    if not found and not (username.strip() or ref.strip()):
        found.append(Problem(rid, at, _show(value), "needs a username or a ref"))
    out.extend(found)
    return None if found else PersonRef(username=username, ref=ref, name=name)


def _list_of(section: dict, key: str) -> tuple[list, list[Problem]]:
    value = section.get(key, [])
    if not isinstance(value, list):
        return [], [Problem("", f"directory.{key}", _show(value), "must be a list")]
    return value, []


def _read_shortlists(section: dict) -> tuple[list[ShortlistItem], list[Problem]]:
    entries, problems = _list_of(section, "shortlists")
    items: list[ShortlistItem] = []
    seen: dict[tuple, str] = {}
    for n, entry in enumerate(entries):
        at = f"directory.shortlists[{n}]"
        if not isinstance(entry, dict):
            problems.append(Problem("", at, _show(entry), "must be an object"))
            continue
        found: list[Problem] = []
        svc = entry.get("service")
        rid = str(svc.get("id", "")) if isinstance(svc, dict) else ""
        service = None
        if not isinstance(svc, dict):
            found.append(Problem("", f"{at}.service", _show(svc), 'must be {"id": ...}'))
        else:
            sid = _text(svc, "id", f"{at}.service", rid, 64, found)
            owner = _text(svc, "owner", f"{at}.service", rid, 20, found)
            if not sid.strip():
                found.append(Problem(rid, f"{at}.service.id", MISSING, "is required"))
            service = ServiceRef(id=sid, owner=owner)
        if "user" not in entry:
            found.append(Problem(rid, f"{at}.user", MISSING, "is required"))
        user = _person(entry.get("user"), f"{at}.user", rid, found)
        added_at = _when(entry, "added_at", at, rid, found, required=True)
        if found or user is None or service is None or added_at is None:
            problems.extend(found)
            continue
        key = (user.username, user.ref, service.owner, service.id)
        if key in seen:
            problems.append(
                Problem(rid, at, _show(str(user)), f"is on this shortlist twice (see {seen[key]})")
            )
            continue
        seen[key] = at
        items.append(ShortlistItem(at=at, user=user, service=service, added_at=added_at))
    return items, problems


def _read_reports(section: dict) -> tuple[list[ReportItem], list[Problem]]:
    entries, problems = _list_of(section, "problem_reports")
    items: list[ReportItem] = []
    seen: dict[tuple, str] = {}
    for n, entry in enumerate(entries):
        at = f"directory.problem_reports[{n}]"
        if not isinstance(entry, dict):
            problems.append(Problem("", at, _show(entry), "must be an object"))
            continue
        found: list[Problem] = []
        rid = entry.get("service") if isinstance(entry.get("service"), str) else ""
        service_id = _text(entry, "service", at, rid, 64, found)
        if not found and not service_id.strip():
            found.append(Problem(rid, f"{at}.service", MISSING, "is required"))
        description = _text(entry, "description", at, rid, DESCRIPTION_LIMIT, found)
        if isinstance(entry.get("description"), str) and not description.strip():
            found.append(
                Problem(rid, f"{at}.description", _show(description), "must say what is wrong")
            )
        elif entry.get("description") is None:
            found.append(Problem(rid, f"{at}.description", MISSING, "is required"))
        reported_at = _when(entry, "reported_at", at, rid, found, required=True)
        reported_by = _person(entry.get("reported_by"), f"{at}.reported_by", rid, found)
        origin = entry.get("reported_from")
        reported_from = ""
        if origin is not None:
            if not isinstance(origin, dict):
                found.append(
                    Problem(rid, f"{at}.reported_from", _show(origin), 'must be {"ods_code": ...}')
                )
            else:
                reported_from = _text(origin, "ods_code", f"{at}.reported_from", rid, 20, found)
                _text(origin, "name", f"{at}.reported_from", rid, NAME_LIMIT, found)
        closed_at = _when(entry, "closed_at", at, rid, found, required=False)
        closed_by = _person(entry.get("closed_by"), f"{at}.closed_by", rid, found)
        resolution = _text(entry, "resolution", at, rid, RESOLUTION_LIMIT, found)
        if entry.get("closed_at") is None:
            for key, value in (("closed_by", entry.get("closed_by")), ("resolution", resolution)):
                if value:
                    found.append(
                        Problem(rid, f"{at}.{key}", _show(value), "is set but closed_at is not")
                    )
        elif closed_at and reported_at and closed_at < reported_at:
            found.append(
                Problem(rid, f"{at}.closed_at", _show(entry["closed_at"]), "is before reported_at")
            )
        if found or reported_at is None:
            problems.extend(found)
            continue
        item = ReportItem(
            at=at,
            service_id=service_id,
            description=description,
            reported_at=reported_at,
            reported_by=reported_by,
            reported_from=reported_from,
            closed_at=closed_at,
            closed_by=closed_by,
            resolution=resolution,
        )
        if item.key in seen:
            problems.append(
                Problem(rid, at, _show(description), f"is the same report as {seen[item.key]}")
            )
            continue
        seen[item.key] = at
        items.append(item)
    return items, problems


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
