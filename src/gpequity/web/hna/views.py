"""Pages of the HNA area (ADR 17): upload, runs, validation report, progress, the report,
indicator pages, trends, exports, findings to plan. Thin: reads in selectors/presenters,
writes in services. Every page needs a direct membership of the practice (or staff)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from gpequity.web.orgs import access
from gpequity.web.reports import builds

from . import exports, presenters, report_pdf, runs, selectors, services, uploads
from .forms import FOCUS_CUSTOM, FOCUS_NONE, RunForm
from .models import ReportPdf, RunStatus

PROBLEMS_PER_PAGE = 25


def _org(request, ods_code, perm=access.VIEW):
    return access.get_practice_org(request.user, ods_code, perm)


def _crumbs(org, *extra):
    return [
        (org.name, f"/orgs/{org.ods_code}/"),
        ("Health needs assessment", reverse("hna:list", args=[org.ods_code])),
        *extra,
    ]


def _run(request, ods_code, run_id, perm=access.VIEW):
    org = _org(request, ods_code, perm)
    run = selectors.run_get(org, run_id)
    if run is None:
        raise Http404("No such run")
    return org, run


def _done(request, ods_code, run_id):
    org, run = _run(request, ods_code, run_id)
    if run.status != RunStatus.DONE or org.kind != "practice":  # a PCN's or ICB's run is
        raise Http404("This run has no results")  # stored with its practices (ADR 28)
    return org, run


# --------------------------------------------------------------------------- list and upload


@login_required
def run_list(request, ods_code):
    org = _org(request, ods_code)
    return _list(request, org, None)


def _list(request, org, form, error: uploads.UploadRefused | None = None, status=200):
    can_edit = access.can_direct(request.user, org, access.EDIT)
    focus_criteria, focus_version, focus_text = services.focus_for(org)
    form = form or RunForm(has_saved_focus=focus_criteria is not None)
    items = selectors.run_list(org)
    done = [r for r in items if r.status == RunStatus.DONE and org.kind == "practice"]
    ctx = {
        "org": org,
        "runs": items,
        "latest": done[0] if done else None,
        "done_count": len(done),
        "can_edit": can_edit,
        "form": form,
        "upload_error": error,
        "focus_version": focus_version,
        "focus_text": focus_text,
        "max_mb": _mb_limit(),
        "breadcrumbs": [(org.name, f"/orgs/{org.ods_code}/")],
    }
    return render(request, "hna/list.html", ctx, status=status)


def _mb_limit():
    from django.conf import settings

    return settings.HNA_UPLOAD_MAX_BYTES // (1024 * 1024)


@csrf_exempt
@login_required
def run_new(request, ods_code):
    """The upload: the files stream straight into a private folder (ADR 17)."""
    if request.method != "POST":
        return redirect("hna:list", ods_code=ods_code)
    handler = uploads.PrivateUploadHandler(request)
    request.upload_handlers = [handler]
    return _run_new(request, ods_code, handler)


@csrf_protect
def _run_new(request, ods_code, handler):
    try:
        org = _org(request, ods_code, access.EDIT)
        focus_criteria, _, _ = services.focus_for(org)
        form = RunForm(request.POST, has_saved_focus=focus_criteria is not None)
        if handler.too_large:
            raise uploads.UploadRefused(
                f"The upload is larger than {_mb_limit()} MB. Zip the files, or ask your "
                "administrator about the limit."
            )
        if not form.is_valid():
            handler.discard()
            return _list(request, org, form, status=400)
        if not handler.received.get("extract"):
            raise uploads.UploadRefused("Choose the extract file to upload")
        data = form.cleaned_data
        run = services.run_start(
            actor=request.user,
            organisation=org,
            folder=handler.folder_name,
            stored=handler.received,
            as_of=data["as_of"],
            focus=data["focus_criteria"] if data["focus_choice"] == FOCUS_CUSTOM else None,
            use_saved_focus=data["focus_choice"] != FOCUS_NONE,
            drop_bad_rows=data["drop_bad_rows"],
        )
    except uploads.UploadRefused as exc:
        handler.discard()
        form = RunForm(request.POST, has_saved_focus=True)
        form.is_valid()
        return _list(request, org, form, error=exc, status=400)
    except ValidationError as exc:
        handler.discard()
        form = RunForm(request.POST, has_saved_focus=True)
        form.is_valid()
        form.add_error("focus_json", "; ".join(exc.messages))
        return _list(request, org, form, status=400)
    except BaseException:
        handler.discard()
        raise
    return redirect("hna:run", ods_code=org.ods_code, run_id=run.pk)


# --------------------------------------------------------------------------- one run


def _run_context(request, org, run):
    return {
        "org": org,
        "run": run,
        "stale": runs.waiting_too_long(run),
        "can_edit": access.can_direct(request.user, org, access.EDIT),
        "status_url": reverse("hna:run_status", args=[org.ods_code, run.pk]),
        "report_url": reverse("hna:report", args=[org.ods_code, run.pk]),
        "run_url": reverse("hna:run", args=[org.ods_code, run.pk]),
        "stored_practices": _stored(org, run),
    }


def _stored(org, run):
    """A PCN's or ICB's finished run: the practices it was stored for (ADR 28)."""
    if org.kind == "practice" or run.status != RunStatus.DONE:
        return None
    from .system import stored_practices

    return [r.organisation for r in stored_practices(run)]


@login_required
def run_page(request, ods_code, run_id):
    org, run = _run(request, ods_code, run_id)
    ctx = _run_context(request, org, run)
    if run.status == RunStatus.INVALID and run.validation:
        ctx.update(_problems(request, run))
    ctx["breadcrumbs"] = _crumbs(org)
    return render(request, "hna/run.html", ctx)


def _problems(request, run):
    report = run.validation or {}
    issues = [i for i in report.get("issues", []) if i.get("severity") == "error"]
    page = Paginator(issues, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    groups = sorted(
        (g for g in report.get("groups", []) if g["severity"] == "error"),
        key=lambda g: (g["file"], g["column"] or "", g["kind"]),
    )
    examples = {}
    for i in issues:
        examples.setdefault((i["file"], i["column"], i["kind"]), i["message"])
    for g in groups:
        g["message"] = examples.get((g["file"], g["column"], g["kind"]), g["kind"])
    return {
        "problems": page,
        "problem_groups": groups,
        "profile": presenters.profile(report),
    }


@login_required
def run_status(request, ods_code, run_id):
    org, run = _run(request, ods_code, run_id)
    ctx = _run_context(request, org, run)
    response = JsonResponse(
        {
            "status": run.status,
            "finished": run.finished,
            "percent": run.percent,
            "html": render_to_string("hna/_status.html", ctx, request=request),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _post_action(request, ods_code, run_id, action, success):
    org, run = _run(request, ods_code, run_id, access.EDIT)
    try:
        action(actor=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("hna:run", ods_code=org.ods_code, run_id=run.pk)
    if success:
        messages.success(request, success)
    return redirect("hna:run", ods_code=org.ods_code, run_id=run.pk)


@require_POST
@login_required
def run_drop(request, ods_code, run_id):
    return _post_action(request, ods_code, run_id, services.run_drop_bad_rows, None)


@require_POST
@login_required
def run_retry(request, ods_code, run_id):
    return _post_action(request, ods_code, run_id, services.run_retry, None)


@require_POST
@login_required
def run_discard(request, ods_code, run_id):
    org, run = _run(request, ods_code, run_id, access.EDIT)
    services.run_discard_upload(actor=request.user, run=run)
    messages.info(request, "The extract was deleted. Fix the problems and upload it again.")
    return redirect("hna:list", ods_code=org.ods_code)


@login_required
def run_delete(request, ods_code, run_id):
    org, run = _run(request, ods_code, run_id, access.EDIT)
    if request.method == "POST":
        try:
            services.run_delete(actor=request.user, run=run)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("hna:run", ods_code=org.ods_code, run_id=run.pk)
        messages.success(request, f"The assessment as of {run.as_of:%d %B %Y} was deleted.")
        return redirect("hna:list", ods_code=org.ods_code)
    return render(
        request,
        "hna/delete.html",
        {"org": org, "run": run, "breadcrumbs": _crumbs(org)},
    )


# --------------------------------------------------------------------------- the report


def _report_crumbs(org, run):
    return _crumbs(
        org,
        (f"Report as of {run.as_of:%d %b %Y}", reverse("hna:report", args=[org.ods_code, run.pk])),
    )


@login_required
def report(request, ods_code, run_id):
    org, run = _done(request, ods_code, run_id)
    ctx = _report_context(request, org, run)
    ctx["breadcrumbs"] = _crumbs(org)
    return render(request, "hna/report.html", ctx)


def _report_context(request, org, run, *, all_findings: bool = False):
    data = presenters.overview(
        run, all_findings=all_findings or request.GET.get("findings") == "all"
    )
    return {
        "org": org,
        "run": run,
        "o": data,
        "can_edit": access.can_direct(request.user, org, access.EDIT),
        "done_count": selectors.done_runs(org).count(),
        "plan_keys": presenters.plan_keys(org),
        "ready_pdf": report_pdf.latest_ready(run),
        "build_new_url": reverse("hna:pdf_build_new", args=[org.ods_code, run.pk]),
    }


@login_required
def indicator(request, ods_code, run_id, indicator_id):
    org, run = _done(request, ods_code, run_id)
    d = presenters.definition_map(run).get(indicator_id)
    if d is None:
        raise Http404("No such indicator in this run")
    ctx = {
        "org": org,
        "run": run,
        "d": d,
        "direction": presenters.direction(d),
        "overall": presenters.overall_line(run, d),
        "sections": presenters.grouping_tables(run, d),
        "gradient": presenters.gradient_section(run, d),
        "breadcrumbs": _report_crumbs(org, run),
    }
    return render(request, "hna/indicator.html", ctx)


@login_required
def indicator_csv(request, ods_code, run_id, indicator_id):
    org, run = _done(request, ods_code, run_id)
    grouping = request.GET.get("grouping", "")
    rows = [
        r
        for r in selectors.indicator_rows(run, indicator_id)
        if not grouping or r["grouping"] == grouping
    ]
    if not rows:
        raise Http404("No such indicator or grouping")
    from gpequity.hna.results import INDICATOR_COLUMNS

    suffix = f"-{grouping}" if grouping else ""
    name = f"{org.ods_code}-hna-{run.as_of:%Y-%m-%d}-{indicator_id}{suffix}.csv"
    return _download(presenters.csv_bytes(rows, INDICATOR_COLUMNS), "text/csv; charset=utf-8", name)


@login_required
def trends(request, ods_code):
    org = _org(request, ods_code)
    done = list(selectors.done_runs(org))
    latest = done[-1] if done else None
    defs = presenters.definitions(latest) if latest else []
    ctx = {
        "org": org,
        "runs": done,
        "items": presenters.trends(org, [str(r.pk) for r in done], defs) if len(done) >= 2 else [],
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "hna/trends.html", ctx)


# --------------------------------------------------------------------------- exports


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_EXPORTS = {
    "run.json": "application/json",
    "indicators.csv": "text/csv; charset=utf-8",
    "gradients.csv": "text/csv; charset=utf-8",
    "indicators.json": "application/json",
    "gradients.json": "application/json",
}


@login_required
def export(request, ods_code, run_id, name):
    org, run = _done(request, ods_code, run_id)
    if name not in _EXPORTS:
        raise Http404("No such export")
    files = exports.cli_files(run)
    if name not in files:
        raise Http404("No such export")
    data = files[name]
    return _download(data, _EXPORTS[name], f"{org.ods_code}-hna-{run.as_of:%Y-%m-%d}-{name}")


@login_required
def export_xlsx(request, ods_code, run_id):
    org, run = _done(request, ods_code, run_id)
    return _download(
        exports.xlsx_bytes(run),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{org.ods_code}-hna-{run.as_of:%Y-%m-%d}.xlsx",
    )


@login_required
def export_html(request, ods_code, run_id):
    org, run = _done(request, ods_code, run_id)
    ctx = _report_context(request, org, run, all_findings=True)
    ctx["standalone"] = True
    ctx["details"] = [
        {"d": d, "sections": presenters.grouping_tables(run, d, charts=False)}
        for d in presenters.definitions(run)
    ]
    html = render_to_string("hna/report_download.html", ctx, request=request)
    return _download(
        html.encode("utf-8"),
        "text/html; charset=utf-8",
        f"{org.ods_code}-hna-{run.as_of:%Y-%m-%d}.html",
    )


# --------------------------------------------------------------------------- report PDF
# The practice report's background builds (ADR 9), for one run: the same stages, progress
# page and status feed, found only within the run, itself only within the practice.


@login_required
@require_POST
def pdf_build_new(request, ods_code, run_id):
    org, run = _done(request, ods_code, run_id)
    try:
        build = report_pdf.request(actor=request.user, run=run)
    except builds.BuildRefused as exc:  # too many builds going (ADR 29): said on the report
        messages.error(request, str(exc))
        return redirect("hna:report", ods_code=org.ods_code, run_id=run.pk)
    return redirect("hna:pdf_build", ods_code=org.ods_code, run_id=run.pk, build_id=build.pk)


def _pdf_build(request, ods_code, run_id, build_id):
    org, run = _done(request, ods_code, run_id)
    build = (
        ReportPdf.objects.defer("pdf").select_related("requested_by").filter(pk=build_id, run=run)
    ).first()
    if build is None:
        raise Http404("No such report PDF")
    return org, run, build


def _pdf_build_context(org, run, build) -> dict:
    build = builds.recover(build)  # a build whose worker died is queued again or failed
    args = [org.ods_code, run.pk, build.pk]
    return {
        "org": org,
        "run": run,
        "build": build,
        "stale": builds.is_stale(build),
        "stage_number": min(build.step + 1, build.steps),
        "status_url": reverse("hna:pdf_build_status", args=args),
        "download_url": reverse("hna:pdf_build_download", args=args),
        "build_new_url": reverse("hna:pdf_build_new", args=[org.ods_code, run.pk]),
    }


@login_required
def pdf_build(request, ods_code, run_id, build_id):
    org, run, build = _pdf_build(request, ods_code, run_id, build_id)
    ctx = _pdf_build_context(org, run, build)
    ctx["breadcrumbs"] = _report_crumbs(org, run)
    return render(request, "hna/pdf_build.html", ctx)


@login_required
def pdf_build_status(request, ods_code, run_id, build_id):
    """The build's state for the progress page's poller: the status region's new HTML."""
    org, run, build = _pdf_build(request, ods_code, run_id, build_id)
    ctx = _pdf_build_context(org, run, build)
    build = ctx["build"]
    response = JsonResponse(
        {
            "status": build.status,
            "finished": build.finished,
            "step": build.step,
            "steps": build.steps,
            "percent": build.percent,
            "html": render_to_string("reports/_build_status.html", ctx, request=request),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def pdf_build_download(request, ods_code, run_id, build_id):
    org, run, build = _pdf_build(request, ods_code, run_id, build_id)
    if build.status != "done":
        raise Http404("This report is not ready.")
    pdf = ReportPdf.objects.values_list("pdf", flat=True).get(pk=build.pk)
    return _download(bytes(pdf), "application/pdf", report_pdf.file_name(run, build.finished_at))


# --------------------------------------------------------------------------- plan


@require_POST
@login_required
def add_to_plan(request, ods_code, run_id):
    org, run = _done(request, ods_code, run_id)
    if not access.can_direct(request.user, org, access.EDIT):
        raise Http404("No such page")
    post = request.POST
    try:
        item, created = services.finding_to_plan(
            actor=request.user,
            run=run,
            action_key=post.get("action_key", ""),
            indicator=post.get("indicator", ""),
            grouping=post.get("grouping", ""),
            group=post.get("group", ""),
            measure_text=post.get("measure_text", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("hna:report", ods_code=org.ods_code, run_id=run.pk)
    if created or item.measure_grouping == post.get("grouping"):
        messages.success(
            request,
            "Added to the plan with this run's figure as the baseline and the rest of the "
            "practice's figure as a suggested target. Change the target and owner here.",
        )
        return redirect("plans:edit", ods_code=org.ods_code, item_id=item.pk)
    messages.info(request, "This action is already in the plan.")
    return redirect("plans:item", ods_code=org.ods_code, item_id=item.pk)


def json_dumps(value) -> str:
    return json.dumps(value, default=str)
