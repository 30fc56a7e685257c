"""Organisation list, members and invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import access, services
from .forms import AcceptInvitationForm, InviteForm
from .models import Membership


@login_required
def org_list(request):
    orgs = access.visible_organisations(request.user).select_related("parent")
    rows = [(o, access.role_at(request.user, o)) for o in orgs]
    return render(request, "orgs/list.html", {"rows": rows})


@login_required
def members(request, ods_code):
    org = access.get_org(request.user, ods_code, access.VIEW)
    can_manage = access.can(request.user, org, access.MANAGE)
    ctx = {
        "org": org,
        "memberships": org.memberships.select_related("user").order_by("role", "user__username"),
        "can_manage": can_manage,
        "invitations": org.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        if can_manage
        else [],
        "breadcrumbs": [(org.name, f"/orgs/{org.ods_code}/")],
    }
    return render(request, "orgs/members.html", ctx)


@login_required
def invite(request, ods_code):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    form = InviteForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        services.invitation_create(
            actor=request.user,
            organisation=org,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            base_url=request.build_absolute_uri("/"),
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("orgs:members", ods_code=org.ods_code)
    return render(
        request,
        "orgs/invite.html",
        {"org": org, "form": form, "breadcrumbs": [(org.name, f"/orgs/{org.ods_code}/")]},
    )


@require_POST
@login_required
def remove_member(request, ods_code, membership_id):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    membership = get_object_or_404(Membership, pk=membership_id, organisation=org)
    try:
        services.membership_remove(actor=request.user, membership=membership)
        messages.success(request, "Member removed.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("orgs:members", ods_code=org.ods_code)


def accept_invitation(request, token):
    inv = services.invitation_lookup(token)
    if inv is None:
        raise Http404("Invitation not found")
    if request.user.is_authenticated:
        if request.method == "POST":
            services.invitation_accept(token=token, user=request.user)
            messages.success(request, f"You have joined {inv.organisation.name}.")
            return redirect("orgs:dashboard", ods_code=inv.organisation.ods_code)
        return render(request, "orgs/accept.html", {"inv": inv, "form": None})
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {inv.organisation.name}.")
            return redirect("orgs:dashboard", ods_code=inv.organisation.ods_code)
    return render(request, "orgs/accept.html", {"inv": inv, "form": form})
