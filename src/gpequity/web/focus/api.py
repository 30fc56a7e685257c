"""REST endpoints of the focus area (mounted on /api/orgs/ by gpequity.web.api)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema

from gpequity.web.core.apiauth import ORG_AUTH
from gpequity.web.orgs import access

from . import presenters, selectors

router = Router(tags=["focus"], auth=ORG_AUTH)


class FocusVersionOut(Schema):
    version: int
    criteria: dict[str, Any]
    description: str
    rationale: str
    data_sources: str
    created_by: str
    created_at: dt.datetime


class FocusOut(Schema):
    current: FocusVersionOut | None
    versions: list[FocusVersionOut]


def _out(v) -> dict[str, Any]:
    return {
        "version": v.version,
        "criteria": v.criteria,
        "description": v.description_text,
        "rationale": v.rationale,
        "data_sources": v.data_sources,
        "created_by": presenters.version_row(v)["who"],
        "created_at": v.created_at,
    }


@router.get(
    "/{ods_code}/focus",
    response=FocusOut,
    summary="The Focus Patient group: current criteria, plain English and every version",
)
def get_focus(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    versions = [_out(v) for v in selectors.focus_versions(org).order_by("-version")]
    return {"current": versions[0] if versions else None, "versions": versions}
