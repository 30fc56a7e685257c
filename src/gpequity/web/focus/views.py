"""Focus Patient group pages: the current definition, the builder, versions, download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from gpequity.hna.criteria import Group
from gpequity.web.orgs import access

from . import presenters, selectors, services
from .forms import (
    PREFIX,
    PRESET_ROWS,
    PRESETS,
    ConditionFormSet,
    FocusMetaForm,
    rows_from_criteria,
    rows_from_post,
)


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
    if request.method == "POST":
        meta = FocusMetaForm(request.POST)
        rows = rows_from_post(request.POST)
        preset = request.POST.get("preset")
        if "add_row" in request.POST or preset in PRESET_ROWS:
            rows.append(dict(PRESET_ROWS[preset]) if preset in PRESET_ROWS else {})
            formset = ConditionFormSet(prefix=PREFIX, initial=rows)
            meta = FocusMetaForm(initial=_meta_initial(request.POST))
        else:
            formset = ConditionFormSet(request.POST, prefix=PREFIX)
            if meta.is_valid() and formset.is_valid():
                criteria = Group(meta.cleaned_data["mode"], formset.conditions())
                try:
                    saved = services.focus_group_save(
                        actor=request.user,
                        organisation=org,
                        criteria=criteria,
                        rationale=meta.cleaned_data["rationale"],
                        data_sources=meta.cleaned_data["data_sources"],
                        based_on=meta.cleaned_data["based_on"],
                    )
                except services.FocusConflict as exc:
                    conflict = presenters.version_row(exc.current)
                    meta = FocusMetaForm(
                        initial=_meta_initial(request.POST) | {"based_on": exc.current.version}
                    )
                    formset = ConditionFormSet(prefix=PREFIX, initial=rows)
                except ValidationError as exc:
                    meta.add_error(None, exc)
                else:
                    messages.success(request, f"Focus group saved as version {saved.version}.")
                    return redirect("focus:detail", ods_code=org.ods_code)
    else:
        mode, rows = "any", [{}]
        if current is not None:
            mode, rows = rows_from_criteria(current.criteria) or ("any", [{}])
        meta = FocusMetaForm(
            initial={
                "mode": mode,
                "rationale": current.rationale if current else "",
                "data_sources": current.data_sources if current else "",
                "based_on": current.version if current else 0,
            }
        )
        formset = ConditionFormSet(prefix=PREFIX, initial=rows or [{}])
    ctx = {
        "org": org,
        "meta": meta,
        "formset": formset,
        "presets": [(key, label) for key, label, *_ in PRESETS],
        "current": current,
        "nested": current is not None and rows_from_criteria(current.criteria) is None,
        "conflict": conflict,
        "breadcrumbs": presenters.breadcrumbs(
            org, ("Focus Patient group", f"/orgs/{org.ods_code}/focus/")
        ),
    }
    return render(request, "focus/edit.html", ctx)


def _meta_initial(data) -> dict[str, str]:
    """Keep what the user typed when the page is redrawn without saving."""
    return {k: data.get(k, "") for k in ("mode", "rationale", "data_sources", "based_on")}
