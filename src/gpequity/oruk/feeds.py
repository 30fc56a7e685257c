"""Reading Open Referral UK feeds into a list of service documents.

A source is one of: a JSON file holding a service, a page of services (``{"contents":
[...]}``) or a list of them; a folder or a ``.zip`` of the standard's CSV data package
(``services.csv``, ``organizations.csv``, ``locations.csv``...); or the base address of a
live ORUK API (``http://`` or ``https://``), read as the standard says: the paged
``/services`` list, then each ``/services/{id}`` in full.

Nothing is validated here (see ``validate``); a source that cannot be read at all raises
``FeedError`` with a message that names the file, line or address.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_BYTES = 20 * 1024 * 1024  # a response, a JSON file, or a zip's unpacked content
MAX_SERVICES = 20_000
TIMEOUT = 10.0
PER_PAGE = 100
NUMBERS = {"minimum_age", "maximum_age", "amount", "latitude", "longitude", "interval"}


class FeedError(Exception):
    """The source could not be read (not a problem with a record: see validate)."""


@dataclass
class Feed:
    services: list[dict[str, Any]]
    origin: str
    kind: str  # "json", "csv", "api"
    notes: list[str] = field(default_factory=list)


def read_source(
    source: str | Path,
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    opener: Callable | None = None,
) -> Feed:
    text = str(source)
    if text.startswith(("http://", "https://")):
        return read_api(text, timeout=timeout, max_bytes=max_bytes, opener=opener)
    path = Path(source)
    if not path.exists():
        raise FeedError(f"{path}: no such file or folder")
    if path.is_dir():
        return Feed(read_csv_package(_folder_tables(path)), str(path), "csv")
    if zipfile.is_zipfile(path):
        return Feed(read_csv_package(_zip_tables(path, max_bytes)), str(path), "csv")
    if path.stat().st_size > max_bytes:
        raise FeedError(f"{path}: larger than {max_bytes // (1024 * 1024)} MB")
    return Feed(services_from_json(path.read_bytes(), str(path)), str(path), "json")


def _parse_json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FeedError(f"{where}: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc


def services_from_json(data: bytes | str | Any, where: str = "JSON") -> list[dict[str, Any]]:
    """The services in a JSON document: one service, a page, or a list."""
    doc = (
        _parse_json(data.encode() if isinstance(data, str) else data, where)
        if isinstance(data, bytes | str)
        else data
    )
    if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
        items = doc["contents"]
    elif isinstance(doc, dict):
        items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        raise FeedError(f"{where}: expected a service, a page of services or a list")
    if len(items) > MAX_SERVICES:
        raise FeedError(f"{where}: more than {MAX_SERVICES} services")
    return items


# --- CSV data package -------------------------------------------------------------------

# The standard's file name first (datapackage.json), then names seen in the wild.
TABLES = {
    "services": ("services.csv", "service.csv"),
    "organizations": ("organizations.csv", "organization.csv"),
    "organization_identifiers": ("organization_identifiers.csv",),
    "service_at_location": ("service_at_location.csv", "service_at_locations.csv"),
    "locations": ("locations.csv", "location.csv"),
    "addresses": ("address.csv", "addresses.csv"),
    "accessibility": ("accessibility.csv", "accessibility_for_disabilities.csv"),
    "schedules": ("schedule.csv", "schedules.csv"),
    "phones": ("phones.csv", "phone.csv"),
    "contacts": ("contacts.csv", "contact.csv"),
    "languages": ("languages.csv", "language.csv"),
    "cost_options": ("cost_options.csv", "cost_option.csv"),
    "funding": ("funding.csv",),
    "service_areas": ("service_areas.csv", "service_area.csv"),
    "attributes": ("attribute.csv", "attributes.csv"),
    "taxonomy_terms": ("taxonomy_terms.csv", "taxonomy_term.csv"),
}
LINKS = {"service_id", "location_id", "organization_id", "link_id", "contact_id", "phone_id"}


def _folder_tables(folder: Path) -> dict[str, tuple[str, str]]:
    found = {p.name.lower(): p for p in folder.rglob("*.csv")}
    out = {}
    for table, names in TABLES.items():
        for name in names:
            if name in found:
                out[table] = (str(found[name]), found[name].read_text(encoding="utf-8-sig"))
                break
    return out


def _zip_tables(path: Path, max_bytes: int) -> dict[str, tuple[str, str]]:
    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if i.filename.lower().endswith(".csv")]
        total = sum(i.file_size for i in zf.infolist())
        if total > max_bytes:
            raise FeedError(f"{path}: unpacks to more than {max_bytes // (1024 * 1024)} MB")
        by_name = {Path(i.filename).name.lower(): i for i in members}
        out = {}
        for table, names in TABLES.items():
            for name in names:
                if name in by_name:
                    info = by_name[name]
                    try:
                        text = zf.read(info).decode("utf-8-sig")
                    except UnicodeDecodeError as exc:
                        raise FeedError(f"{path}:{info.filename}: not UTF-8 text") from exc
                    out[table] = (f"{path}:{info.filename}", text)
                    break
    return out


def _rows(where: str, text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        if None in row:
            raise FeedError(f"{where}: line {reader.line_num} has more cells than the header")
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if key is None or value is None or value == "":
                continue
            clean[key.strip()] = _number(value) if key.strip() in NUMBERS else value
        rows.append(clean)
    return rows


def _number(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text  # the schema reports it, with its value
    return int(number) if number.is_integer() and "." not in text else number


def read_csv_package(tables: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Services nested as the API serves them, from the package's tables."""
    if "services" not in tables:
        raise FeedError("the CSV data package has no services.csv")
    t = {name: _rows(where, text) for name, (where, text) in tables.items()}

    def by(table: str, key: str) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for row in t.get(table, []):
            if key in row:
                out[row[key]].append(row)
        return out

    def strip(row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in LINKS}

    terms = {r["id"]: r for r in t.get("taxonomy_terms", []) if "id" in r}
    attributes = by("attributes", "link_id")

    def attrs(owner_id: str) -> list[dict]:
        out = []
        for a in attributes.get(owner_id, []):
            a = strip(a)
            term = terms.get(a.get("taxonomy_term_id", ""))
            if term is not None:
                a.pop("taxonomy_term_id")
                a["taxonomy_term"] = dict(term)
            out.append(a)
        return out

    orgs = {r["id"]: r for r in t.get("organizations", []) if "id" in r}
    identifiers = by("organization_identifiers", "organization_id")
    locations = {r["id"]: r for r in t.get("locations", []) if "id" in r}
    addresses, access = by("addresses", "location_id"), by("accessibility", "location_id")
    phones_by_contact = by("phones", "contact_id")
    nested = {
        name: by(name, "service_id")
        for name in ("schedules", "languages", "funding", "cost_options", "service_areas")
    }
    contacts, sals = by("contacts", "service_id"), by("service_at_location", "service_id")
    services = []
    for row in t["services"]:
        doc = dict(row)
        sid = row.get("id", "")
        if sid in ("", None):
            services.append(doc)
            continue
        org = orgs.get(row.get("organization_id", ""))
        if org is not None:
            o = strip(org)
            ids = [strip(i) for i in identifiers.get(org["id"], [])]
            if ids:
                o["organization_identifiers"] = ids
            doc["organization"] = o
        for name in ("schedules", "languages", "funding", "cost_options", "service_areas"):
            rows = [strip(r) for r in nested[name].get(sid, [])]
            if rows:
                doc[name] = rows
        cs = []
        for c in contacts.get(sid, []):
            c2 = strip(c)
            phones = [strip(p) for p in phones_by_contact.get(c.get("id", ""), [])]
            if phones:
                c2["phones"] = phones
            cs.append(c2)
        if cs:
            doc["contacts"] = cs
        sal_docs = []
        for s in sals.get(sid, []):
            s2 = strip(s)
            loc = locations.get(s.get("location_id", ""))
            if loc is not None:
                loc2 = dict(loc)
                adds = [strip(a) for a in addresses.get(loc["id"], [])]
                acc = [strip(a) for a in access.get(loc["id"], [])]
                if adds:
                    loc2["addresses"] = adds
                if acc:
                    loc2["accessibility"] = acc
                s2["location"] = loc2
            sal_docs.append(s2)
        if sal_docs:
            doc["service_at_locations"] = sal_docs
        a = attrs(sid)
        if a:
            doc["attributes"] = a
        services.append(doc)
    if len(services) > MAX_SERVICES:
        raise FeedError(f"more than {MAX_SERVICES} services")
    return services


# --- live API ---------------------------------------------------------------------------


def _get(url: str, *, timeout: float, max_bytes: int, opener: Callable | None) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with (opener or urllib.request.urlopen)(request, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FeedError(f"{url}: the server answered {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FeedError(f"{url}: could not be read ({reason})") from exc
    if len(data) > max_bytes:
        raise FeedError(f"{url}: the answer is larger than {max_bytes // (1024 * 1024)} MB")
    return _parse_json(data, url)


def read_api(
    base: str,
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    opener: Callable | None = None,
    per_page: int = PER_PAGE,
) -> Feed:
    """Every service of a live ORUK API: the paged list, then each service in full."""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"{base}: not an http(s) address")
    root = base.rstrip("/")
    kw = {"timeout": timeout, "max_bytes": max_bytes, "opener": opener}
    notes = []
    meta = _get(root + "/", **kw)
    version = meta.get("version") if isinstance(meta, dict) else None
    if version != "HSDS-UK-3.0":
        notes.append(f"{root}/ says version {version!r}, not 'HSDS-UK-3.0'")
    ids: list[str] = []
    page = 1
    while True:
        url = f"{root}/services?" + urllib.parse.urlencode({"page": page, "per_page": per_page})
        doc = _get(url, **kw)
        if not isinstance(doc, dict) or not isinstance(doc.get("contents"), list):
            raise FeedError(f"{url}: not a page of services (no 'contents' list)")
        for item in doc["contents"]:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise FeedError(f"{url}: a listed service has no id")
            ids.append(item["id"])
        if len(ids) > MAX_SERVICES:
            raise FeedError(f"{root}: more than {MAX_SERVICES} services")
        total_pages = doc.get("total_pages")
        if (
            not doc["contents"]
            or doc.get("last_page") is True
            or (isinstance(total_pages, int) and page >= total_pages)
        ):
            break
        page += 1
    services = []
    for sid in dict.fromkeys(ids):
        services.append(_get(f"{root}/services/{urllib.parse.quote(sid, safe='')}", **kw))
    return Feed(services, root, "api", notes)
