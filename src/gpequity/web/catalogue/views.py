"""Catalogue pages: browse and search the framework packs (public) and import the official
toolkit text (site staff only). Views stay thin: selectors read, presenters shape, services
write."""

from __future__ import annotations

import io
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from gpequity.catalogue import DEFAULT_PACK, all_packs, load_pack
from gpequity.catalogue.export import FORMATS, export_pack
from gpequity.catalogue.importer import ImportResult, diff_imports, read_official
from gpequity.catalogue.schema import Pack

from . import presenters, selectors, services, uploads
from .forms import FilterForm, UploadForm, max_upload_bytes

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _pack(request, pack_id: str | None = None) -> Pack:
    """The pack chosen by ?pack= (the RCGP toolkit by default); 404 for an unknown id."""
    try:
        return load_pack(pack_id or request.GET.get("pack") or DEFAULT_PACK)
    except KeyError:
        raise Http404("No such framework") from None


def _render(request, template: str, ctx: dict):
    return render(request, template, {"default_pack": DEFAULT_PACK, **ctx})


def _crumbs(pack: Pack, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("Home", reverse("home")),
        (pack.name, reverse("catalogue:index") + presenters.pack_query(pack)),
        *extra,
    ]


@require_GET
def index(request):
    pack = _pack(request)
    imported = selectors.current_import(pack.id)
    names = presenters.tier_names(pack, imported)
    official = selectors.current_official_text(pack.id) if imported else {}
    form = FilterForm(request.GET, pack=pack, tier_names=names)
    filters = form.filters()
    actions = selectors.search_actions(pack, filters, official)
    ctx = {
        "pack": pack,
        "packs": all_packs(),
        "form": form,
        "filters": filters,
        "tiers": presenters.tier_counts(pack, names),
        "themes": presenters.theme_counts(pack),
        "rows": presenters.result_rows(pack, actions, names),
        "imported": imported,
        "exports": [
            (fmt, reverse("catalogue:export", args=[fmt]) + presenters.pack_query(pack))
            for fmt in FORMATS
        ],
        "clear_url": reverse("catalogue:index") + presenters.pack_query(pack),
        "breadcrumbs": [("Home", reverse("home"))],
    }
    return _render(request, "catalogue/index.html", ctx)


@require_GET
def tier(request, tier: str):
    pack = _pack(request)
    if tier not in {t.key for t in pack.tiers}:
        raise Http404("No such tier")
    names = presenters.tier_names(pack, selectors.current_import(pack.id))
    actions = pack.actions_in(tier=tier)
    groups = [
        (theme, presenters.result_rows(pack, pack.actions_in(tier=tier, theme=theme.key), names))
        for theme in presenters.theme_counts(pack, actions)
    ]
    ctx = {
        "pack": pack,
        "heading": names[tier],
        "caption": "Tier",
        "description": pack.tier(tier).description,
        "count": len(actions),
        "groups": groups,
        "breadcrumbs": _crumbs(pack),
    }
    return _render(request, "catalogue/browse.html", ctx)


@require_GET
def theme(request, theme: str):
    pack = _pack(request)
    if theme not in {t.key for t in pack.themes}:
        raise Http404("No such theme")
    names = presenters.tier_names(pack, selectors.current_import(pack.id))
    actions = pack.actions_in(theme=theme)
    groups = [
        (t, presenters.result_rows(pack, pack.actions_in(tier=t.key, theme=theme), names))
        for t in presenters.tier_counts(pack, names)
    ]
    ctx = {
        "pack": pack,
        "heading": pack.theme(theme).name,
        "caption": "Theme",
        "description": pack.theme(theme).description,
        "count": len(actions),
        "groups": [(t, rows) for t, rows in groups if rows],
        "breadcrumbs": _crumbs(pack),
    }
    return _render(request, "catalogue/browse.html", ctx)


def _pack_for_action(request, key: str) -> Pack:
    """The ?pack= pack, or else the first pack that has an action with this key."""
    if request.GET.get("pack"):
        return _pack(request)
    packs = sorted(all_packs(), key=lambda p: p.id != DEFAULT_PACK)
    for pack in packs:
        if any(a.key == key for a in pack.actions):
            return pack
    raise Http404("No such action")


@require_GET
def action(request, key: str):
    pack = _pack_for_action(request, key)
    try:
        found = pack.action(key)
    except KeyError:
        raise Http404("No such action") from None
    imported = selectors.current_import(pack.id)
    names = presenters.tier_names(pack, imported)
    official = selectors.current_official_text(pack.id).get(key) if imported else None
    page = presenters.action_page(pack, found, names, imported, official)
    ctx = {
        "pack": pack,
        "page": page,
        "attribution": presenters.attribution_line(pack, imported) if official else "",
        "is_staff": request.user.is_staff,
        "workspaces": _workspaces(request.user, pack, key),
        "case_studies": _case_studies(key),
        "breadcrumbs": _crumbs(pack, (page.theme_name, presenters.theme_url(pack, found.theme))),
    }
    return _render(request, "catalogue/action.html", ctx)


def _case_studies(key: str) -> list[dict]:
    """Published case studies of this action (gpequity.web.casestudies)."""
    from gpequity.web.casestudies import presenters as cs_presenters
    from gpequity.web.casestudies import selectors as cs_selectors

    return [cs_presenters.card(c) for c in cs_selectors.for_action(key)]


def _workspaces(user, pack, key: str) -> list[dict]:
    """The signed-in user's practices on this framework, with this action's status there."""
    if not user.is_authenticated:
        return []
    from gpequity.web.assessment.models import AssessmentEntry
    from gpequity.web.orgs import access
    from gpequity.web.plans.models import PlanItem

    rows = []
    for org in access.practices_for(user).filter(framework=pack.id):
        entry = AssessmentEntry.objects.filter(organisation=org, action_key=key).first()
        item = PlanItem.objects.filter(organisation=org, action_key=key).first()
        rows.append(
            {
                "org": org,
                "status": entry.get_status_display() if entry else "Not started",
                "plan_item": item,
                "can_edit": access.can(user, org, access.EDIT),
            }
        )
    return rows


@require_GET
def export(request, fmt: str):
    """Download the pack as JSON, CSV or XLSX, with the official text when imported."""
    if fmt not in FORMATS:
        raise Http404("No such format")
    pack = _pack(request)
    official = selectors.current_official_text(pack.id)
    buf = io.BytesIO()
    export_pack(
        pack,
        fmt,
        buf,
        official={k: selectors.as_core_text(t) for k, t in official.items()} or None,
    )
    response = HttpResponse(buf.getvalue(), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{pack.id}.{fmt}"'
    return response


# Staff import ---------------------------------------------------------------------------
def staff_required(view):
    """Site staff only: sign-in for visitors, 404 for signed-in users who are not staff."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def _read(item: uploads.Pending) -> ImportResult:
    pack = load_pack(item.pack_id)
    with uploads.local_copy(item) as path:
        return read_official(
            path,
            pack,
            max_bytes=max_upload_bytes(),
            default_tier=item.tier or None,
            source_name=item.name,
        )


@staff_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    pack = _pack(request)
    form = UploadForm(request.POST or None, request.FILES or None, initial={"pack": pack.id})
    issues: list = []
    if request.method == "POST" and form.is_valid():
        item = uploads.store(
            request.session,
            form.cleaned_data["file"],
            pack_id=form.cleaned_data["pack"],
            tier=form.cleaned_data.get("tier") or "",
        )
        result = _read(item)
        if not result.errors:
            return redirect("catalogue:import_preview")
        uploads.discard(request.session)
        issues = result.errors
    ctx = {
        "form": form,
        "issues": issues,
        "source_name": Path(request.FILES["file"].name).name if issues else "",
        "breadcrumbs": _crumbs(pack),
    }
    return _render(request, "catalogue/import_upload.html", ctx)


@staff_required
@require_http_methods(["GET", "POST"])
def import_preview(request):
    item = uploads.pending(request.session)
    if item is None:
        messages.info(request, "There is no upload waiting. Choose a file to import.")
        return redirect("catalogue:import_upload")
    pack = load_pack(item.pack_id)
    if request.method == "POST":
        return _decide(request, item, pack)
    result = _read(item)
    if result.errors:  # the stored file no longer reads: start again
        uploads.discard(request.session)
        messages.error(request, "The uploaded file could not be read again. Upload it again.")
        return redirect("catalogue:import_upload")
    previous = selectors.current_import(pack.id)
    diff = None
    if previous is not None:
        old = {t.action_key: selectors.as_core_text(t) for t in previous.texts.all()}
        diff = diff_imports(old, result.entries).to_json()
    ctx = {
        "pack": pack,
        "result": result,
        "total": len(pack.actions),
        "tier_names": [(pack.tier(k).name, v) for k, v in result.tier_names.items()],
        "previous": previous,
        "diff": presenters.diff_rows(pack, diff),
        "breadcrumbs": _crumbs(pack, ("Import official text", reverse("catalogue:import_upload"))),
    }
    return _render(request, "catalogue/import_preview.html", ctx)


def _decide(request, item: uploads.Pending, pack: Pack):
    if request.POST.get("decision") != "apply":
        uploads.discard(request.session)
        messages.info(request, "Import cancelled. Nothing was stored.")
        return redirect("catalogue:import_upload")
    result = _read(item)
    try:
        imported = services.import_official_text(result=result, user=request.user, pack_id=pack.id)
    except ValidationError as exc:
        uploads.discard(request.session)
        messages.error(request, "Nothing was imported: " + "; ".join(exc.messages))
        return redirect("catalogue:import_upload")
    uploads.discard(request.session)
    messages.success(
        request,
        f"Imported version {imported.version} of the official text for {pack.name}: "
        f"{result.matched} of {len(pack.actions)} actions matched.",
    )
    return redirect(reverse("catalogue:import_history") + presenters.pack_query(pack))


@staff_required
@require_GET
def import_history(request):
    pack = _pack(request)
    versions = [(v, presenters.diff_rows(pack, v.diff)) for v in selectors.import_history(pack.id)]
    ctx = {
        "pack": pack,
        "packs": all_packs(),
        "versions": versions,
        "total": len(pack.actions),
        "breadcrumbs": _crumbs(pack, ("Import official text", reverse("catalogue:import_upload"))),
    }
    return _render(request, "catalogue/import_history.html", ctx)
