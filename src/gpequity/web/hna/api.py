"""REST endpoints of the HNA area (mounted on /api/orgs/ by gpequity.web.api; ADR 17).

Results are exact practice figures: every endpoint needs a direct membership of the
practice (or staff); starting a run needs edit rights there.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from gpequity.web.audit.middleware import mark_download
from gpequity.web.core.apiauth import ORG_AUTH
from gpequity.web.orgs import access

from . import selectors, services, uploads

router = Router(tags=["health needs assessment"], auth=ORG_AUTH)


class RunCreated(Schema):
    id: str
    status: str
    url: str


class Problem(Schema):
    file: str
    line: int | None
    column: str | None
    value: str | None
    kind: str
    message: str


class RunOut(Schema):
    id: str
    status: str
    progress: float
    message: str
    as_of: dt.date
    created_at: dt.datetime
    finished_at: dt.datetime | None
    fingerprint: str
    focus_criteria: dict[str, Any] | None
    focus_version: int | None
    drop_bad_rows: bool
    gpequity_version: str
    url: str
    problems: list[Problem] | None = None
    problem_counts: list[dict[str, Any]] | None = None
    droppable_rows: dict[str, int] | None = None


class IndicatorRow(Schema):
    indicator: str
    grouping: str
    group: str
    numerator: int | float | None
    denominator: int | None
    value: float | None
    lower: float | None
    upper: float | None
    compared_with_rest: str
    suppressed: bool


class GradientRow(Schema):
    indicator: str
    grouping: str
    sii: float | None
    sii_lower: float | None
    sii_upper: float | None
    rii: float | None
    rii_lower: float | None
    rii_upper: float | None


def _url(run) -> str:
    return reverse("hna:run", args=[run.organisation.ods_code, run.pk])


def _out(run, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": str(run.pk),
        "status": run.status,
        "progress": 1.0 if run.status == "done" else run.progress,
        "message": run.message,
        "as_of": run.as_of,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "fingerprint": run.fingerprint,
        "focus_criteria": run.focus_criteria,
        "focus_version": run.focus_version,
        "drop_bad_rows": run.drop_bad_rows,
        "gpequity_version": run.gpequity_version,
        "url": _url(run),
    }
    if detail and run.status == "invalid" and run.validation:
        report = run.validation
        out["problems"] = [i for i in report.get("issues", []) if i.get("severity") == "error"]
        out["problem_counts"] = [g for g in report.get("groups", []) if g["severity"] == "error"]
        out["droppable_rows"] = run.droppable_rows
    return out


def _run(request, ods_code: str, run_id):
    org = access.get_practice_org(request.user, ods_code, access.VIEW)
    run = selectors.run_get(org, run_id)
    if run is None:
        raise Http404("No such run")
    return run


@router.post(
    "/{ods_code}/hna/runs",
    response={202: RunCreated},
    summary="Upload an extract and start a health needs assessment",
    description=(
        "Multipart form: `extract` (a zip, or patients.csv / .parquet), optional "
        "`appointments` (with a bare patients file), `as_of` (YYYY-MM-DD), optional `focus` "
        "(DATA.md criteria as JSON; the practice's saved Focus group when left out) and "
        "optional `drop_bad_rows`. Answers 202 at once; poll the run for its status."
    ),
)
def create_run(
    request,
    ods_code: str,
    as_of: Form[dt.date],
    extract: File[UploadedFile],
    appointments: File[UploadedFile | None] = None,
    focus: Form[str | None] = None,
    drop_bad_rows: Form[bool] = False,
):
    org = access.get_practice_org(request.user, ods_code, access.EDIT)
    if as_of > dt.date.today():
        raise HttpError(422, "as_of must be today or in the past")
    criteria = None
    if focus:
        try:
            criteria = json.loads(focus)
        except json.JSONDecodeError as exc:
            raise HttpError(422, f"focus is not valid JSON: {exc.msg}") from exc
        if not isinstance(criteria, dict):
            raise HttpError(422, 'focus must be one group: {"any": [...]} or {"all": [...]}')
    try:
        folder, stored = uploads.store_uploaded({"extract": extract, "appointments": appointments})
        run = services.run_start(
            actor=request.user,
            organisation=org,
            folder=folder,
            stored=stored,
            as_of=as_of,
            focus=criteria,
            drop_bad_rows=drop_bad_rows,
        )
    except uploads.UploadRefused as exc:
        raise HttpError(422, f"{exc}. Nothing was kept.") from exc
    except ValidationError as exc:
        raise HttpError(422, "; ".join(exc.messages)) from exc
    return Status(202, RunCreated(id=str(run.pk), status=run.status, url=_url(run)))


@router.get("/{ods_code}/hna/runs", response=list[RunOut], summary="The practice's HNA runs")
def list_runs(request, ods_code: str):
    org = access.get_practice_org(request.user, ods_code, access.VIEW)
    return [_out(r) for r in selectors.run_list(org)]


@router.get(
    "/{ods_code}/hna/runs/{run_id}",
    response=RunOut,
    summary="One run: status, progress 0 to 1, message, and the problems when invalid",
)
def get_run(request, ods_code: str, run_id: str):
    return _out(_run(request, ods_code, _uuid(run_id)), detail=True)


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Http404("No such run") from exc


def _done(request, ods_code: str, run_id: str):
    run = _run(request, ods_code, _uuid(run_id))
    if run.status != "done":
        raise HttpError(409, f"the run is {run.status}: it has no results")
    return run


@router.get(
    "/{ods_code}/hna/runs/{run_id}/indicators",
    response=list[IndicatorRow],
    summary="The run's DATA.md indicators table",
)
def run_indicators(request, ods_code: str, run_id: str):
    mark_download(request, "indicators.json")
    return selectors.indicator_rows(_done(request, ods_code, run_id))


@router.get(
    "/{ods_code}/hna/runs/{run_id}/gradients",
    response=list[GradientRow],
    summary="The run's DATA.md gradients table",
)
def run_gradients(request, ods_code: str, run_id: str):
    mark_download(request, "gradients.json")
    return selectors.gradient_rows(_done(request, ods_code, run_id))
