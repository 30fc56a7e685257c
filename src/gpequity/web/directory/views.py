"""Directory pages: search, a service, its patient print-out, editing, checking, problem
reports, shortlists, import with a preview, and exports. Thin: reads in selectors, writes in
services, shaping in presenters."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from gpequity.oruk import FeedError, ImportPlan, from_oruk
from gpequity.oruk.feeds import MAX_BYTES, read_source
from gpequity.oruk.listings import export_section, read_directory
from gpequity.oruk.records import ServiceRecord
from gpequity.web.orgs import access

from . import editing, exports, presenters, selectors, services
from .forms import CloseProblemForm, ImportForm, ProblemForm, SearchForm, ServiceForm
from .models import ProblemReport, Service, TaxonomyTerm

PER_PAGE = 20
IMPORT_KEY = "directory_import"
SESSION_LIMIT = 5 * 1024 * 1024  # a previewed feed is kept in the session until applied


def _crumbs(org, *extra):
    return [(org.name, f"/orgs/{org.ods_code}/"), *extra]


def _dir_crumb(org):
    return ("Directory", reverse("directory:search", args=[org.ods_code]))


def _card(service, today):
    return presenters.card(service, today=today, stale=selectors.stale_level(service, today))


@login_required
def search(request, ods_code: str):
    org = selectors.directory_org(request.user, ods_code)
    now = timezone.localtime()
    terms, languages = selectors.facets(org)
    form = SearchForm(request.GET or None, terms=terms, languages=languages)
    params = selectors.Search()
    if form.is_valid():
        d = form.cleaned_data
        params = selectors.Search(
            q=d["q"],
            need=d["need"],
            group=d["group"],
            language=d["language"],
            free=d["free"],
            route=d["route"],
            postcode=d["postcode"],
            open_now=d["open_now"],
            stale=d["stale"],
        )
    # One query for the ordered ids (the database sorts small rows), then load one page.
    paginator = Paginator(selectors.search_ids(org, params, now=now), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    by_id = {s.pk: s for s in Service.objects.filter(pk__in=ids).select_related("owner")}
    rows = [_card(by_id[pk], now.date()) for pk in ids]
    query = request.GET.copy()
    query.pop("page", None)
    can_edit = access.can(request.user, org, access.EDIT)
    ctx = {
        "org": org,
        "form": form,
        "rows": rows,
        "page": page,
        "total": paginator.count,
        "query": query.urlencode(),
        "filtered": bool(request.GET.dict().keys() - {"page"}),
        "shortlisted": selectors.shortlisted_ids(request.user, org),
        "can_edit": can_edit,
        "open_problems": selectors.open_problems(org).count() if can_edit else 0,
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "directory/search.html", ctx)


@login_required
def service_detail(request, ods_code: str, pk: int):
    org = selectors.directory_org(request.user, ods_code)
    service = selectors.service_in(org, pk)
    today = timezone.localdate()
    can_edit = selectors.can_edit(request.user, service)
    c = _card(service, today)
    ctx = {
        "org": org,
        "c": c,
        "mailto": presenters.mailto(c, org.name, today),
        "can_edit": can_edit,
        "problems": list(selectors.open_problems(service.owner).filter(service=service))
        if can_edit
        else [],
        "on_shortlist": service.pk in selectors.shortlisted_ids(request.user, org),
        "breadcrumbs": _crumbs(org, _dir_crumb(org)),
    }
    return render(request, "directory/service.html", ctx)


@login_required
def service_print(request, ods_code: str, pk: int):
    org = selectors.directory_org(request.user, ods_code)
    service = selectors.service_in(org, pk)
    today = timezone.localdate()
    c = _card(service, today)
    ctx = {"org": org, "c": c, "printed": today, "mailto": presenters.mailto(c, org.name, today)}
    return render(request, "directory/print.html", ctx)


def _terms():
    services.ensure_categories()
    return list(TaxonomyTerm.objects.all())


def _save(request, org, form, record: ServiceRecord, service=None):
    """Save the form into the record; on a problem, put it on the form and return None."""
    editing.apply_form(record, form.cleaned_data)
    try:
        return services.service_save(
            actor=request.user,
            owner=org if service is None else service.owner,
            record=record,
            public=form.cleaned_data["public"],
            service=service,
            expected_version=form.cleaned_data.get("version"),
        )
    except services.ServiceConflict:
        form.add_error(
            None,
            "Someone else saved this listing while you were editing it. "
            "Your changes are below: check them and save again.",
        )
        form.data = form.data.copy()
        form.data["version"] = str(service.__class__.objects.get(pk=service.pk).version)
    except ValidationError as exc:
        for field, errs in exc.message_dict.items():
            form.add_error(None, f"{field}: {' '.join(errs)}")
    return None


@login_required
def service_new(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.EDIT)
    form = ServiceForm(
        request.POST or None, terms=_terms(), initial={"status": "active", "free": "yes"}
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(request, org, form, ServiceRecord())
        if saved:
            messages.success(request, f"'{saved.name}' is in the directory.")
            return redirect("directory:service", ods_code=org.ods_code, pk=saved.pk)
    ctx = {
        "org": org,
        "form": form,
        "heading": "Add a service",
        "breadcrumbs": _crumbs(org, _dir_crumb(org)),
    }
    return render(request, "directory/edit.html", ctx)


@login_required
def service_edit(request, ods_code: str, pk: int):
    org = selectors.directory_org(request.user, ods_code)
    service = selectors.service_in(org, pk)
    if not selectors.can_edit(request.user, service):
        raise PermissionDenied(f"Only {service.owner.name} can change this listing")
    record = from_oruk(service.document)
    if request.method == "POST":
        form = ServiceForm(request.POST, terms=_terms())
        if form.is_valid():
            saved = _save(request, org, form, record, service)
            if saved:
                messages.success(request, "Listing saved.")
                return redirect("directory:service", ods_code=org.ods_code, pk=saved.pk)
    else:
        form = ServiceForm(
            initial=editing.form_initial(record, public=service.public, version=service.version),
            terms=_terms(),
        )
    ctx = {
        "org": org,
        "form": form,
        "service": service,
        "heading": "Change listing",
        "breadcrumbs": _crumbs(
            org,
            _dir_crumb(org),
            (service.name, reverse("directory:service", args=[org.ods_code, service.pk])),
        ),
    }
    return render(request, "directory/edit.html", ctx)


@require_POST
@login_required
def service_checked(request, ods_code: str, pk: int):
    org = selectors.directory_org(request.user, ods_code)
    service = selectors.service_in(org, pk)
    if not selectors.can_edit(request.user, service):
        raise PermissionDenied(f"Only {service.owner.name} can check this listing")
    services.service_mark_checked(actor=request.user, service=service)
    messages.success(request, "Marked as checked today.")
    return redirect("directory:service", ods_code=org.ods_code, pk=service.pk)


@login_required
def problem_new(request, ods_code: str, pk: int):
    org = selectors.directory_org(request.user, ods_code)
    service = selectors.service_in(org, pk)
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.problem_report_add(
            actor=request.user,
            service=service,
            reported_from=org,
            description=form.cleaned_data["description"],
        )
        messages.success(request, f"Thank you. {service.owner.name} will look at your report.")
        return redirect("directory:service", ods_code=org.ods_code, pk=service.pk)
    ctx = {
        "org": org,
        "service": service,
        "form": form,
        "breadcrumbs": _crumbs(
            org,
            _dir_crumb(org),
            (service.name, reverse("directory:service", args=[org.ods_code, service.pk])),
        ),
    }
    return render(request, "directory/problem.html", ctx)


@login_required
def problems(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    ctx = {
        "org": org,
        "reports": list(selectors.open_problems(org)),
        "can_edit": access.can(request.user, org, access.EDIT),
        "close_form": CloseProblemForm(),
        "breadcrumbs": _crumbs(org, _dir_crumb(org)),
    }
    return render(request, "directory/problems.html", ctx)


@require_POST
@login_required
def problem_close(request, ods_code: str, report_id: int):
    org = access.get_org(request.user, ods_code, access.EDIT)
    report = ProblemReport.objects.filter(pk=report_id, owner=org, closed_at__isnull=True).first()
    if report is None:
        raise Http404("No such open report")
    form = CloseProblemForm(request.POST)
    form.is_valid()
    services.problem_report_close(
        actor=request.user, report=report, resolution=form.cleaned_data.get("resolution", "")
    )
    messages.success(request, "Report closed.")
    return redirect("directory:problems", ods_code=org.ods_code)


@require_POST
@login_required
def shortlist_toggle(request, ods_code: str, pk: int):
    org = selectors.directory_org(request.user, ods_code)
    service = selectors.service_in(org, pk)
    on = services.shortlist_toggle(actor=request.user, organisation=org, service=service)
    messages.success(
        request, f"'{service.name}' {'added to' if on else 'taken off'} your shortlist."
    )
    back = request.POST.get("next", "")
    if back.startswith(f"/orgs/{org.ods_code}/directory/"):
        return redirect(back)
    return redirect("directory:service", ods_code=org.ods_code, pk=service.pk)


@login_required
def shortlist(request, ods_code: str):
    org = selectors.directory_org(request.user, ods_code)
    today = timezone.localdate()
    ctx = {
        "org": org,
        "rows": [_card(s, today) for s in selectors.shortlist(request.user, org)],
        "breadcrumbs": _crumbs(org, _dir_crumb(org)),
    }
    return render(request, "directory/shortlist.html", ctx)


@login_required
def import_upload(request, ods_code: str):
    """Upload a feed; the page then shows what would change, and an apply button."""
    org = access.get_org(request.user, ods_code, access.EDIT)
    form = ImportForm(request.POST or None, request.FILES or None)
    plan, error = None, ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["feed"]
        if upload.size > MAX_BYTES:
            error = f"{upload.name}: larger than {MAX_BYTES // (1024 * 1024)} MB"
        else:
            import tempfile
            from pathlib import Path

            suffix = ".zip" if upload.name.lower().endswith(".zip") else ".json"
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"feed{suffix}"
                path.write_bytes(upload.read())
                try:
                    plan, pending = _preview(org, path, upload.name)
                except FeedError as exc:
                    error = str(exc).replace(str(path), upload.name)
                else:
                    if len(pending["data"]) > SESSION_LIMIT:
                        plan, error = (
                            None,
                            (
                                f"{upload.name} is too large to import here; use "
                                "`.venv/bin/gpequity directory import` on the server."
                            ),
                        )
                    elif plan.ok and plan.has_changes:
                        request.session[IMPORT_KEY] = pending
    ctx = {
        "org": org,
        "form": form,
        "plan": plan,
        "error": error,
        "breadcrumbs": _crumbs(org, _dir_crumb(org)),
    }
    return render(request, "directory/import.html", ctx)


def _preview(org, path, name: str):
    """What the uploaded file would change, and what to keep in the session until applied:
    an organisation export's directory, or an ORUK feed."""
    section = export_section(path)
    if section is not None:
        part, problems = read_directory(section)
        plan = (
            ImportPlan(problems=problems)
            if problems
            else services.preview_directory(owner=org, part=part)
        )
        return plan, {"name": name, "kind": "export", "data": json.dumps(section)}
    feed = read_source(path)
    plan = services.preview_feed(owner=org, docs=feed.services)
    return plan, {"name": name, "kind": "feed", "data": json.dumps(feed.services)}


def _apply(request, org, pending):
    data = json.loads(pending["data"])
    if pending.get("kind") == "export":
        part, problems = read_directory(data)
        if problems:
            raise services.FeedRefused(ImportPlan(problems=problems))
        return services.import_directory(
            actor=request.user, owner=org, part=part, source=pending["name"]
        )
    return services.import_feed(actor=request.user, owner=org, docs=data, source=pending["name"])


@require_POST
@login_required
def import_apply(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.EDIT)
    pending = request.session.pop(IMPORT_KEY, None)
    if not pending:
        messages.error(request, "There is no previewed import to apply. Upload the file again.")
        return redirect("directory:import", ods_code=org.ods_code)
    try:
        plan = _apply(request, org, pending)
    except services.FeedRefused:
        messages.error(request, "The file has problems; nothing was imported.")
        return redirect("directory:import", ods_code=org.ods_code)
    messages.success(request, f"Imported {pending['name']}: {plan.summary()}.")
    return redirect("directory:search", ods_code=org.ods_code)


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_json(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    data = json.dumps(exports.oruk_page(org), indent=2, ensure_ascii=False).encode()
    return _download(data, "application/json", f"directory-{org.ods_code}.json")


@login_required
def export_csv(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _download(exports.csv_bytes(org), "text/csv", f"directory-{org.ods_code}.csv")


@login_required
def export_xlsx(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    return _download(
        exports.xlsx_bytes(org),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"directory-{org.ods_code}.xlsx",
    )
