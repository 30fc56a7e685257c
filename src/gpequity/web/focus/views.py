"""Focus Patient group pages: the current definition, the builder, versions, download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from gpequity.web.orgs import access

from . import presenters, selectors, services
from .builder import CriteriaBuilder, apply_action, draft_from_criteria, draft_from_post
from .forms import PRESETS, FocusMetaForm


@login_required
def focus_detail(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    current = selectors.focus_current(org)
    versions = [presenters.version_row(v) for v in selectors.focus_versions(org)]
    ctx = {
        "org": org,
        "current": current,
        "criteria_json": presenters.criteria_json(current) if current else "",
        "versions": versions,
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": presenters.breadcrumbs(org),
    }
    return render(request, "focus/detail.html", ctx)


@login_required
def focus_version(request, ods_code: str, version: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    chosen = selectors.focus_version(org, version)
    if chosen is None:
        raise Http404("No such version")
    other = request.GET.get("with", "")
    current = (
        selectors.focus_version(org, int(other)) if other.isdigit() else None
    ) or selectors.focus_current(org)
    ctx = {
        "org": org,
        "is_latest": current.version == selectors.focus_current(org).version,
        "chosen": presenters.version_row(chosen) | {"obj": chosen},
        "current": presenters.version_row(current) | {"obj": current},
        "others": [v.version for v in selectors.focus_versions(org)],
        "breadcrumbs": presenters.breadcrumbs(
            org, ("Focus Patient group", f"/orgs/{org.ods_code}/focus/")
        ),
    }
    return render(request, "focus/version.html", ctx)


@login_required
def focus_download(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    number = request.GET.get("version")
    version = (
        selectors.focus_version(org, int(number))
        if number and number.isdigit()
        else selectors.focus_current(org)
    )
    if version is None:
        raise Http404("No Focus group saved")
    response = HttpResponse(presenters.criteria_json(version), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="criteria.json"'
    return response


@login_required
def focus_edit(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.EDIT):
        raise PermissionDenied("Only the equity lead can change the Focus group")
    current = selectors.focus_current(org)
    conflict = None
    focus_on = ""  # after "add a condition": where the new condition is, for keyboard focus
    if request.method == "POST":
        if "add_row" in request.POST or request.POST.get("preset"):
            focus_on = "top"
        elif request.POST.get("add_condition", "").isdigit():
            focus_on = f"group-{request.POST['add_condition']}"
        meta = FocusMetaForm(request.POST)
        parts = apply_action(draft_from_post(request.POST), request.POST)
        if parts is not None:  # an add or remove button: redraw with everything typed
            builder = CriteriaBuilder(parts=parts)
            meta = FocusMetaForm(initial=_meta_initial(request.POST))
        else:
            builder = CriteriaBuilder(data=request.POST)
            meta_ok, builder_ok = meta.is_valid(), builder.is_valid()  # both, to show all errors
            if meta_ok and builder_ok:
                try:
                    saved = services.focus_group_save(
                        actor=request.user,
                        organisation=org,
                        criteria=builder.criteria(meta.cleaned_data["mode"]),
                        rationale=meta.cleaned_data["rationale"],
                        data_sources=meta.cleaned_data["data_sources"],
                        based_on=meta.cleaned_data["based_on"],
                    )
                except services.FocusConflict as exc:
                    conflict = presenters.version_row(exc.current)
                    meta = FocusMetaForm(
                        initial=_meta_initial(request.POST) | {"based_on": exc.current.version}
                    )
                    builder = CriteriaBuilder(parts=draft_from_post(request.POST))
                except ValidationError as exc:
                    meta.add_error(None, exc)
                else:
                    messages.success(request, f"Focus group saved as version {saved.version}.")
                    return redirect("focus:detail", ods_code=org.ods_code)
    else:
        mode, parts = draft_from_criteria(current.criteria if current else None)
        meta = FocusMetaForm(
            initial={
                "mode": mode,
                "rationale": current.rationale if current else "",
                "data_sources": current.data_sources if current else "",
                "based_on": current.version if current else 0,
            }
        )
        builder = CriteriaBuilder(parts=parts)
    ctx = {
        "org": org,
        "meta": meta,
        "builder": builder,
        "formset": builder.top,
        "presets": [(key, label) for key, label, *_ in PRESETS],
        "current": current,
        "conflict": conflict,
        "focus_on": focus_on,
        "breadcrumbs": presenters.breadcrumbs(
            org, ("Focus Patient group", f"/orgs/{org.ods_code}/focus/")
        ),
    }
    return render(request, "focus/edit.html", ctx)


def _meta_initial(data) -> dict[str, str]:
    """Keep what the user typed when the page is redrawn without saving."""
    return {k: data.get(k, "") for k in ("mode", "rationale", "data_sources", "based_on")}
