"""Shape a service for the pages, the patient print-out and the exports, in plain English."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gpequity.catalogue import vocab
from gpequity.oruk import from_oruk
from gpequity.oruk.records import ACCESS_ROUTES, DAY_NAMES, DAYS, STATUSES, ServiceRecord

from .models import Service

STALE = {
    "current": ("Checked recently", "green"),
    "due": ("Due a check", "yellow"),
    "stale": ("Out of date", "red"),
}
STATUS_TAG = {
    "active": "green",
    "inactive": "grey",
    "defunct": "red",
    "temporarily closed": "orange",
}


def _clock(text: str) -> str:
    """ "09:30:00" -> "9:30am", "17:00" -> "5pm"."""
    try:
        t = dt.time.fromisoformat(text[:5])
    except ValueError:
        return text
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    if t.hour == 12 and t.minute == 0:
        return "midday"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def _days(codes: list[str]) -> str:
    idx = sorted(DAYS.index(c) for c in codes if c in DAYS)
    if len(idx) >= 3 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{DAY_NAMES[DAYS[idx[0]]]} to {DAY_NAMES[DAYS[idx[-1]]]}"
    names = [DAY_NAMES[DAYS[i]] for i in idx]
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def opening_times(r: ServiceRecord) -> list[str]:
    out = []
    for s in r.schedules:
        parts = []
        if s.days:
            parts.append(_days(s.days))
        if s.opens_at and s.closes_at:
            parts.append(f"{_clock(s.opens_at)} to {_clock(s.closes_at)}")
        text = ", ".join(parts)
        if s.description:
            text = f"{text} ({s.description})" if text else s.description
        if text:
            out.append(text)
    return out


def ages(r: ServiceRecord) -> str:
    lo, hi = r.minimum_age, r.maximum_age
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}"
    if lo is not None:
        return f"{lo:g} and over"
    if hi is not None:
        return f"up to {hi:g}"
    return "Any age"


def cost(r: ServiceRecord) -> str:
    if r.is_free:
        return "Free"
    parts = []
    for c in r.cost_options:
        amount = f"£{c.amount:,.2f}".replace(".00", "") if c.amount is not None else ""
        text = " ".join(x for x in (c.option, amount, c.amount_description) if x)
        if text:
            parts.append(text)
    if r.fees:
        parts.append(r.fees)
    return "; ".join(parts) or "There may be a cost"


def languages(r: ServiceRecord) -> list[str]:
    return [lang.label for lang in r.languages if lang.label]


def contact_lines(r: ServiceRecord) -> dict[str, str]:
    phone = next((p.number for p in r.phones if p.number), "")
    if not phone:
        phone = next((p.number for c in r.contacts for p in c.phones if p.number), "")
    email = r.email or next((c.email for c in r.contacts if c.email), "")
    return {k: v for k, v in (("phone", phone), ("email", email), ("website", r.url)) if v}


def address(r: ServiceRecord) -> tuple[str, str]:
    for loc in r.locations:
        for a in loc.addresses:
            line = ", ".join(x for x in (loc.name, a.address_1, a.city) if x)
            return line, a.postal_code
        if loc.location_type == "virtual":
            return (loc.name or "Online or by phone"), ""
    return "", ""


def accessibility(r: ServiceRecord) -> list[str]:
    return [
        a.description or a.accessibility or a.details
        for loc in r.locations
        for a in loc.accessibility
        if a.description or a.accessibility or a.details
    ]


def card(
    service: Service, *, record: ServiceRecord | None = None, today: dt.date, stale: str
) -> dict[str, Any]:
    r = record or from_oruk(service.document)
    label, colour = STALE[stale]
    line, postcode = address(r)
    return {
        "service": service,
        "record": r,
        "status": STATUSES.get(r.status, r.status),
        "status_colour": STATUS_TAG.get(r.status, "grey"),
        "stale": stale,
        "stale_label": label,
        "stale_colour": colour,
        "routes": [ACCESS_ROUTES.get(x, x) for x in r.access_routes],
        "groups": [vocab.GROUPS.get(g, g) for g in r.groups],
        "languages": languages(r),
        "times": opening_times(r),
        "ages": ages(r),
        "cost": cost(r),
        "contact": contact_lines(r),
        "address": line,
        "postcode": postcode,
        "accessibility": accessibility(r),
        "terms": [t.name for t in r.terms],
        "owner": service.owner,
    }


def plain_summary(c: dict[str, Any], org_name: str, on: dt.date) -> str:
    """The patient print-out as plain text, for sending by email or text message."""
    r = c["record"]
    lines = [r.name, "", r.description, ""]
    if r.application_process:
        lines += [r.application_process, ""]
    for key, label in (("phone", "Phone"), ("email", "Email"), ("website", "Website")):
        if c["contact"].get(key):
            lines.append(f"{label}: {c['contact'][key]}")
    if c["address"] or c["postcode"]:
        lines.append(f"Where: {' '.join(x for x in (c['address'], c['postcode']) if x)}")
    if c["times"]:
        lines.append(f"When: {'; '.join(c['times'])}")
    lines += [f"Cost: {c['cost']}", f"Age: {c['ages']}"]
    if c["languages"]:
        lines.append(f"Languages: {', '.join(c['languages'])}")
    if r.wait_time:
        lines.append(f"Usual wait: {r.wait_time}")
    checked = c["service"].checked_on
    when = f"on {checked:%-d %B %Y}" if checked else "a while ago"
    lines += [
        "",
        f"From {org_name} on {on:%-d %B %Y}. Details were last checked {when}; "
        "please call before you go.",
    ]
    return "\n".join(lines).replace("\n\n\n", "\n\n")


def mailto(c: dict[str, Any], org_name: str, on: dt.date) -> str:
    """A mailto: address that opens the user's email program with the summary filled in
    (the patient's address is typed there: it never reaches gpequity)."""
    from urllib.parse import quote

    subject = quote(f"{c['record'].name}: details from {org_name}")
    return f"mailto:?subject={subject}&body={quote(plain_summary(c, org_name, on))}"
