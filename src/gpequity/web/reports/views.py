"""Reports and exports pages, and the workbook import (upload, preview, confirm).

The pending upload is kept in private storage under a random token that lives only in the
session, never in a URL, and is deleted once applied or cancelled.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from gpequity.web.orgs import access

from . import builds, services, uploads, xlsx
from . import export_json as json_export
from .forms import ImportForm
from .models import BuildStatus, ReportBuild

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _crumbs(org, *extra):
    return [
        (org.name, f"/orgs/{org.ods_code}/"),
        *extra,
    ]


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _stem(org, what: str) -> str:
    return f"{org.ods_code}-{what}-{timezone.localdate():%Y-%m-%d}"


@login_required
def index(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _index(request, org, ImportForm(), None)


def _index(request, org, form, preview, status: int = 200):
    ctx = {
        "org": org,
        "form": form,
        "preview": preview,
        "can_import": access.can(request.user, org, access.EDIT),
        "recent_builds": ReportBuild.objects.filter(organisation=org).defer("pdf")[:5],
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "reports/index.html", ctx, status=status)


@login_required
def report_page(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    ctx = services.report_context(org)
    ctx["breadcrumbs"] = _crumbs(
        org, ("Reports and exports", reverse("reports:index", args=[org.ods_code]))
    )
    return render(request, "reports/report.html", ctx)


@login_required
def report_pdf(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _download(
        services.report_pdf(org), "application/pdf", _stem(org, "equity-report") + ".pdf"
    )


# --------------------------------------------------------------------------- PDF builds


@login_required
@require_POST
def pdf_build_new(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    try:
        build = builds.request_build(actor=request.user, organisation=org)
    except builds.BuildRefused as exc:
        messages.error(request, str(exc))
        return redirect("reports:index", ods_code=org.ods_code)
    return redirect("reports:pdf_build", ods_code=org.ods_code, build_id=build.pk)


def _build(request, ods_code: str, build_id) -> ReportBuild:
    org = access.get_org(request.user, ods_code, access.VIEW)
    return get_object_or_404(
        ReportBuild.objects.defer("pdf").select_related("organisation", "requested_by"),
        pk=build_id,
        organisation=org,
    )


def _build_context(build: ReportBuild) -> dict:
    build = builds.recover(build)
    org = build.organisation
    kind = builds.kind_of(build)
    return {
        "org": org,
        "build": build,
        "kind": kind,
        "new_url": reverse(kind.new_url, args=[org.ods_code]),
        "back_url": reverse(kind.back_url, args=[org.ods_code]),
        "stale": builds.is_stale(build),
        "stage_number": min(build.step + 1, build.steps),
        "status_url": reverse("reports:pdf_build_status", args=[org.ods_code, build.pk]),
        "download_url": reverse("reports:pdf_build_download", args=[org.ods_code, build.pk]),
    }


@login_required
def pdf_build(request, ods_code: str, build_id):
    build = _build(request, ods_code, build_id)
    ctx = _build_context(build)
    ctx["breadcrumbs"] = _crumbs(
        build.organisation,
        ("Reports and exports", reverse("reports:index", args=[build.organisation.ods_code])),
    )
    return render(request, "reports/build.html", ctx)


@login_required
def pdf_build_status(request, ods_code: str, build_id):
    """The build's state for the progress page's poller: the status region's new HTML."""
    build = _build(request, ods_code, build_id)
    ctx = _build_context(build)
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
def pdf_build_download(request, ods_code: str, build_id):
    build = _build(request, ods_code, build_id)
    if build.status != BuildStatus.DONE:
        raise Http404("This report is not ready.")
    pdf = ReportBuild.objects.values_list("pdf", flat=True).get(pk=build.pk)
    day = timezone.localtime(build.finished_at)
    stem = f"{build.organisation.ods_code}-{builds.kind_of(build).filename}-{day:%Y-%m-%d}"
    return _download(bytes(pdf), "application/pdf", stem + ".pdf")


@login_required
def workbook(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _download(xlsx.export_workbook(org), XLSX_TYPE, _stem(org, "workbook") + ".xlsx")


@login_required
def assessment_csv(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _download(
        services.assessment_csv(org), "text/csv; charset=utf-8", _stem(org, "assessment") + ".csv"
    )


@login_required
def plan_csv(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _download(services.plan_csv(org), "text/csv; charset=utf-8", _stem(org, "plan") + ".csv")


@login_required
def export_json(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _download(
        json_export.org_export_bytes(org), "application/json", _stem(org, "export") + ".json"
    )


# --------------------------------------------------------------------------- import


def _session_key(org) -> str:
    return f"reports-import-{org.pk}"


def _pending_path(org, token: str) -> str:
    return uploads.pending_path(org.pk, token)


def _discard(request, org) -> None:
    pending = request.session.pop(_session_key(org), None)
    if pending and default_storage.exists(_pending_path(org, pending["token"])):
        default_storage.delete(_pending_path(org, pending["token"]))


def _pending(request, org) -> tuple[dict, bytes] | None:
    pending = request.session.get(_session_key(org))
    if not pending:
        return None
    path = _pending_path(org, pending["token"])
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as fh:
        return pending, fh.read()


@login_required
def import_upload(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.EDIT)
    if request.method != "POST":
        return redirect("reports:index", ods_code=org.ods_code)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _index(request, org, form, None, status=400)
    upload = form.cleaned_data["workbook"]
    name = upload.name[-200:]
    if upload.size > xlsx.MAX_BYTES:
        form.add_error("workbook", f"The file is larger than {xlsx.MAX_BYTES // (1024 * 1024)} MB")
        return _index(request, org, form, None, status=400)
    data = upload.read()
    preview = services.preview_import(org, data, actor=request.user, name=name)
    if not preview.ok:
        form.add_error(
            "workbook",
            "The workbook cannot be imported and nothing has been changed. "
            "Fix the problems listed below and upload it again",
        )
        return _index(request, org, form, preview, status=400)
    _discard(request, org)
    uploads.purge_abandoned_imports()
    token = secrets.token_urlsafe(24)
    default_storage.save(_pending_path(org, token), ContentFile(data))
    request.session[_session_key(org)] = {
        "token": token,
        "name": name,
        "fingerprint": preview.fingerprint,
    }
    return redirect("reports:import_preview", ods_code=org.ods_code)


@login_required
def import_preview(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.EDIT)
    pending = _pending(request, org)
    if pending is None:
        messages.info(request, "There is no workbook waiting to be imported. Upload one first.")
        return redirect("reports:index", ods_code=org.ods_code)
    info, data = pending
    preview = services.preview_import(org, data, actor=request.user, name=info["name"])
    info["fingerprint"] = preview.fingerprint
    request.session[_session_key(org)] = info
    ctx = {
        "org": org,
        "preview": preview,
        "file_name": info["name"],
        "breadcrumbs": _crumbs(
            org, ("Reports and exports", reverse("reports:index", args=[org.ods_code]))
        ),
    }
    return render(request, "reports/import_preview.html", ctx)


@require_POST
@login_required
def import_apply(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.EDIT)
    pending = _pending(request, org)
    if pending is None:
        messages.info(request, "There is no workbook waiting to be imported. Upload one first.")
        return redirect("reports:index", ods_code=org.ods_code)
    info, data = pending
    try:
        preview = services.apply_import(
            actor=request.user,
            organisation=org,
            data=data,
            name=info["name"],
            expected_fingerprint=info.get("fingerprint"),
        )
    except services.ImportFailed as exc:
        messages.error(
            request, "Nothing was imported: " + "; ".join(str(e) for e in exc.preview.errors[:3])
        )
        return redirect("reports:import_preview", ods_code=org.ods_code)
    _discard(request, org)
    n = len(preview.changes)
    messages.success(request, f"Workbook imported: {n} change{'s' if n != 1 else ''} saved.")
    return redirect("reports:index", ods_code=org.ods_code)


@require_POST
@login_required
def import_cancel(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.EDIT)
    _discard(request, org)
    messages.info(request, "Import cancelled. Nothing was changed.")
    return redirect("reports:index", ods_code=org.ods_code)
