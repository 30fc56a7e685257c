"""Who shares what with a network, for the board report: a thin adapter over the network
access layer's ``shared_practices`` (ADR 26), so the report asks in one place (ADR 27)."""

from __future__ import annotations

from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation


def shares(user, network: Organisation) -> list:
    from .board import Share

    shared = {
        what: set(access.shared_practices(user, network, what).values_list("pk", flat=True))
        for what in access.SHARED_THINGS
    }
    return [
        Share(
            org=p,
            progress=p.pk in shared[access.PROGRESS],
            engagement=p.pk in shared[access.ENGAGEMENT],
            hna=p.pk in shared[access.HNA],
        )
        for p in access.practices_below(network)
        .select_related("parent")
        .order_by("parent__name", "parent__ods_code", "name")
    ]
