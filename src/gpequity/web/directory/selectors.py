"""Reads of the directory: whose services an organisation's directory shows, search and
filters, stale flags, open problem reports, shortlists and the public feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min, Q, QuerySet
from django.http import Http404

from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation, OrgKind

from .models import ProblemReport, Service, ShortlistEntry, TaxonomyTerm


def can_read(user, org: Organisation) -> bool:
    """Who may read an organisation's directory: whoever may view the organisation, and the
    teams of a PCN's practices (the PCN's directory is shared with them)."""
    if access.can(user, org, access.VIEW):
        return True
    if org.kind == OrgKind.PCN:
        return any(access.can(user, child, access.VIEW) for child in org.children.all())
    return False


def directory_org(user, ods_code: str) -> Organisation:
    """The organisation whose directory the user asks for, or 404."""
    org = Organisation.objects.filter(ods_code=ods_code).select_related("parent").first()
    if org is None or not can_read(user, org):
        raise Http404("No such organisation")
    return org


def owners_for(org: Organisation) -> list[Organisation]:
    """A practice sees its own services and its PCN's; a PCN its own and its practices'."""
    owners = [org]
    if org.kind == OrgKind.PRACTICE and org.parent and org.parent.kind == OrgKind.PCN:
        owners.append(org.parent)
    if org.kind == OrgKind.PCN:
        owners.extend(org.children.filter(kind=OrgKind.PRACTICE))
    return owners


def services_for(org: Organisation) -> QuerySet[Service]:
    return Service.objects.filter(owner__in=owners_for(org)).select_related("owner")


def service_in(org: Organisation, pk: int) -> Service:
    service = services_for(org).filter(pk=pk).first()
    if service is None:
        raise Http404("No such service in this directory")
    return service


def can_edit(user, service: Service) -> bool:
    return access.can(user, service.owner, access.EDIT)


def stale_months() -> tuple[int, int]:
    due, old = getattr(settings, "DIRECTORY_STALE_MONTHS", (6, 12))
    return int(due), int(old)


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    import calendar

    last = calendar.monthrange(y, m + 1)[1]
    return dt.date(y, m + 1, min(day.day, last))


def stale_level(service: Service, today: dt.date) -> str:
    """ "current", "due" (not checked for 6 months) or "stale" (12 months), by settings."""
    due, old = stale_months()
    checked = service.checked_on or service.created_at.date()
    if checked <= _months_before(today, old):
        return "stale"
    if checked <= _months_before(today, due):
        return "due"
    return "current"


def stale_filter(today: dt.date, level: str) -> Q:
    due, old = stale_months()
    limit = _months_before(today, old if level == "stale" else due)
    return Q(checked_on__lte=limit) | Q(checked_on__isnull=True, created_at__date__lte=limit)


@dataclass
class Search:
    q: str = ""
    need: str = ""
    group: str = ""
    language: str = ""
    free: bool = False
    route: str = ""
    postcode: str = ""
    open_now: bool = False
    include_closed: bool = False
    stale: str = ""  # "", "due", "stale"


def open_by_hours(key: str, now: dt.datetime) -> bool:
    """Whether a service's ``hours_key`` (see services.hours_key) covers ``now``."""
    day = DAY_CODES[now.weekday()]
    today, clock = now.date().isoformat(), now.strftime("%H:%M")
    for part in key.split(";"):
        if not part.startswith(day):
            continue
        _, opens, closes, start, end = part.split(" ")
        if start != "-" and today < start or end != "-" and today > end:
            continue
        if opens <= clock < closes or (closes == "00:00" and clock >= opens):
            return True
    return False


DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def search(org: Organisation, s: Search, *, now: dt.datetime) -> QuerySet[Service]:
    """Services of the organisation's directory matching every filter, by name. The filters
    run in the database; "open now" then reads the candidates' compact opening times."""
    qs = _filtered(org, s, now)
    if s.open_now:
        day = DAY_CODES[now.weekday()]
        rows = qs.filter(hours_key__contains=day).values_list("pk", "hours_key")
        qs = qs.filter(pk__in=[pk for pk, key in rows if open_by_hours(key, now)])
    return qs.order_by("name", "pk")


def search_ids(org: Organisation, s: Search, *, now: dt.datetime) -> list[int]:
    """The ids of ``search``, in order, from one query: the search page counts and pages
    them, then loads only one page of services (one scan of the table instead of three)."""
    qs = _filtered(org, s, now).order_by("name", "pk")
    if not s.open_now:
        return list(qs.values_list("pk", flat=True))
    day = DAY_CODES[now.weekday()]
    rows = qs.filter(hours_key__contains=day).values_list("pk", "hours_key")
    return [pk for pk, key in rows if open_by_hours(key, now)]


def _filtered(org: Organisation, s: Search, now: dt.datetime) -> QuerySet[Service]:
    from .services import postcode_keys

    qs = services_for(org)
    if not s.include_closed:
        qs = qs.exclude(status__in=("defunct", "inactive"))
    for word in s.q.lower().split()[:8]:
        qs = qs.filter(search_text__contains=word)
    if s.need:
        qs = qs.filter(terms_key__contains=f"|{s.need}|")
    if s.group:
        qs = qs.filter(groups_key__contains=f"|{s.group}|")
    if s.language:
        qs = qs.filter(languages_key__contains=f"|{s.language.lower()}|")
    if s.free:
        qs = qs.filter(is_free=True)
    if s.route:
        qs = qs.filter(routes_key__contains=f"|{s.route}|")
    if s.postcode:
        keys = postcode_keys(s.postcode)
        if keys:
            qs = qs.filter(postcodes_key__contains=f"|{keys[-1]}|")
    if s.stale:
        qs = qs.filter(stale_filter(now.date(), s.stale))
    return qs


def facets(org: Organisation) -> tuple[list[TaxonomyTerm], list[str]]:
    """The categories and language codes the directory uses (for the search filters), from
    one pass over the distinct keys."""
    terms: set[str] = set()
    langs: set[str] = set()
    keys = Service.objects.filter(owner__in=owners_for(org)).values_list(
        "terms_key", "languages_key"
    )
    for term_key, lang_key in keys.order_by().distinct():
        terms.update(k for k in term_key.split("|") if k)
        langs.update(k for k in lang_key.split("|") if k)
    return list(TaxonomyTerm.objects.filter(oruk_id__in=terms)), sorted(langs)


def open_problems(org: Organisation) -> QuerySet[ProblemReport]:
    """Open problem reports about services this organisation owns."""
    return ProblemReport.objects.filter(owner=org, closed_at__isnull=True).select_related(
        "service", "reported_by", "reported_from"
    )


def shortlist(user, org: Organisation) -> list[Service]:
    ids = ShortlistEntry.objects.filter(user=user, organisation=org).values_list(
        "service_id", flat=True
    )
    return list(services_for(org).filter(pk__in=list(ids)))


def shortlisted_ids(user, org: Organisation) -> set[int]:
    return set(
        ShortlistEntry.objects.filter(user=user, organisation=org).values_list(
            "service_id", flat=True
        )
    )


def public_services() -> QuerySet[Service]:
    """Services their owners publish, each ORUK id once (the first public copy)."""
    firsts = (
        Service.objects.filter(public=True).values("oruk_id").annotate(first=Min("pk"))
    ).values("first")
    return Service.objects.filter(pk__in=firsts).order_by("name", "pk")
