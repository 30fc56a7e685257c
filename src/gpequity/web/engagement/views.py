"""Engagement pages: dashboard, activities and their reach and review, partners, insights
("you said, we did"), evaluation plans and the evidence summary. Views stay thin: forms
check input, services write, presenters shape."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gpequity import engagement as eg
from gpequity.catalogue import load_pack
from gpequity.web.orgs import access

from . import exchange, forms, presenters, selectors, services
from .models import Activity, EvaluationPlan, Insight

NEED_EDIT = services.NEED_EDIT
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONFLICT = (
    "Someone else saved this while you were editing it. Your changes are kept below but not "
    "saved: check them and save again."
)


def _org(request, ods_code: str, perm: str = access.VIEW):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if perm != access.VIEW and not access.can(request.user, org, perm):
        raise PermissionDenied(NEED_EDIT)
    return org


def _url(name: str, org, *args) -> str:
    return reverse(f"engagement:{name}", args=[org.ods_code, *args])


def _crumbs(org, *extra):
    return presenters.breadcrumbs(org, *extra)


def _activity(org, activity_id: int) -> Activity:
    a = selectors.activity(org, activity_id)
    if a is None:
        raise Http404("No such activity")
    return a


def _insight(org, insight_id: int) -> Insight:
    i = selectors.insight(org, insight_id)
    if i is None:
        raise Http404("No such insight")
    return i


def _plan(org, plan_id: int) -> EvaluationPlan:
    p = selectors.evaluation_plan(org, plan_id)
    if p is None:
        raise Http404("No such evaluation plan")
    return p


def _errors_to_form(form, exc: ValidationError) -> None:
    for field, errs in exc.message_dict.items():
        target = field if field in form.fields else None
        if field == "action_keys":
            target = "action_codes"
        elif field == "band":
            target = "band_override"
        form.add_error(target, errs)


def _form_page(
    request,
    org,
    form,
    *,
    heading: str,
    caption: str,
    cancel: str,
    crumbs,
    button: str = "Save",
    intro: str = "",
):
    return render(
        request,
        "engagement/form.html",
        {
            "org": org,
            "form": form,
            "heading": heading,
            "caption": caption,
            "cancel": cancel,
            "button": button,
            "intro": intro,
            "breadcrumbs": crumbs,
        },
    )


# --------------------------------------------------------------------------- dashboard


def _date_param(request, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


@login_required
def dashboard(request, ods_code: str):
    org = _org(request, ods_code)
    on = selectors.today()
    start, end = presenters.default_period(on)
    start = _date_param(request, "from") or start
    end = _date_param(request, "to") or end
    if end < start:
        start, end = end, start
    ctx = {
        "org": org,
        "d": presenters.dashboard(org, start=start, end=end, on=on),
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": [(org.name, f"/orgs/{org.ods_code}/")],
    }
    return render(request, "engagement/dashboard.html", ctx)


# --------------------------------------------------------------------------- activities


@login_required
def activity_list(request, ods_code: str):
    org = _org(request, ods_code)
    rows = [presenters.activity_row(a) for a in selectors.activities(org)]
    ctx = {
        "org": org,
        "rows": rows,
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "engagement/activity_list.html", ctx)


def _activity_form(org, data=None, initial=None):
    return forms.ActivityForm(
        data,
        initial=initial,
        partners=selectors.partners(org),
        plan_items=selectors.plan_items(org),
        pack=load_pack(org.framework),
    )


@login_required
def activity_new(request, ods_code: str):
    org = _org(request, ods_code, access.EDIT)
    form = _activity_form(org, request.POST or None, initial={"payment": "none"})
    if request.method == "POST" and form.is_valid():
        try:
            a = services.activity_create(
                actor=request.user, organisation=org, data=form.service_data()
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Activity saved. Now add who it reached.")
            return redirect("engagement:activity", ods_code=org.ods_code, activity_id=a.pk)
    return render(
        request,
        "engagement/activity_form.html",
        {
            "org": org,
            "form": form,
            "heading": "Log an activity",
            "cancel": _url("activities", org),
            "breadcrumbs": _crumbs(org, ("Activities", _url("activities", org))),
        },
    )


@login_required
def activity_detail(request, ods_code: str, activity_id: int):
    org = _org(request, ods_code)
    a = _activity(org, activity_id)
    on = selectors.today()
    ctx = {
        "org": org,
        "a": a,
        "d": presenters.activity_detail(a),
        "insights": [
            presenters.insight_row(i, on) for i in selectors.insights(org).filter(activity=a)
        ],
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": _crumbs(org, ("Activities", _url("activities", org))),
    }
    return render(request, "engagement/activity.html", ctx)


def _activity_initial(a: Activity) -> dict:
    return {
        **{f: getattr(a, f) for f in services.ACTIVITY_FIELDS if f not in ("band",)},
        "band_override": a.band if a.band_overridden else "",
        "partners": list(a.partners.all()),
        "plan_items": list(a.plan_items.all()),
        "action_codes": presenters.action_codes(a),
        "version": a.version,
    }


@login_required
def activity_edit(request, ods_code: str, activity_id: int):
    org = _org(request, ods_code, access.EDIT)
    a = _activity(org, activity_id)
    form = _activity_form(org, request.POST or None, initial=_activity_initial(a))
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(
                actor=request.user,
                activity=a,
                expected_version=form.cleaned_data.get("version") or a.version,
                data=form.service_data(),
            )
        except services.Conflict as exc:
            data = request.POST.copy()
            data["version"] = str(exc.current.version)
            form = _activity_form(org, data)
            form.is_valid()
            form.add_error(None, CONFLICT)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Activity saved.")
            return redirect("engagement:activity", ods_code=org.ods_code, activity_id=a.pk)
    return render(
        request,
        "engagement/activity_form.html",
        {
            "org": org,
            "form": form,
            "heading": "Change activity",
            "cancel": _url("activity", org, a.pk),
            "breadcrumbs": _crumbs(
                org, ("Activities", _url("activities", org)), (a.title, _url("activity", org, a.pk))
            ),
        },
    )


@login_required
def reach_new(request, ods_code: str, activity_id: int):
    org = _org(request, ods_code, access.EDIT)
    a = _activity(org, activity_id)
    form = forms.ReachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reach_set(
                actor=request.user,
                activity=a,
                grouping=form.cleaned_data["grouping"],
                group=form.cleaned_data["group_key"],
                count=form.cleaned_data["count"],
                target=form.cleaned_data["target"],
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(
                    "group"
                    if field in ("grouping",)
                    else field
                    if field in form.fields
                    else "group",
                    errs,
                )
        else:
            messages.success(request, "People reached saved.")
            return redirect("engagement:activity", ods_code=org.ods_code, activity_id=a.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Add people reached",
        caption=a.title,
        cancel=_url("activity", org, a.pk),
        crumbs=_crumbs(
            org, ("Activities", _url("activities", org)), (a.title, _url("activity", org, a.pk))
        ),
        intro="Record how many people from a group took part. Counts only: nobody's name or "
        "details. Adding a group that is already recorded replaces its count.",
    )


@require_POST
@login_required
def reach_remove(request, ods_code: str, activity_id: int, reach_id: int):
    org = _org(request, ods_code, access.EDIT)
    a = _activity(org, activity_id)
    try:
        services.reach_remove(actor=request.user, activity=a, reach_id=reach_id)
    except ValidationError as exc:
        raise Http404("No such count") from exc
    messages.success(request, "Count removed.")
    return redirect("engagement:activity", ods_code=org.ods_code, activity_id=a.pk)


@login_required
def activity_review(request, ods_code: str, activity_id: int):
    org = _org(request, ods_code, access.EDIT)
    a = _activity(org, activity_id)
    initial = {
        "went_well": a.review_went_well,
        "do_differently": a.review_do_differently,
        "reviewed_on": a.reviewed_on or selectors.today(),
    }
    form = forms.ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.activity_review(actor=request.user, activity=a, **form.cleaned_data)
        messages.success(request, "Review saved.")
        return redirect("engagement:activity", ods_code=org.ods_code, activity_id=a.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Review this activity",
        caption=a.title,
        cancel=_url("activity", org, a.pk),
        crumbs=_crumbs(
            org, ("Activities", _url("activities", org)), (a.title, _url("activity", org, a.pk))
        ),
    )


@login_required
def partners(request, ods_code: str):
    org = _org(request, ods_code)
    can_edit = access.can(request.user, org, access.EDIT)
    form = forms.PartnerForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(NEED_EDIT)
        if form.is_valid():
            try:
                p = services.partner_add(actor=request.user, organisation=org, **form.cleaned_data)
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, f"'{p.name}' added to your partners.")
                return redirect("engagement:partners", ods_code=org.ods_code)
    ctx = {
        "org": org,
        "form": form,
        "partners": [
            (p, eg.PARTNER_KINDS[p.kind], p.activities.count()) for p in selectors.partners(org)
        ],
        "can_edit": can_edit,
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "engagement/partners.html", ctx)


# --------------------------------------------------------------------------- insights


@login_required
def insight_list(request, ods_code: str):
    org = _org(request, ods_code)
    on = selectors.today()
    qs = selectors.insights(org)
    show = request.GET.get("show", "")
    if show == "overdue":
        qs = selectors.overdue_insights(org, on)
    elif show == "open":
        qs = qs.filter(loop_closed_on__isnull=True)
    ctx = {
        "org": org,
        "rows": [presenters.insight_row(i, on) for i in qs],
        "show": show,
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "engagement/insight_list.html", ctx)


@login_required
def insight_new(request, ods_code: str):
    org = _org(request, ods_code, access.EDIT)
    initial = {"raised_on": selectors.today(), "times_raised": 1}
    if request.GET.get("activity", "").isdigit():
        initial["activity"] = int(request.GET["activity"])
    form = forms.InsightForm(
        request.POST or None,
        initial=initial,
        activities=selectors.activities(org),
        owners=services.owner_choices(org),
    )
    if request.method == "POST" and form.is_valid():
        try:
            i = services.insight_create(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Saved. Record your response when you have one.")
            return redirect("engagement:insight", ods_code=org.ods_code, insight_id=i.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Record what people said",
        caption=org.name,
        cancel=_url("insights", org),
        crumbs=_crumbs(org, ("You said, we did", _url("insights", org))),
    )


@login_required
def insight_detail(request, ods_code: str, insight_id: int):
    org = _org(request, ods_code)
    i = _insight(org, insight_id)
    ctx = {
        "org": org,
        "i": i,
        "row": presenters.insight_row(i, selectors.today()),
        "can_respond": services.may_respond(request.user, i),
        "breadcrumbs": _crumbs(org, ("You said, we did", _url("insights", org))),
    }
    return render(request, "engagement/insight.html", ctx)


def _check_respond(request, i: Insight) -> None:
    if not services.may_respond(request.user, i):
        raise PermissionDenied("You can only answer insights you own")


@login_required
def insight_respond(request, ods_code: str, insight_id: int):
    org = _org(request, ods_code)
    i = _insight(org, insight_id)
    _check_respond(request, i)
    initial = {
        "response": i.response,
        "response_reason": i.response_reason,
        "responded_on": i.responded_on or selectors.today(),
        "plan_item": i.plan_item_id,
        "action_taken": i.action_taken,
        "difference_made": i.difference_made,
    }
    form = forms.ResponseForm(
        request.POST or None, initial=initial, plan_items=selectors.plan_items(org)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.insight_respond(actor=request.user, insight=i, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Response saved.")
            return redirect("engagement:insight", ods_code=org.ods_code, insight_id=i.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Record your response",
        caption=f"You said: {i.theme}",
        cancel=_url("insight", org, i.pk),
        crumbs=_crumbs(
            org, ("You said, we did", _url("insights", org)), (i.theme, _url("insight", org, i.pk))
        ),
    )


@login_required
def insight_close(request, ods_code: str, insight_id: int):
    org = _org(request, ods_code)
    i = _insight(org, insight_id)
    _check_respond(request, i)
    initial = {
        "loop_closed_on": i.loop_closed_on or selectors.today(),
        "loop_methods": i.loop_methods,
        "loop_notes": i.loop_notes,
    }
    form = forms.CloseLoopForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.insight_close_loop(actor=request.user, insight=i, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Loop closed: people have been told what happened.")
            return redirect("engagement:insight", ods_code=org.ods_code, insight_id=i.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Close the loop",
        caption=f"You said: {i.theme}",
        cancel=_url("insight", org, i.pk),
        crumbs=_crumbs(
            org, ("You said, we did", _url("insights", org)), (i.theme, _url("insight", org, i.pk))
        ),
        intro="Record how and when you told people what you did about what they said.",
    )


# --------------------------------------------------------------------------- evaluation


@login_required
def evaluation_list(request, ods_code: str):
    org = _org(request, ods_code)
    ctx = {
        "org": org,
        "plans": list(selectors.evaluation_plans(org)),
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "engagement/evaluation_list.html", ctx)


def _plan_form(org, data=None, initial=None):
    return forms.EvaluationPlanForm(
        data,
        initial=initial,
        activities=selectors.activities(org),
        plan_items=selectors.plan_items(org),
    )


@login_required
def evaluation_new(request, ods_code: str):
    org = _org(request, ods_code, access.EDIT)
    initial = {}
    if request.GET.get("activity", "").isdigit():
        initial["activities"] = [int(request.GET["activity"])]
    form = _plan_form(org, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            p = services.evaluation_plan_create(
                actor=request.user, organisation=org, data=form.cleaned_data
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Evaluation plan saved. Now add its indicators.")
            return redirect("engagement:evaluation", ods_code=org.ods_code, plan_id=p.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Plan an evaluation",
        caption=org.name,
        cancel=_url("evaluations", org),
        crumbs=_crumbs(org, ("Evaluation plans", _url("evaluations", org))),
        intro="A logic model links what you put in to the difference you hope to make. "
        "Fill in what you can; you can come back to it.",
    )


@login_required
def evaluation_detail(request, ods_code: str, plan_id: int):
    org = _org(request, ods_code)
    p = _plan(org, plan_id)
    ctx = {
        "org": org,
        "p": p,
        "logic": [
            (label, getattr(p, "activities_text" if f == "activities" else f))
            for f, label in eg.LOGIC_MODEL.items()
        ],
        "indicators": [
            presenters.indicator_row(i) for i in p.indicators.select_related("plan_item")
        ],
        "activities": list(p.activities.all()),
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": _crumbs(org, ("Evaluation plans", _url("evaluations", org))),
    }
    return render(request, "engagement/evaluation.html", ctx)


@login_required
def evaluation_edit(request, ods_code: str, plan_id: int):
    org = _org(request, ods_code, access.EDIT)
    p = _plan(org, plan_id)
    initial = {f: getattr(p, f) for f in services.PLAN_FIELDS}
    initial.update(
        {"activities": list(p.activities.all()), "plan_item": p.plan_item_id, "version": p.version}
    )
    initial["activities_text"] = p.activities_text
    form = _plan_form(org, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_plan_update(
                actor=request.user,
                plan=p,
                expected_version=form.cleaned_data.get("version") or p.version,
                data=form.cleaned_data,
            )
        except services.Conflict as exc:
            data = request.POST.copy()
            data["version"] = str(exc.current.version)
            form = _plan_form(org, data)
            form.is_valid()
            form.add_error(None, CONFLICT)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Evaluation plan saved.")
            return redirect("engagement:evaluation", ods_code=org.ods_code, plan_id=p.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Change evaluation plan",
        caption=p.title,
        cancel=_url("evaluation", org, p.pk),
        crumbs=_crumbs(
            org,
            ("Evaluation plans", _url("evaluations", org)),
            (p.title, _url("evaluation", org, p.pk)),
        ),
    )


@login_required
def indicator_new(request, ods_code: str, plan_id: int):
    org = _org(request, ods_code, access.EDIT)
    p = _plan(org, plan_id)
    form = forms.IndicatorForm(request.POST or None, plan_items=selectors.plan_items(org))
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_add(actor=request.user, plan=p, data=form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Indicator added.")
            return redirect("engagement:evaluation", ods_code=org.ods_code, plan_id=p.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Add an indicator",
        caption=p.title,
        cancel=_url("evaluation", org, p.pk),
        crumbs=_crumbs(
            org,
            ("Evaluation plans", _url("evaluations", org)),
            (p.title, _url("evaluation", org, p.pk)),
        ),
    )


@login_required
def measurement_new(request, ods_code: str, plan_id: int, indicator_id: int):
    org = _org(request, ods_code, access.EDIT)
    p = _plan(org, plan_id)
    ind = selectors.indicator(p, indicator_id)
    if ind is None:
        raise Http404("No such indicator")
    form = forms.MeasurementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.evaluation_measurement_add(actor=request.user, indicator=ind, **form.cleaned_data)
        messages.success(request, "Measurement recorded.")
        return redirect("engagement:evaluation", ods_code=org.ods_code, plan_id=p.pk)
    return _form_page(
        request,
        org,
        form,
        heading="Record a measurement",
        caption=ind.name,
        cancel=_url("evaluation", org, p.pk),
        crumbs=_crumbs(
            org,
            ("Evaluation plans", _url("evaluations", org)),
            (p.title, _url("evaluation", org, p.pk)),
        ),
    )


# --------------------------------------------------------------------------- exports


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _stem(org, what: str) -> str:
    return f"{org.ods_code}-{what}-{selectors.today().isoformat()}"


@login_required
def activities_csv(request, ods_code: str):
    org = _org(request, ods_code)
    data = exchange.to_csv(exchange.ACTIVITY_COLUMNS, exchange.activity_rows(org))
    return _download(data, CSV_TYPE, _stem(org, "engagement-activities") + ".csv")


@login_required
def reach_csv(request, ods_code: str):
    org = _org(request, ods_code)
    data = exchange.to_csv(exchange.REACH_COLUMNS, exchange.reach_rows(org))
    return _download(data, CSV_TYPE, _stem(org, "engagement-reach") + ".csv")


@login_required
def insights_csv(request, ods_code: str):
    org = _org(request, ods_code)
    data = exchange.to_csv(exchange.INSIGHT_COLUMNS, exchange.insight_rows(org))
    return _download(data, CSV_TYPE, _stem(org, "you-said-we-did") + ".csv")


@login_required
def workbook(request, ods_code: str):
    org = _org(request, ods_code)
    return _download(exchange.to_xlsx(org), XLSX_TYPE, _stem(org, "engagement") + ".xlsx")


MAX_IMPORT_BYTES = 20 * 1024 * 1024


@login_required
def import_json(request, ods_code: str):
    """Replace the engagement log with the one in a JSON export (all or nothing)."""
    org = _org(request, ods_code, access.EDIT)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_IMPORT_BYTES:
                raise exchange.ImportProblem("The file is larger than 20 MB")
            data = json.loads(upload.read().decode("utf-8"))
            counts = exchange.engagement_import(actor=request.user, organisation=org, data=data)
        except UnicodeDecodeError:
            form.add_error("file", f"{upload.name}: the file is not UTF-8 text")
        except json.JSONDecodeError as exc:
            form.add_error(
                "file", f"{upload.name}: not valid JSON at line {exc.lineno}, column {exc.colno}"
            )
        except exchange.ImportProblem as exc:
            form.add_error("file", f"{upload.name}: {exc}. Nothing was changed.")
        else:
            messages.success(
                request,
                f"Imported {counts['activities']} activities, {counts['insights']} insights "
                f"and {counts['evaluation_plans']} evaluation plans.",
            )
            return redirect("engagement:dashboard", ods_code=org.ods_code)
    return render(
        request,
        "engagement/import.html",
        {"org": org, "form": form, "breadcrumbs": _crumbs(org)},
    )


@login_required
def evidence(request, ods_code: str):
    """Evidence of working with people and communities: a summary for a board or inspection."""
    org = _org(request, ods_code)
    on = selectors.today()
    start = _date_param(request, "from") or on - dt.timedelta(days=365)
    ctx = {
        "org": org,
        "e": presenters.evidence(org, start=start, end=on, on=on),
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "engagement/evidence.html", ctx)
