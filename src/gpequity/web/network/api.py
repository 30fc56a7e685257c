"""REST endpoints of the network area (mounted on /api/orgs/): a practice's sharing
settings, and a network's view of what its practices share."""

from __future__ import annotations

import datetime as dt
import math
import re

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import BaseModel

from gpequity.web.audit.middleware import mark_download
from gpequity.web.core.apiauth import ORG_AUTH
from gpequity.web.orgs import access
from gpequity.web.orgs.models import OrgKind

from . import selectors, services

_INDICATOR_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")  # as indicator definitions' ids

router = Router(tags=["network"], auth=ORG_AUTH)


class SharingOut(Schema):
    """What the practice shares with its PCN and its ICB. Notes, evidence files, Focus
    criteria details and exact HNA figures are never shared."""

    progress_to_pcn: bool
    progress_to_icb: bool
    engagement_to_pcn: bool
    engagement_to_icb: bool
    hna_to_pcn: bool
    hna_to_icb: bool
    version: int


class SharingIn(Schema):
    """Only the switches you send change; send the version you read as expected_version."""

    progress_to_pcn: bool | None = None
    progress_to_icb: bool | None = None
    engagement_to_pcn: bool | None = None
    engagement_to_icb: bool | None = None
    hna_to_pcn: bool | None = None
    hna_to_icb: bool | None = None
    expected_version: int | None = None


class MessageOut(Schema):
    detail: str


def _sharing_out(row) -> dict:
    return {**row.as_dict(), "version": row.version}


def _practice(user, ods_code: str, perm: str):
    org = access.get_org(user, ods_code, perm)
    if org.kind != OrgKind.PRACTICE:
        raise Http404("Only a practice has sharing settings")
    return org


@router.get(
    "/{ods_code}/sharing", response=SharingOut, summary="What a practice shares with its network"
)
def get_sharing(request, ods_code: str):
    org = _practice(request.user, ods_code, access.VIEW)
    return _sharing_out(selectors.sharing_for(org))


@router.put(
    "/{ods_code}/sharing",
    response={200: SharingOut, 403: MessageOut, 409: MessageOut, 422: MessageOut},
    summary="Change what a practice shares (its equity lead only; applies at once)",
)
def put_sharing(request, ods_code: str, payload: SharingIn):
    org = _practice(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.MANAGE):
        raise HttpError(403, "Only the practice's equity lead may change what it shares.")
    data = payload.dict(exclude_none=True)
    expected = data.pop("expected_version", None)
    try:
        row = services.sharing_update(
            actor=request.user, organisation=org, settings=data, expected_version=expected
        )
    except services.SharingConflict as exc:
        return Status(409, MessageOut(detail=str(exc)))
    except ValidationError as exc:
        return Status(422, MessageOut(detail=" ".join(exc.messages)))
    return Status(200, _sharing_out(row))


# --- A network's view of what its practices share ------------------------------------


# The network HNA answer has a row per practice, indicator and group (some 800 a practice):
# plain pydantic models, not ninja Schemas, whose per-field Django-aware lookup cost more
# than everything else of the request put together.


class PracticeOut(BaseModel):
    practice_code: str
    name: str
    pcn: str
    as_of: dt.date


class PracticeIndicatorRow(BaseModel):
    """A DATA.md ``practice_indicators`` row after disclosure control: counts from 1 to 7
    are null with ``suppressed`` true, other counts rounded to 5; a mean's numerator is
    always null."""

    practice_code: str
    indicator: str
    grouping: str
    group: str
    numerator: float | None
    denominator: int | None
    value: float | None
    lower: float | None
    upper: float | None
    compared_with_rest: str | None
    suppressed: bool


class NetworkHnaOut(BaseModel):
    practices: list[PracticeOut]
    rows: list[PracticeIndicatorRow]


def _net(request, ods_code: str):
    from . import selectors

    org = access.get_org(request.user, ods_code, access.VIEW)
    net = selectors.network_for(request.user, org)
    if net is None:
        raise Http404("Not a network")
    return net


def _clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


@router.get(
    "/{ods_code}/network/hna",
    response=NetworkHnaOut,
    summary="Latest shared HNA results of each practice below a PCN or ICB (disclosed)",
    description=(
        "Each sharing practice's latest results as DATA.md `practice_indicators` rows after "
        "disclosure control. `indicator` (an indicator id, e.g. `cervical_screening`) limits "
        "the rows to that indicator: an ICB's whole answer runs to tens of megabytes."
    ),
)
def network_hna(request, ods_code: str, indicator: str | None = None):
    mark_download(request, "network-hna.json")
    from . import presenters

    net = _net(request, ods_code)
    if indicator is not None and not _INDICATOR_ID.fullmatch(indicator):
        raise HttpError(400, f"indicator: '{indicator[:64]}' is not an indicator id")
    rows, practices = presenters.disclosed_practice_rows(net, indicator)
    for r in rows:
        for k in ("value", "lower", "upper"):
            r[k] = _clean(r[k])
    return {"practices": practices, "rows": rows}


class ThemeOut(Schema):
    theme: str
    done: int
    total: int


class PlanItemOut(Schema):
    title: str
    status: str
    start_date: dt.date | None
    due_date: dt.date | None
    measure: str
    baseline: float | None
    target: float | None
    unit: str


class EngagementOut(Schema):
    """Engagement activities started in the last 12 months by band, through disclosure
    control as a table across the practices (as on the board report): each count rounded to
    the nearest 5, or null when suppressed (from 1 to 7, or one that could be worked out
    from the others). ``suppressed`` names the counts withheld, so a null is never mistaken
    for none."""

    done_to: int | None
    done_for: int | None
    done_with: int | None
    suppressed: list[str]


class PracticeProgressOut(Schema):
    """One practice below the network. ``progress_shared`` false means the practice does
    not share its progress with you: every progress field is then null."""

    practice_code: str
    name: str
    pcn: str
    progress_shared: bool
    engagement_shared: bool
    tier_reached: str | None = None
    working_towards: str | None = None
    actions_done: int | None = None
    actions_total: int | None = None
    themes: list[ThemeOut] | None = None
    plan_items: list[PlanItemOut] | None = None
    case_studies_published: int | None = None
    engagement_last_12_months: EngagementOut | None = None


@router.get(
    "/{ods_code}/network/progress",
    response=list[PracticeProgressOut],
    summary="Shared progress and engagement of each practice below a PCN or ICB",
)
def network_progress(request, ods_code: str):
    mark_download(request, "network-progress.json")
    from . import presenters

    net = _net(request, ods_code)
    return presenters.progress_api(net)
