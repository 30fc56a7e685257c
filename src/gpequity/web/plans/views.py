"""Action plan pages: list, adopt, item, edit, cycles, measurements, my actions, due lists."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gpequity.catalogue import load_pack
from gpequity.web.orgs import access

from . import presenters, selectors, services
from .forms import ChooseActionForm, CycleForm, FilterForm, MeasurementForm, PlanItemForm
from .models import PlanItem


def _crumbs(org, *extra):
    return presenters.breadcrumbs(org, *extra)


def _plan_crumb(org):
    return ("Action plan", f"/orgs/{org.ods_code}/plan/")


def _item_or_404(org, item_id: int) -> PlanItem:
    item = selectors.plan_item(org, item_id)
    if item is None:
        raise Http404("No such plan item")
    return item


@login_required
def plan_list(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    owners = services.owner_choices(org)
    filters = FilterForm(request.GET or None, owners=owners)
    items = selectors.plan_items(org)
    if filters.is_valid():
        items = selectors.filter_items(items, **filters.cleaned_data)
    today = selectors.today()
    ctx = {
        "org": org,
        "rows": [presenters.item_row(i, today) for i in items],
        "filters": filters,
        "filtered": bool(request.GET),
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "plans/list.html", ctx)


@login_required
def plan_due(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    today = selectors.today()
    items = selectors.plan_items(org)
    ctx = {
        "org": org,
        "heading": "Overdue and due soon",
        "overdue": [presenters.item_row(i, today) for i in selectors.overdue(items)],
        "due_soon": [presenters.item_row(i, today) for i in selectors.due_soon(items)],
        "insights_overdue": _overdue_insights(org, today),
        "days": selectors.DUE_SOON_DAYS,
        "show_owner": True,
        "breadcrumbs": _crumbs(org, _plan_crumb(org)),
    }
    return render(request, "plans/due.html", ctx)


def _overdue_insights(org, today, owner=None) -> list:
    """What people said that is waiting for a response past its due date (engagement log)."""
    from gpequity.web.engagement import presenters as eng
    from gpequity.web.engagement import selectors as eng_selectors

    qs = eng_selectors.overdue_insights(org, today)
    return [eng.insight_row(i, today) for i in (qs.filter(owner=owner) if owner else qs)]


@login_required
def plan_mine(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    today = selectors.today()
    mine = selectors.plan_items(org).filter(owner=request.user)
    ctx = {
        "org": org,
        "heading": "My actions",
        "overdue": [presenters.item_row(i, today) for i in selectors.overdue(mine)],
        "due_soon": [presenters.item_row(i, today) for i in selectors.due_soon(mine)],
        "all_rows": [presenters.item_row(i, today) for i in mine],
        "insights_overdue": _overdue_insights(org, today, owner=request.user),
        "days": selectors.DUE_SOON_DAYS,
        "show_owner": False,
        "breadcrumbs": _crumbs(org, _plan_crumb(org)),
    }
    return render(request, "plans/due.html", ctx)


@login_required
def plan_choose(request, ods_code: str):
    """Pick an action to adopt (works without JavaScript: a GET form, then a POST button)."""
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.EDIT):
        raise PermissionDenied("Only the equity lead can add actions to the plan")
    pack = load_pack(org.framework)
    form = ChooseActionForm(request.GET or None, pack=pack)
    action = pack.action(form.cleaned_data["action"]) if form.is_valid() else None
    existing = selectors.plan_items(org).filter(action_key=action.key).first() if action else None
    ctx = {
        "org": org,
        "form": form,
        "action": action,
        "existing": existing,
        "breadcrumbs": _crumbs(org, _plan_crumb(org)),
    }
    return render(request, "plans/choose.html", ctx)


@require_POST
@login_required
def plan_adopt(request, ods_code: str, action_key: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    try:
        item = services.plan_item_adopt(actor=request.user, organisation=org, action_key=action_key)
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from exc
    messages.success(request, f"'{item.title}' is in the plan. Set its owner, dates and measure.")
    return redirect("plans:edit", ods_code=org.ods_code, item_id=item.pk)


@login_required
def plan_item(request, ods_code: str, item_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    item = _item_or_404(org, item_id)
    measurements = list(item.measurements.select_related("created_by"))
    ctx = {
        "org": org,
        "row": presenters.item_row(item, selectors.today()),
        "item": item,
        "action": _pack_action(org, item.action_key),
        "cycles": list(item.cycles.select_related("created_by")),
        "measurements": presenters.measurement_rows(measurements),
        "chart": presenters.run_chart_svg(item, measurements),
        "can_update": services.may_update(request.user, item),
        "breadcrumbs": _crumbs(org, _plan_crumb(org)),
        **_case_studies(request.user, org, item),
    }
    return render(request, "plans/item.html", ctx)


def _case_studies(user, org, item: PlanItem) -> dict:
    """Published case studies for the item's action, and whether the user can write one up."""
    from gpequity.web.casestudies import presenters as cs_presenters
    from gpequity.web.casestudies import selectors as cs_selectors

    return {
        "case_studies": [cs_presenters.card(c) for c in cs_selectors.for_action(item.action_key)],
        "can_write_up": access.can(user, org, access.CONTRIBUTE),
    }


def _initial(item: PlanItem) -> dict:
    return {
        "title": item.title,
        "owner": item.owner_id,
        "start_date": item.start_date,
        "due_date": item.due_date,
        "objective": item.objective,
        "measure_indicator": item.measure_indicator,
        "measure_text": item.measure_text,
        "baseline": item.baseline,
        "target": item.target,
        "unit": item.unit,
        "status": item.status,
        "version": item.version,
    }


@login_required
def plan_edit(request, ods_code: str, item_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    item = _item_or_404(org, item_id)
    if not services.may_update(request.user, item):
        raise PermissionDenied("You can only change plan items you own")
    owners = services.owner_choices(org)
    conflict = None
    if request.method == "POST":
        form = PlanItemForm(request.POST, owners=owners)
        if form.is_valid():
            changes = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            changes["measure_indicator"] = changes["measure_indicator"] or ""
            try:
                saved = services.plan_item_update(
                    actor=request.user,
                    item=item,
                    expected_version=form.cleaned_data["version"],
                    changes=changes,
                )
            except services.PlanConflict as exc:
                conflict = presenters.item_row(exc.current, selectors.today())
                data = request.POST.copy()
                data["version"] = str(exc.current.version)
                form = PlanItemForm(data, owners=owners)
                form.is_valid()
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, "Plan item saved.")
                return redirect("plans:item", ods_code=org.ods_code, item_id=saved.pk)
    else:
        form = PlanItemForm(initial=_initial(item), owners=owners)
    ctx = {
        "org": org,
        "item": item,
        "form": form,
        "conflict": conflict,
        "breadcrumbs": _crumbs(
            org, _plan_crumb(org), (item.title, f"/orgs/{org.ods_code}/plan/{item.pk}/")
        ),
    }
    return render(request, "plans/edit.html", ctx)


@login_required
def cycle_new(request, ods_code: str, item_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    item = _item_or_404(org, item_id)
    if not services.may_update(request.user, item):
        raise PermissionDenied("You can only record progress on plan items you own")
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cycle = services.cycle_add(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, f"Cycle {cycle.number} recorded.")
        return redirect("plans:item", ods_code=org.ods_code, item_id=item.pk)
    return _progress_page(request, org, item, form, "Record a plan-do-study-act cycle")


@login_required
def measurement_new(request, ods_code: str, item_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    item = _item_or_404(org, item_id)
    if not services.may_update(request.user, item):
        raise PermissionDenied("You can only record progress on plan items you own")
    form = MeasurementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.measurement_add(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, "Measurement recorded.")
        return redirect("plans:item", ods_code=org.ods_code, item_id=item.pk)
    return _progress_page(request, org, item, form, "Record a measurement")


def _progress_page(request, org, item, form, heading: str):
    ctx = {
        "org": org,
        "item": item,
        "form": form,
        "heading": heading,
        "measure": presenters.measure_label(item),
        "breadcrumbs": _crumbs(
            org, _plan_crumb(org), (item.title, f"/orgs/{org.ods_code}/plan/{item.pk}/")
        ),
    }
    return render(request, "plans/progress_form.html", ctx)


def _pack_action(org, action_key: str):
    """The framework action a plan item came from, or None if the pack no longer has it."""
    from gpequity.catalogue import load_pack

    try:
        return load_pack(org.framework).action(action_key)
    except KeyError:
        return None
