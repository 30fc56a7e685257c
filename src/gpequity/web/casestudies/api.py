"""REST endpoints of the case-study area.

``router`` (mounted on /api/case-studies): the published library, open to everyone, and the
reviewers' queue and decisions. ``org_router`` (mounted on /api/orgs/): an organisation's own
case studies, with the same role checks as the pages.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import django_auth

from gpequity.casestudies import workflow
from gpequity.web.orgs import access

from . import presenters, selectors, services

router = Router(tags=["case studies"])
org_router = Router(tags=["case studies"], auth=django_auth)


class CaseStudyOut(Schema):
    id: int
    title: str
    organisation: str
    ods_code: str
    other_organisations: str
    region: str
    icb: str
    setting: str
    action_codes: list[str]
    action_keys: list[str]
    themes: list[str]
    groups: list[str]
    core20plus5: list[str]
    problem: str
    what_was_done: str
    partners: str
    engagement_level: str
    community_involvement: str
    cost_amount: str | None
    cost_band: str
    funding: str
    staff_time: str
    duration: str
    measure: str
    unit: str
    baseline_value: str | None
    outcome_value: str | None
    baseline: str
    outcomes: str
    cycles: str
    evaluated: bool
    evaluation: str
    evaluated_by: str
    key_learning: str
    to_repeat: str
    contact_name: str
    contact_email: str
    sponsorship: str
    state: str
    published_on: dt.date | None
    review_due_on: dt.date | None
    url: str


class NoteOut(Schema):
    author: str
    action: str
    text: str
    created_at: dt.datetime


class OwnCaseStudyOut(CaseStudyOut):
    version: int
    checklist: dict[str, bool]
    notes: list[NoteOut]
    can_submit: bool


class LibraryFilters(Schema):
    q: str = ""
    action: str = ""
    theme: str = ""
    tier: str = ""
    group: str = ""
    region: str = ""
    cost_band: str = ""
    evaluated: str = ""


class MessageOut(Schema):
    detail: str


class ReviewIn(Schema):
    action: str
    note: str = ""
    checks: list[str] = []


def _own(case) -> dict:
    record = presenters.public_record(case)
    record.update(
        contact_name=case.contact_name,
        contact_email=case.contact_email,
        version=case.version,
        checklist=case.checklist or {},
        notes=[
            {
                "author": (n.author.get_full_name() or n.author.get_username()) if n.author else "",
                "action": n.action,
                "text": n.text,
                "created_at": n.created_at,
            }
            for n in selectors.notes(case)
        ],
        can_submit=case.state in workflow.EDITABLE_STATES
        and not services.submission_problems(case),
    )
    return record


@router.get("", response=list[CaseStudyOut], summary="Published case studies (open)", auth=None)
def list_case_studies(request, filters: Query[LibraryFilters]):
    found = selectors.search(selectors.Filters(**filters.dict()))
    return [presenters.public_record(c) for c in found]


def _reviewer(request) -> None:
    if not request.user.is_authenticated:
        raise HttpError(401, "Sign in first.")
    if not selectors.is_reviewer(request.user):
        raise Http404("Not found")


@router.get(
    "/review-queue",
    response=list[OwnCaseStudyOut],
    summary="Case studies waiting for a reviewer (reviewers only)",
    auth=django_auth,
)
def review_queue(request):
    _reviewer(request)
    return [_own(c) for c in selectors.queue()]


@router.get("/{case_id}", response=CaseStudyOut, summary="One published case study", auth=None)
def get_case_study(request, case_id: int):
    case = selectors.published_one(case_id)
    if case is None:
        raise Http404("No such case study")
    return presenters.public_record(case)


@router.post(
    "/{case_id}/review",
    response={200: OwnCaseStudyOut, 403: MessageOut, 422: MessageOut},
    summary="A reviewer's decision: start_review, request_changes, publish, reconfirm, archive",
    auth=django_auth,
)
def review_case_study(request, case_id: int, payload: ReviewIn):
    _reviewer(request)
    case = selectors.for_review(case_id)
    if case is None:
        raise Http404("No such case study")
    if payload.action not in {t.action for t in workflow.TRANSITIONS if t.who == "reviewer"}:
        return Status(422, MessageOut(detail=f"Unknown action: {payload.action}"))
    try:
        case = services.case_study_transition(
            actor=request.user,
            case_study=case,
            action=payload.action,
            note=payload.note,
            checks=dict.fromkeys(payload.checks, True),
        )
    except PermissionDenied as exc:
        return Status(403, MessageOut(detail=str(exc)))
    except ValidationError as exc:
        return Status(422, MessageOut(detail=" ".join(exc.messages)))
    return Status(200, _own(case))


@org_router.get(
    "/{ods_code}/case-studies",
    response=list[OwnCaseStudyOut],
    summary="The organisation's own case studies, in every state",
)
def list_org_case_studies(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return [_own(c) for c in selectors.of_organisation(org)]


@org_router.get(
    "/{ods_code}/case-studies/{case_id}",
    response=OwnCaseStudyOut,
    summary="One of the organisation's case studies, with the reviewers' notes",
)
def get_org_case_study(request, ods_code: str, case_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    case = selectors.own(org, case_id)
    if case is None:
        raise Http404("No such case study")
    return _own(case)


@org_router.post(
    "/{ods_code}/case-studies/{case_id}/submit",
    response={200: OwnCaseStudyOut, 403: MessageOut, 422: MessageOut},
    summary="Send a case study for review (the organisation's consent to publish)",
)
def submit_case_study(request, ods_code: str, case_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    case = selectors.own(org, case_id)
    if case is None:
        raise Http404("No such case study")
    try:
        case = services.case_study_transition(actor=request.user, case_study=case, action="submit")
    except PermissionDenied as exc:
        return Status(403, MessageOut(detail=str(exc)))
    except ValidationError as exc:
        return Status(422, MessageOut(detail=" ".join(exc.messages)))
    return Status(200, _own(case))
