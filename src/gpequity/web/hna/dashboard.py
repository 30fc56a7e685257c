"""The practice dashboard's "latest findings" section (core.dashboard, order 20).

Exact HNA figures are for the practice's own members (and staff) only, so the section is
built only for a user with a direct membership; oversight roles see nothing of it.
"""

from __future__ import annotations

from gpequity.web.orgs import access

from . import presenters, selectors

SHOWN = 3


def latest_findings(user, org) -> dict | None:
    if org.kind != "practice" or not access.can_direct(user, org, access.VIEW):
        return None
    run = selectors.latest_done(org, light=True)
    if run is None:
        return None
    findings = presenters.run_findings(run)  # kept per run: a finished run never changes
    return {"org": org, "run": run, "findings": findings[:SHOWN], "count": len(findings)}
