"""The dashboard's "problems reported with your listings" section (core.dashboard, order 45):
open reports about services this organisation owns, for the people who can fix them."""

from __future__ import annotations

from gpequity.web.orgs import access

from . import selectors

SHOWN = 3


def open_problems(user, org) -> dict | None:
    if not access.can(user, org, access.EDIT):
        return None
    reports = list(selectors.open_problems(org).order_by("reported_at", "pk")[: SHOWN + 1])
    if not reports:
        return None
    return {
        "org": org,
        "reports": reports[:SHOWN],
        "count": selectors.open_problems(org).count(),
    }
