"""The one navigation registry: the site's header links and each organisation's own menu.

Every area adds its landing page here (label, URL name, permission needed, kinds of
organisation it belongs to). An entry whose URL name does not resolve (its area is not
installed yet) is skipped, so areas can land in any order. The context processor
``navigation`` turns the registry into the header menu, the organisation's sub-navigation,
default breadcrumbs and the organisation-aware page title.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

PRACTICE, PCN, ICB = "practice", "pcn", "icb"
ALL_KINDS = (PRACTICE, PCN, ICB)
NETWORKS = (PCN, ICB)


@dataclass(frozen=True)
class OrgNavItem:
    """One link of an organisation's own navigation (URL takes the ODS code)."""

    label: str
    url_name: str
    perm: str = "view"
    kinds: tuple[str, ...] = (PRACTICE,)


@dataclass(frozen=True)
class SiteNavItem:
    """One link of the header menu (URL takes no arguments)."""

    label: str
    url_name: str
    signed_in: bool = False
    staff: bool = False


ORG_NAV: list[OrgNavItem] = [
    OrgNavItem("Dashboard", "orgs:dashboard", kinds=ALL_KINDS),
    OrgNavItem("Network", "network:dashboard", kinds=NETWORKS),
    OrgNavItem("Self-assessment", "assessment:overview"),
    OrgNavItem("Focus group", "focus:detail"),
    OrgNavItem("HNA", "hna:list", kinds=ALL_KINDS),  # PCN, ICB: system extracts
    OrgNavItem("Plan", "plans:list"),
    OrgNavItem("Engagement", "engagement:dashboard", kinds=(PRACTICE, PCN)),
    OrgNavItem("Directory", "directory:search", kinds=(PRACTICE, PCN)),
    OrgNavItem("Feedback", "feedback:inbox"),
    OrgNavItem("Reports", "reports:index"),
    OrgNavItem("Members", "orgs:members", kinds=ALL_KINDS),
]

SITE_NAV: list[SiteNavItem] = [
    SiteNavItem("My organisations", "orgs:list", signed_in=True),
    SiteNavItem("Toolkit", "catalogue:index"),
    SiteNavItem("Case studies", "casestudies:library"),
    SiteNavItem("Help", "help:index"),
    SiteNavItem("Site staff", "staff:index", signed_in=True, staff=True),
]


def register(item: OrgNavItem | SiteNavItem, *, before: str | None = None) -> None:
    """Add an area's link (before the entry with URL name ``before``, or at the end)."""
    target = ORG_NAV if isinstance(item, OrgNavItem) else SITE_NAV
    if any(i.url_name == item.url_name for i in target):
        return
    names = [i.url_name for i in target]
    target.insert(names.index(before) if before in names else len(target), item)


def cached_reverse(
    name: str, args: tuple = (), kwargs: dict | None = None, current_app: str | None = None
) -> str:
    """``reverse`` remembered by its inputs (and the URL configuration and script prefix in
    force): the same name and arguments always give the same URL, and pages reverse the
    same menu, action and row links many times over (the self-assessment page 140 times a
    view, a plan item once per measurement: a sixth of their time in issue 22's load
    profile). Arguments that cannot be hashed are reversed as usual."""
    items = tuple(sorted(kwargs.items())) if kwargs else ()
    try:
        return _reverse(get_urlconf(), get_script_prefix(), name, tuple(args), items, current_app)
    except TypeError:  # an unhashable argument
        return reverse(name, args=args, kwargs=kwargs, current_app=current_app)


@lru_cache(maxsize=8192)
def _reverse(urlconf, prefix: str, name: str, args: tuple, kwargs: tuple, app) -> str:
    return reverse(name, args=args, kwargs=dict(kwargs), urlconf=urlconf, current_app=app)


def _url(name: str, args: tuple = ()) -> str | None:
    try:
        return cached_reverse(name, args)
    except NoReverseMatch:
        return None


def _current(links: list[dict], path: str) -> None:
    """Mark the link whose URL is the longest prefix of the current path."""
    best = max(
        (link for link in links if path.startswith(link["url"])),
        key=lambda link: len(link["url"]),
        default=None,
    )
    for link in links:
        link["current"] = link is best


def site_links(user, path: str) -> list[dict]:
    signed_in = user is not None and user.is_authenticated
    links = []
    for item in SITE_NAV:
        if (item.signed_in and not signed_in) or (item.staff and not (signed_in and user.is_staff)):
            continue
        url = _url(item.url_name)
        if url:
            links.append({"label": item.label, "url": url})
    _current(links, path)
    return links


def org_links(user, org, path: str) -> list[dict]:
    """The organisation's own menu as this user may use it."""
    from gpequity.web.orgs import access

    have = access.level(user, org)
    links = []
    for item in ORG_NAV:
        if org.kind not in item.kinds or have < access.LEVELS[item.perm]:
            continue
        url = _url(item.url_name, (org.ods_code,))
        if url:
            links.append({"label": item.label, "url": url})
    _current(links, path)
    return links
