"""The practice dashboard's "waiting for a response" section (core.dashboard, order 40):
what people told the practice that is past its due date without an answer."""

from __future__ import annotations

from gpequity.web.orgs import access

from . import selectors

SHOWN = 3


def waiting_insights(user, org) -> dict | None:
    if not access.can(user, org, access.CONTRIBUTE):
        return None
    overdue = list(selectors.overdue_insights(org)[: SHOWN + 1])
    if not overdue:
        return None
    return {"org": org, "insights": overdue[:SHOWN], "more": len(overdue) > SHOWN}
