"""Between the service form and an ORUK record. The form edits the first location, phone
and so on; whatever else the record holds (more locations, funding, a feed's extra fields)
is kept as it was."""

from __future__ import annotations

import uuid

from gpequity.oruk.records import (
    DAYS,
    Accessibility,
    Address,
    Attribute,
    CostOption,
    Language,
    Location,
    Organisation,
    Phone,
    Schedule,
    ServiceAtLocation,
    ServiceRecord,
    language_name,
)

from .forms import _hhmm
from .models import TaxonomyTerm


def _new_id() -> str:
    return str(uuid.uuid4())


def form_initial(r: ServiceRecord, *, public: bool, version: int) -> dict:
    loc = next((s.location for s in r.service_at_locations if s.location), None)
    addr = loc.addresses[0] if loc and loc.addresses else None
    acc = loc.accessibility[0] if loc and loc.accessibility else None
    initial = {
        "name": r.name,
        "provider": r.organisation_name,
        "description": r.description,
        "status": r.status or "active",
        "routes": r.access_routes,
        "application_process": r.application_process,
        "referral_form_url": r.referral_form_url,
        "minimum_age": r.minimum_age,
        "maximum_age": r.maximum_age,
        "eligibility": r.eligibility_description,
        "groups": r.groups,
        "free": "yes" if r.is_free else "no",
        "fees": r.fees,
        "languages": ", ".join(lang.code for lang in r.languages if lang.code),
        "wait_time": r.wait_time,
        "phone": next((p.number for p in r.phones), ""),
        "email": r.email,
        "url": r.url,
        "location_name": loc.name if loc else "",
        "address_1": addr.address_1 if addr else "",
        "city": addr.city if addr else "",
        "postcode": addr.postal_code if addr else "",
        "online": any(
            s.location and s.location.location_type == "virtual" for s in r.service_at_locations
        ),
        "accessibility": (acc.description or acc.accessibility) if acc else "",
        "terms": [t.id for t in r.terms],
        "toolkit_actions": ", ".join(r.toolkit_actions),
        "alert": r.alert,
        "public": public,
        "version": version,
    }
    for s in r.schedules:
        for day in s.days:
            if day in DAYS and s.opens_at and s.closes_at:
                initial[f"opens_{day}"] = s.opens_at[:5]
                initial[f"closes_{day}"] = s.closes_at[:5]
    return initial


def apply_form(r: ServiceRecord, data: dict) -> ServiceRecord:
    """Write the form's answers into the record (in place) and return it."""
    r.name = data["name"].strip()
    if r.organization is None or r.organization.name != data["provider"].strip():
        r.organization = Organisation(
            name=data["provider"].strip(),
            description=data["provider"].strip(),
        )
        r.organization_id = ""
    r.description = data["description"].strip()
    r.status = data["status"]
    r.access_routes = list(data["routes"])
    r.application_process = data["application_process"].strip()
    r.referral_form_url = data["referral_form_url"]
    r.minimum_age = data["minimum_age"]
    r.maximum_age = data["maximum_age"]
    r.eligibility_description = data["eligibility"].strip()
    r.groups = list(data["groups"])
    if data["free"] == "yes":
        r.fees = ""
        r.cost_options = [
            CostOption(
                id=(r.cost_options[0].id if r.cost_options else _new_id()), option="Free", amount=0
            )
        ]
    else:
        r.fees = data["fees"].strip() or "There is a cost"
        r.cost_options = [c for c in r.cost_options if c.amount not in (0, None)]
    old_langs = {lang.code: lang for lang in r.languages}
    r.languages = [
        old_langs.get(code) or Language(id=_new_id(), code=code, name=language_name(code))
        for code in data["languages"]
    ]
    r.wait_time = data["wait_time"].strip()
    phone = data["phone"].strip()
    if phone:
        first = r.phones[0] if r.phones else Phone(id=_new_id())
        first.number = phone
        r.phones = [first, *r.phones[1:]]
    else:
        r.phones = r.phones[1:]
    r.email = data["email"]
    r.url = data["url"]
    _apply_location(r, data)
    _apply_hours(r, data)
    chosen = set(data["terms"])
    kept = [a for a in r.attributes if not a.taxonomy_term or a.taxonomy_term.id in chosen]
    have = {a.taxonomy_term.id for a in kept if a.taxonomy_term}
    for term in TaxonomyTerm.objects.filter(oruk_id__in=chosen - have):
        kept.append(
            Attribute(
                id=_new_id(),
                link_type="service",
                taxonomy_term=_term(term),
            )
        )
    r.attributes = kept
    r.toolkit_actions = list(data["toolkit_actions"])
    r.alert = data["alert"].strip()
    return r


def _term(t: TaxonomyTerm):
    from gpequity.oruk.records import TaxonomyTerm as Term

    return Term(
        id=t.oruk_id,
        name=t.name,
        description=t.description or t.name,
        taxonomy=t.taxonomy,
        taxonomy_id=t.taxonomy_id,
    )


def _apply_location(r: ServiceRecord, data: dict) -> None:
    physical = [
        s for s in r.service_at_locations if s.location and s.location.location_type != "virtual"
    ]
    virtual = [
        s for s in r.service_at_locations if s.location and s.location.location_type == "virtual"
    ]
    others = [s for s in r.service_at_locations if s.location is None]
    has_place = any(data[k].strip() for k in ("location_name", "address_1", "postcode"))
    if has_place:
        sal = (
            physical[0]
            if physical
            else ServiceAtLocation(
                id=_new_id(), location=Location(id=_new_id(), location_type="physical")
            )
        )
        loc = sal.location
        loc.name = data["location_name"].strip()
        if data["address_1"].strip() or data["postcode"].strip():
            addr = (
                loc.addresses[0]
                if loc.addresses
                else Address(
                    id=_new_id(), address_type="physical", country="GB", state_province="England"
                )
            )
            addr.address_1 = data["address_1"].strip() or loc.name or "-"
            addr.city = data["city"].strip() or "-"
            addr.postal_code = data["postcode"].strip().upper()
            addr.state_province = addr.state_province or "England"
            addr.country = addr.country or "GB"
            loc.addresses = [addr, *loc.addresses[1:]]
        else:
            loc.addresses = []
        text = data["accessibility"].strip()
        if text:
            acc = loc.accessibility[0] if loc.accessibility else Accessibility(id=_new_id())
            acc.description = text
            acc.accessibility = ""
            loc.accessibility = [acc, *loc.accessibility[1:]]
        else:
            loc.accessibility = loc.accessibility[1:]
        physical = [sal, *physical[1:]]
    else:
        physical = physical[1:]
    if data["online"]:
        if not virtual:
            virtual = [
                ServiceAtLocation(
                    id=_new_id(),
                    location=Location(
                        id=_new_id(), location_type="virtual", name="Online or by phone"
                    ),
                )
            ]
    else:
        virtual = []
    r.service_at_locations = physical + virtual + others


def _apply_hours(r: ServiceRecord, data: dict) -> None:
    blocks: dict[tuple[str, str], list[str]] = {}
    for code in DAYS:
        opens, closes = data.get(f"opens_{code}", "").strip(), data.get(f"closes_{code}", "")
        if opens and closes.strip():
            blocks.setdefault((_hhmm(opens), _hhmm(closes.strip())), []).append(code)
    weekly = {
        (s.opens_at[:5], s.closes_at[:5]): s
        for s in r.schedules
        if s.freq in ("", "WEEKLY") and s.byday and s.opens_at and s.closes_at
    }
    others = [s for s in r.schedules if s not in weekly.values()]
    new = []
    for (opens, closes), days in blocks.items():
        s = weekly.get((opens, closes)) or Schedule(id=_new_id(), freq="WEEKLY", interval=1)
        s.byday = ",".join(days)
        s.opens_at, s.closes_at = f"{opens}:00", f"{closes}:00"
        new.append(s)
    r.schedules = new + others
