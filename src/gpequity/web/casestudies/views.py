"""Case-study pages: the public library, the organisation's own case studies, the review
queue and the staff page that grants the reviewer role. Views stay thin."""

from __future__ import annotations

import csv
import io
import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gpequity.casestudies import cells, checklist, workflow
from gpequity.catalogue import DEFAULT_PACK, load_pack
from gpequity.web.orgs import access

from . import presenters, selectors, services
from .forms import CaseStudyForm, FilterForm, NoteForm, ReviewForm
from .models import CaseStudy


def _library_crumbs(*extra):
    return [("Home", reverse("home")), ("Case studies", reverse("casestudies:library")), *extra]


def _org_crumbs(org, *extra):
    return [
        (org.name, f"/orgs/{org.ods_code}/"),
        ("Case studies", reverse("casestudies:org_list", args=[org.ods_code])),
        *extra,
    ]


def reviewer_required(view):
    """Reviewers only: sign-in for visitors, 404 for everyone else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_reviewer(request.user):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


# The public library -------------------------------------------------------------------
@require_GET
def library(request):
    pack = load_pack(DEFAULT_PACK)
    form = FilterForm(request.GET or None, pack=pack)
    filters = selectors.Filters()
    if form.is_valid():
        filters = selectors.Filters(**form.cleaned_data)
    rows = [presenters.card(c) for c in selectors.search(filters)]
    ctx = {
        "form": form,
        "rows": rows,
        "filtered": any(v for v in vars(filters).values()),
        "is_reviewer": selectors.is_reviewer(request.user),
        "orgs": list(access.visible_organisations(request.user)[:20])
        if request.user.is_authenticated
        else [],
        "breadcrumbs": [("Home", reverse("home"))],
    }
    return render(request, "casestudies/library.html", ctx)


def _public(case_id: int) -> CaseStudy:
    case = selectors.published_one(case_id)
    if case is None:
        raise Http404("No such case study")
    return case


@require_GET
def detail(request, case_id: int):
    case = _public(case_id)
    ctx = {
        "body": presenters.body(case),
        "breadcrumbs": _library_crumbs(),
    }
    return render(request, "casestudies/detail.html", ctx)


@require_GET
def print_page(request, case_id: int):
    case = _public(case_id)
    return render(request, "casestudies/print.html", {"body": presenters.body(case)})


@require_GET
def pdf(request, case_id: int):
    from weasyprint import HTML

    case = _public(case_id)
    html = render_to_string(
        "casestudies/print.html", {"body": presenters.body(case), "for_pdf": True}
    )
    data = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        pdf_variant="pdf/ua-1"  # tagged for screen readers, as every PDF the app makes
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-study-{case.pk}.pdf"'
    return response


@require_GET
def export_json(request):
    base = request.build_absolute_uri("/").rstrip("/")
    records = [presenters.public_record(c, base) for c in selectors.published()]
    body = json.dumps({"case_studies": records}, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="case-studies.json"'
    return response


@require_GET
def export_csv(request):
    base = request.build_absolute_uri("/").rstrip("/")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(presenters.EXPORT_FIELDS)
    for case in selectors.published():
        record = presenters.public_record(case, base)
        writer.writerow([_csv_cell(record[f]) for f in presenters.EXPORT_FIELDS])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="case-studies.csv"'
    return response


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    return cells.escape(str(value))


# The organisation's own case studies -------------------------------------------------
@login_required
def org_list(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    rows = [
        {"case": c, "tag": presenters.state_tag(c), "actions": presenters.actions(c)}
        for c in selectors.of_organisation(org)
    ]
    ctx = {
        "org": org,
        "rows": rows,
        "can_write": access.can(request.user, org, access.CONTRIBUTE),
        "breadcrumbs": [(org.name, f"/orgs/{org.ods_code}/")],
    }
    return render(request, "casestudies/org_list.html", ctx)


def _own_or_404(org, case_id: int) -> CaseStudy:
    case = selectors.own(org, case_id)
    if case is None:
        raise Http404("No such case study")
    return case


@login_required
@require_http_methods(["GET", "POST"])
def new(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.CONTRIBUTE):
        raise PermissionDenied("You cannot write case studies for this organisation")
    return _editor(request, org, None)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, ods_code: str, case_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.CONTRIBUTE):
        raise PermissionDenied("You cannot change this organisation's case studies")
    case = _own_or_404(org, case_id)
    if case.state not in workflow.EDITABLE_STATES:
        messages.info(
            request, f"This case study is {case.state_label.lower()}: it cannot be changed now."
        )
        return redirect("casestudies:own", ods_code=org.ods_code, case_id=case.pk)
    return _editor(request, org, case)


def _editor(request, org, case: CaseStudy | None):
    pack = load_pack(org.framework)
    conflict = False
    if request.method == "POST":
        form = CaseStudyForm(request.POST, pack=pack)
        if form.is_valid():
            try:
                if case is None:
                    saved = services.case_study_create(
                        actor=request.user, organisation=org, fields=form.changes()
                    )
                else:
                    saved = services.case_study_update(
                        actor=request.user,
                        case_study=case,
                        expected_version=form.cleaned_data["version"],
                        changes=form.changes(),
                    )
            except services.CaseStudyConflict as exc:
                conflict = True
                data = request.POST.copy()
                data["version"] = str(exc.current.version)
                form = CaseStudyForm(data, pack=pack)
                form.is_valid()
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    target = "action_1" if field == "action_keys" else field
                    form.add_error(target if target in form.fields else None, errs)
            else:
                messages.success(request, "Case study saved.")
                return redirect("casestudies:own", ods_code=org.ods_code, case_id=saved.pk)
    else:
        initial = CaseStudyForm.initial_for(case) if case else {"version": 0, **_defaults(org)}
        form = CaseStudyForm(initial=initial, pack=pack)
    crumbs = _org_crumbs(org)
    if case is not None:
        crumbs.append((case.title, reverse("casestudies:own", args=[org.ods_code, case.pk])))
    ctx = {
        "org": org,
        "case": case,
        "form": form,
        "conflict": conflict,
        "breadcrumbs": crumbs,
    }
    return render(request, "casestudies/edit.html", ctx)


def _defaults(org) -> dict:
    from .services import _region_defaults

    return _region_defaults(org)


@login_required
def own(request, ods_code: str, case_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    case = _own_or_404(org, case_id)
    can_edit = access.can(request.user, org, access.EDIT)
    moves = workflow.available(case.state, workflow.AUTHOR) if can_edit else []
    ctx = {
        "org": org,
        "case": case,
        "tag": presenters.state_tag(case),
        "body": presenters.body(case),
        "notes": list(selectors.notes(case)),
        "note_form": NoteForm(),
        "moves": moves,
        "problems": services.submission_problems(case)
        if case.state in workflow.EDITABLE_STATES
        else {},
        "can_write": access.can(request.user, org, access.CONTRIBUTE),
        "editable": case.state in workflow.EDITABLE_STATES,
        "breadcrumbs": _org_crumbs(org),
    }
    return render(request, "casestudies/own.html", ctx)


@require_POST
@login_required
def transition(request, ods_code: str, case_id: int):
    """The organisation's moves: send for review, withdraw from the library."""
    org = access.get_org(request.user, ods_code, access.VIEW)
    case = _own_or_404(org, case_id)
    action = request.POST.get("action", "")
    if action not in {t.action for t in workflow.TRANSITIONS if t.who == workflow.AUTHOR}:
        raise Http404("No such action")
    try:
        case = services.case_study_transition(actor=request.user, case_study=case, action=action)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Case study {case.state_label.lower()}.")
    return redirect("casestudies:own", ods_code=org.ods_code, case_id=case.pk)


@require_POST
@login_required
def note(request, ods_code: str, case_id: int):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.CONTRIBUTE):
        raise PermissionDenied("You cannot add notes here")
    case = _own_or_404(org, case_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.review_note_add(
            actor=request.user, case_study=case, text=form.cleaned_data["note"]
        )
        messages.success(request, "Note added.")
    else:
        messages.error(request, "Enter a note")
    return redirect("casestudies:own", ods_code=org.ods_code, case_id=case.pk)


@require_POST
@login_required
def from_plan(request, ods_code: str, item_id: int):
    """Write up a plan item as a case study: a prefilled draft, then its editor."""
    from gpequity.web.plans import selectors as plan_selectors

    org = access.get_org(request.user, ods_code, access.VIEW)
    if not access.can(request.user, org, access.CONTRIBUTE):
        raise PermissionDenied("You cannot write case studies for this organisation")
    item = plan_selectors.plan_item(org, item_id)
    if item is None:
        raise Http404("No such plan item")
    case = services.case_study_from_plan_item(actor=request.user, item=item)
    messages.success(
        request,
        "A draft case study was made from the plan item. Check it, add what is missing, "
        "then send it for review.",
    )
    return redirect("casestudies:edit", ods_code=org.ods_code, case_id=case.pk)


# Reviewers ---------------------------------------------------------------------------
@reviewer_required
@require_GET
def queue(request):
    services.mark_reviews_due()
    rows = [
        {"case": c, "tag": presenters.state_tag(c), "actions": presenters.actions(c)}
        for c in selectors.queue()
    ]
    ctx = {"rows": rows, "breadcrumbs": _library_crumbs()}
    return render(request, "casestudies/queue.html", ctx)


@reviewer_required
@require_http_methods(["GET", "POST"])
def review(request, case_id: int):
    case = selectors.for_review(case_id)
    if case is None:
        raise Http404("No such case study")
    form = ReviewForm(
        request.POST or None, initial={"checks": [k for k, v in case.checklist.items() if v]}
    )
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "")
        if action not in {t.action for t in workflow.TRANSITIONS if t.who == workflow.REVIEWER}:
            raise Http404("No such action")
        checks = dict.fromkeys(form.cleaned_data["checks"], True)
        try:
            case = services.case_study_transition(
                actor=request.user,
                case_study=case,
                action=action,
                note=form.cleaned_data["note"],
                checks=checks,
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                target = "checks" if field == "checklist" else field
                form.add_error(target if target in form.fields else None, errs)
        else:
            messages.success(request, f"Case study {case.state_label.lower()}.")
            return redirect("casestudies:review", case_id=case.pk)
    text = " ".join(getattr(case, f) for f, _ in presenters.SECTIONS)
    ctx = {
        "case": case,
        "tag": presenters.state_tag(case),
        "body": presenters.body(case),
        "notes": list(selectors.notes(case)),
        "form": form,
        "moves": workflow.available(case.state, workflow.REVIEWER),
        "hints": checklist.patient_detail_hints(
            " ".join([text, case.title, case.staff_time, case.duration])
        ),
        "own_org": access.can(request.user, case.organisation, access.VIEW)
        and not request.user.is_staff,
        "breadcrumbs": _library_crumbs(("Review queue", reverse("casestudies:queue"))),
    }
    return render(request, "casestudies/review.html", ctx)


@staff_required
@require_http_methods(["GET", "POST"])
def reviewers(request):
    users = get_user_model().objects
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        user = users.filter(username=username).first()
        if user is None:
            messages.error(request, f"There is no user called '{username}'.")
        elif request.POST.get("action") == "revoke":
            services.reviewer_revoke(actor=request.user, user=user)
            messages.success(request, f"{username} is no longer a case-study reviewer.")
        else:
            services.reviewer_grant(actor=request.user, user=user)
            messages.success(request, f"{username} can now review case studies.")
        return redirect("casestudies:reviewers")
    ctx = {"grants": list(selectors.reviewers()), "breadcrumbs": _library_crumbs()}
    return render(request, "casestudies/reviewers.html", ctx)
