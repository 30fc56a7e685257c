"""What an import changes, when a service is open, and the API's page envelope."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from .records import ServiceRecord, from_oruk, to_oruk
from .validate import Problem, feed_problems


@dataclass
class Change:
    id: str
    name: str
    fields: list[str]  # top-level ORUK keys that differ ("" for a new record)


@dataclass
class PartCounts:
    """What an import changes in something that travels with the services (shortlists,
    problem reports of an organisation export)."""

    label: str
    added: int = 0
    changed: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return f"{self.label}: {self.added} new, {self.changed} changed, {self.unchanged} unchanged"


@dataclass
class ImportPlan:
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    records: dict[str, ServiceRecord] = field(default_factory=dict)  # id -> incoming record
    parts: list[PartCounts] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or any(p.added or p.changed for p in self.parts))

    def summary(self) -> str:
        text = (
            f"{len(self.added)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"
        )
        shown = [p.summary() for p in self.parts if p.added or p.changed or p.unchanged]
        return "; ".join([text, *shown])


def normalise(doc: dict[str, Any]) -> dict[str, Any]:
    """A service document as we would store it (mapping round trip, empty values dropped)."""
    return to_oruk(from_oruk(doc))


def plan_import(existing: dict[str, dict[str, Any]], incoming: list[Any]) -> ImportPlan:
    """Compare a feed with what is stored (id -> stored ORUK document). Nothing is written:
    the caller applies ``added`` and ``changed`` when ``ok``."""
    plan = ImportPlan(problems=feed_problems(incoming))
    if plan.problems:
        return plan
    for doc in incoming:
        new = normalise(doc)
        record = from_oruk(new)
        plan.records[record.id] = record
        old = existing.get(record.id)
        if old is None:
            plan.added.append(Change(record.id, record.name, []))
            continue
        old = normalise(old)
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if diff:
            plan.changed.append(Change(record.id, record.name, diff))
        else:
            plan.unchanged.append(record.id)
    return plan


def _time(text: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(text[:8] if len(text) >= 8 else text[:5])
    except ValueError:
        return None


def open_now(record: ServiceRecord, now: dt.datetime) -> bool:
    """Whether a weekly schedule of the service covers ``now`` (local time)."""
    day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[now.weekday()]
    today = now.date().isoformat()
    for s in record.schedules:
        if s.freq and s.freq != "WEEKLY":
            continue
        if s.valid_from and today < s.valid_from[:10]:
            continue
        if s.valid_to and today > s.valid_to[:10]:
            continue
        if day not in s.days:
            continue
        opens, closes = _time(s.opens_at or ""), _time(s.closes_at or "")
        if opens is None or closes is None:
            continue
        if opens <= now.time() < closes or (closes == dt.time(0) and now.time() >= opens):
            return True
    return False


def page_envelope(items: list[Any], *, total: int, page: int, per_page: int) -> dict[str, Any]:
    """The standard's page envelope around one page of items."""
    pages = max(1, math.ceil(total / per_page)) if per_page else 1
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not items,
        "contents": items,
    }
