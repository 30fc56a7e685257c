"""The site staff area: create organisations one at a time or from a CSV file, and invite
each one's first lead. Only site staff (``is_staff``) see it; everyone else gets 404."""

from __future__ import annotations

import hashlib
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gpequity import ods
from gpequity.web.orgs import services
from gpequity.web.orgs.models import Organisation, OrgKind

from .forms import OrganisationForm, OrganisationsFileForm

SESSION_KEY = "staff_bulk_load"


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


def _crumbs(*extra):
    return [("Site staff", reverse("staff:index")), *extra]


@staff_required
def index(request):
    orgs = (
        Organisation.objects.select_related("parent")
        .annotate(n_members=Count("memberships", distinct=True))
        .order_by("kind", "name")
    )
    groups = [
        (label, [o for o in orgs if o.kind == kind])
        for kind, label in (
            (OrgKind.ICB, "ICBs"),
            (OrgKind.PCN, "PCNs"),
            (OrgKind.PRACTICE, "Practices"),
        )
    ]
    return render(request, "staff/index.html", {"groups": groups, "total": len(orgs)})


@staff_required
def org_new(request):
    form = OrganisationForm(request.POST or None, initial={"kind": OrgKind.PRACTICE})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            org = services.organisation_add(
                actor=request.user,
                kind=data["kind"],
                ods_code=data["ods_code"],
                name=data["name"],
                parent_ods_code=data["parent"],
            )
            note = f"{org.name} ({org.ods_code}) created."
            if data["lead_email"]:
                outcome, _ = services.member_add(
                    actor=request.user,
                    organisation=org,
                    email=data["lead_email"],
                    role=services.LEAD_ROLE[OrgKind(org.kind)],
                    base_url=request.build_absolute_uri("/"),
                )
                note += (
                    f" Invitation sent to {data['lead_email']}."
                    if outcome == "invited"
                    else f" {data['lead_email']} already had an account and is now its lead."
                )
            messages.success(request, note)
            return redirect("staff:index")
        status = 400
    return render(
        request,
        "staff/org_form.html",
        {"form": form, "breadcrumbs": _crumbs()},
        status=status,
    )


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@staff_required
def bulk_upload(request):
    form = OrganisationsFileForm(request.POST or None, request.FILES or None)
    ctx = {"form": form, "breadcrumbs": _crumbs()}
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            rows, problems = services.organisations_preview(upload["text"])
            if not problems and not rows:
                form.add_error("file", "The file has a header but no organisations.")
            elif problems:
                ctx.update(problems=problems, source_name=upload["name"])
            else:
                request.session[SESSION_KEY] = {
                    "name": upload["name"],
                    "text": upload["text"],
                    "fingerprint": _fingerprint(upload["text"]),
                }
                return redirect("staff:bulk_preview")
        return render(request, "staff/bulk_upload.html", ctx, status=400)
    return render(request, "staff/bulk_upload.html", ctx)


def _pending(request):
    pending = request.session.get(SESSION_KEY)
    if not pending:
        messages.error(request, "There is no file waiting to be loaded: upload it again.")
    return pending


@staff_required
def bulk_preview(request):
    pending = _pending(request)
    if not pending:
        return redirect("staff:bulk_upload")
    rows, problems = services.organisations_preview(pending["text"])
    return render(
        request,
        "staff/bulk_preview.html",
        {
            "pending": pending,
            "rows": [
                {"row": r, "kind": ods.KIND_LABELS[r.kind]} for r in ods.in_parent_order(rows)
            ],
            "problems": problems,
            "breadcrumbs": _crumbs(("Load organisations", reverse("staff:bulk_upload"))),
        },
    )


@require_POST
@staff_required
def bulk_apply(request):
    pending = _pending(request)
    if not pending:
        return redirect("staff:bulk_upload")
    if request.POST.get("fingerprint") != pending["fingerprint"]:
        messages.error(request, "The file waiting to be loaded has changed: check it again.")
        return redirect("staff:bulk_preview")
    try:
        created = services.organisations_import(actor=request.user, text=pending["text"])
    except services.BulkLoadFailed:
        messages.error(request, "Nothing was loaded: the file no longer fits what is stored.")
        return redirect("staff:bulk_preview")
    del request.session[SESSION_KEY]
    messages.success(
        request, f"{len(created)} organisation{'s' if len(created) != 1 else ''} loaded."
    )
    return redirect("staff:index")


@require_POST
@staff_required
def bulk_cancel(request):
    request.session.pop(SESSION_KEY, None)
    messages.success(request, "Nothing was loaded.")
    return redirect("staff:index")
