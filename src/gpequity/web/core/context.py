"""Template context shared by every page: the header menu and, on an organisation's pages,
its own navigation, default breadcrumbs and its name for the page title (core/nav.py)."""

from __future__ import annotations

from django.urls import reverse

from . import nav


def _organisation(request):
    match = getattr(request, "resolver_match", None)
    code = match.kwargs.get("ods_code") if match else None
    user = getattr(request, "user", None)
    if not code or user is None or not user.is_authenticated:
        return None
    from gpequity.web.orgs import access
    from gpequity.web.orgs.models import Organisation

    org = Organisation.objects.filter(ods_code=code).first()
    return org if org is not None and access.can(user, org, access.VIEW) else None


def navigation(request):
    user = getattr(request, "user", None)
    path = request.path
    ctx = {"nav_items": nav.site_links(user, path)}
    org = _organisation(request)
    if org is None:
        return ctx
    links = nav.org_links(user, org, path)
    ctx["org_nav"] = links
    ctx["nav_org"] = org
    # Default breadcrumbs (a view's own breadcrumbs win): organisation, then its section.
    crumbs = [("My organisations", reverse("orgs:list"))]
    dashboard = reverse("orgs:dashboard", args=[org.ods_code])
    if path != dashboard:
        crumbs.append((org.name, dashboard))
        section = next((link for link in links if link["current"]), None)
        if section and section["url"] not in (dashboard, path):
            crumbs.append((section["label"], section["url"]))
    ctx["breadcrumbs"] = crumbs
    return ctx
