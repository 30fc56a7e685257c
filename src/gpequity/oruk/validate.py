"""Validation against the standard's compiled schemas, plus the checks the schemas leave out.

The schemas (``data/schema/compiled/*.json``, unchanged from Open Referral UK) are read with
``jsonschema``'s Draft 2020-12 validator and a format checker (email, uuid, uri, date-time).
They do not look inside a schedule's times and days, so ``service_problems`` also checks that
``byday`` holds day codes, that ``opens_at`` and ``closes_at`` are times and that a service
closes after it opens, that ages are in order and that dates are dates.
Every problem names the record's id, the field (a JSON path such as ``contacts[0].email``) and
the value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_NAMES = (
    "service",
    "service_list",
    "service_at_location",
    "service_at_location_list",
    "organization",
    "organization_list",
)
ENTITY_SCHEMAS = ("taxonomy", "taxonomy_term")
VERSION = "HSDS-UK-3.0"
MISSING = "(missing)"


@dataclass(frozen=True)
class Problem:
    record_id: str
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"service {self.record_id or '(no id)'}: {self.field} = {self.value}: {self.message}"


def _data():
    return resources.files("gpequity.oruk") / "data"


@cache
def schema(name: str) -> dict[str, Any]:
    """A compiled schema (``service``, ``service_list``...) or an entity schema
    (``taxonomy``, ``taxonomy_term``) as shipped."""
    folder = _data() / "schema"
    path = folder / "compiled" / f"{name}.json" if name in SCHEMA_NAMES else folder / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    folder = _data() / "schema"
    pairs = []
    for entry in folder.iterdir():
        if entry.name.endswith(".json") and entry.name != "openapi.json":
            contents = json.loads(entry.read_text(encoding="utf-8"))
            pairs.append((entry.name, Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(pairs)


@cache
def _validator(name: str) -> Draft202012Validator:
    # The entity schemas refer to each other by file name, hence the registry.
    return Draft202012Validator(schema(name), format_checker=FormatChecker(), registry=_registry())


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def schema_problems(doc: Any, name: str = "service") -> list[Problem]:
    """What the schema ``name`` says is wrong with ``doc`` (empty when it validates)."""
    record_id = str(doc.get("id", "")) if isinstance(doc, dict) else ""
    out = []
    for error in _validator(name).iter_errors(doc):
        where = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [k for k in error.validator_value if k not in error.instance]
            for key in missing:
                out.append(Problem(record_id, _path([*where, key]), MISSING, "is required"))
            continue
        message = error.message
        if error.validator == "format":
            message = f"is not a valid {error.validator_value}"
        elif error.validator == "enum":
            message = "must be one of " + ", ".join(map(str, error.validator_value))
        elif error.validator == "type":
            message = f"must be a {error.validator_value}"
        out.append(Problem(record_id, _path(where) or "(record)", _show(error.instance), message))
    return sorted(out, key=lambda p: p.field)


TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
DAY = re.compile(r"^(?:[+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
DATE_FIELDS = ("assured_date",)


def _date_ok(text: str) -> bool:
    try:
        dt.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def service_problems(doc: Any) -> list[Problem]:
    """Everything wrong with one service document: the compiled schema, then our checks."""
    problems = schema_problems(doc, "service")
    if not isinstance(doc, dict):
        return problems
    rid = str(doc.get("id", ""))
    if not doc.get("organization_id") and not (doc.get("organization") or {}).get("id"):
        problems.append(
            Problem(rid, "organization_id", MISSING, "is required (or an organization)")
        )
    lo, hi = doc.get("minimum_age"), doc.get("maximum_age")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
        problems.append(Problem(rid, "maximum_age", _show(hi), "is below the minimum age"))
    for key in DATE_FIELDS:
        if isinstance(doc.get(key), str) and not _date_ok(doc[key]):
            problems.append(Problem(rid, key, _show(doc[key]), "is not a date (YYYY-MM-DD)"))
    schedules = doc.get("schedules")
    for i, s in enumerate(schedules if isinstance(schedules, list) else []):
        if not isinstance(s, dict):
            continue
        problems.extend(_schedule_problems(rid, f"schedules[{i}]", s))
    for i, c in enumerate(doc.get("cost_options") or []):
        if isinstance(c, dict):
            for key in ("valid_from", "valid_to"):
                if isinstance(c.get(key), str) and c[key] and not _date_ok(c[key]):
                    problems.append(
                        Problem(rid, f"cost_options[{i}].{key}", _show(c[key]), "is not a date")
                    )
    return problems


def _schedule_problems(rid: str, where: str, s: dict) -> list[Problem]:
    out = []
    for key in ("opens_at", "closes_at"):
        value = s.get(key)
        if value is not None and not (isinstance(value, str) and TIME.match(value)):
            out.append(Problem(rid, f"{where}.{key}", _show(value), "is not a time (HH:MM)"))
    opens, closes = s.get("opens_at"), s.get("closes_at")
    if (
        isinstance(opens, str)
        and isinstance(closes, str)
        and TIME.match(opens)
        and TIME.match(closes)
        and closes[:8] <= opens[:8]
        and not closes.startswith("00:00")
    ):
        out.append(Problem(rid, f"{where}.closes_at", closes, f"is not after opens_at {opens}"))
    byday = s.get("byday")
    if isinstance(byday, str) and byday.strip():
        bad = [d for d in byday.split(",") if not DAY.match(d.strip().upper())]
        if bad:
            out.append(
                Problem(rid, f"{where}.byday", byday, "must list days as MO,TU,WE,TH,FR,SA,SU")
            )
    for key in ("valid_from", "valid_to", "dtstart"):
        if isinstance(s.get(key), str) and s[key] and not _date_ok(s[key]):
            out.append(Problem(rid, f"{where}.{key}", _show(s[key]), "is not a date"))
    return out


def feed_problems(docs: list[Any]) -> list[Problem]:
    """Every problem in a list of services, including ids used twice."""
    out: list[Problem] = []
    seen: set[str] = set()
    for doc in docs:
        out.extend(service_problems(doc))
        rid = doc.get("id") if isinstance(doc, dict) else None
        if isinstance(rid, str):
            if rid in seen:
                out.append(Problem(rid, "id", rid, "is used by two services in this feed"))
            seen.add(rid)
    return out
