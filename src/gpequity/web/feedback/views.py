"""The practice's side of staff feedback: inbox, thread, replies, status, settings, link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gpequity.feedback import TOPICS
from gpequity.web.orgs import access
from gpequity.web.plans.models import PlanItem

from . import presenters, selectors, services
from .forms import ReplyForm, SettingsForm, UpdateForm
from .models import Feedback, Status


def _readable_org(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    if not selectors.can_read(request.user, org):
        raise PermissionDenied("Only the roles your practice chose may read staff feedback")
    return org


def _item(org, feedback_id) -> Feedback:
    item = Feedback.objects.filter(organisation=org, pk=feedback_id).first()
    if item is None:
        raise Http404("No such feedback")
    return item


@login_required
def inbox(request, ods_code: str):
    org = _readable_org(request, ods_code)
    services.feedback_release_due(organisation=org)
    channel = services.channel_get_or_create(organisation=org)
    topic = request.GET.get("topic", "")
    status = request.GET.get("status", "")
    topic = topic if topic in TOPICS else ""
    status = status if status in Status.values else ""
    items = selectors.inbox(org, topic=topic, status=status)
    ctx = {
        "org": org,
        "channel": channel,
        "groups": presenters.batches(items),
        "total": selectors.inbox(org).count(),
        "topic": topic,
        "status": status,
        "topics": list(TOPICS.items()),
        "statuses": Status.choices,
        "can_manage": access.can(request.user, org, access.MANAGE),
        "breadcrumbs": presenters.breadcrumbs(org),
    }
    return render(request, "feedback/inbox.html", ctx)


def _plan_choices(org):
    return [(str(p.pk), p.title) for p in PlanItem.objects.filter(organisation=org)]


def _item_context(request, org, item, *, reply_form=None, update_form=None) -> dict:
    can_manage = access.can(request.user, org, access.MANAGE)
    if update_form is None:
        update_form = UpdateForm(
            initial={
                "status": item.status,
                "plan_items": [str(p) for p in item.plan_items.values_list("pk", flat=True)],
                "we_did": item.we_did,
                "show_to_team": item.show_to_team,
                "version": item.version,
            },
            plan_choices=_plan_choices(org),
        )
    return {
        "org": org,
        "row": presenters.Row(item),
        "item": item,
        "thread": list(item.messages.all()),
        "plan_links": list(item.plan_items.all()),
        "can_manage": can_manage,
        "reply_form": reply_form or ReplyForm(),
        "update_form": update_form,
        "breadcrumbs": presenters.breadcrumbs(org, presenters.inbox_crumb(org)),
    }


@login_required
def item(request, ods_code: str, feedback_id):
    org = _readable_org(request, ods_code)
    return render(
        request, "feedback/item.html", _item_context(request, org, _item(org, feedback_id))
    )


@login_required
@require_POST
def reply(request, ods_code: str, feedback_id):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    fb = _item(org, feedback_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        services.feedback_reply(actor=request.user, feedback=fb, text=form.cleaned_data["text"])
        messages.success(request, "Reply sent. The writer reads it with their receipt code.")
        return redirect("feedback:item", ods_code=org.ods_code, feedback_id=fb.pk)
    ctx = _item_context(request, org, fb, reply_form=form)
    return render(request, "feedback/item.html", ctx, status=400)


@login_required
@require_POST
def update(request, ods_code: str, feedback_id):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    fb = _item(org, feedback_id)
    form = UpdateForm(request.POST, plan_choices=_plan_choices(org))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.feedback_update(
                actor=request.user,
                feedback=fb,
                expected_version=data["version"],
                status=data["status"],
                we_did=data["we_did"],
                show_to_team=data["show_to_team"],
                plan_item_ids=[int(p) for p in data["plan_items"]],
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        except services.FeedbackConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Feedback updated.")
            return redirect("feedback:item", ods_code=org.ods_code, feedback_id=fb.pk)
    ctx = _item_context(request, org, fb, update_form=form)
    return render(request, "feedback/item.html", ctx, status=400)


@login_required
def settings_page(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    channel = services.channel_get_or_create(organisation=org)
    initial = {
        "readers": channel.readers,
        "min_batch": channel.min_batch,
        "max_wait_days": channel.max_wait_days,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field, errs)
        else:
            messages.success(request, "Feedback settings saved.")
            return redirect("feedback:inbox", ods_code=org.ods_code)
    ctx = {
        "org": org,
        "form": form,
        "breadcrumbs": presenters.breadcrumbs(org, presenters.inbox_crumb(org)),
    }
    return render(request, "feedback/settings.html", ctx, status=400 if form.errors else 200)


@login_required
def link(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    channel = services.channel_get_or_create(organisation=org)
    url = presenters.link_url(request, channel)
    ctx = {
        "org": org,
        "url": url,
        "qr": presenters.qr_svg(url, title=f"QR code for the staff feedback page of {org.name}"),
        "breadcrumbs": presenters.breadcrumbs(org, presenters.inbox_crumb(org)),
    }
    return render(request, "feedback/link.html", ctx)


@login_required
@require_POST
def link_replace(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    services.channel_replace_link(actor=request.user, organisation=org)
    messages.success(
        request, "New feedback address made. The old one no longer works: replace any posters."
    )
    return redirect("feedback:link", ods_code=org.ods_code)


@login_required
def poster(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.MANAGE)
    channel = services.channel_get_or_create(organisation=org)
    url = presenters.link_url(request, channel)
    ctx = {
        "org": org,
        "url": url,
        "protects_url": request.build_absolute_uri(reverse("staff_feedback:protects")),
        "qr": presenters.qr_svg(url, title=f"QR code for the staff feedback page of {org.name}"),
        "min_batch": channel.min_batch,
        "breadcrumbs": presenters.breadcrumbs(
            org,
            presenters.inbox_crumb(org),
            ("Feedback address", reverse("feedback:link", args=[org.ods_code])),
        ),
    }
    return render(request, "feedback/poster.html", ctx)


@login_required
def you_said(request, ods_code: str):
    org = access.get_org(request.user, ods_code, access.VIEW)
    ctx = {
        "org": org,
        "rows": [presenters.Row(f) for f in selectors.you_said_we_did(org)],
        "breadcrumbs": presenters.breadcrumbs(org),
    }
    return render(request, "feedback/you_said.html", ctx)
