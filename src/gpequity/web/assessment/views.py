"""Assessment pages, including the practice dashboard. Views stay thin: access check,
call a selector or service, hand a presenter's output to the template."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from gpequity.web.core.dashboard import sections_for as dashboard_sections
from gpequity.web.core.firststeps import first_steps
from gpequity.web.orgs import access
from gpequity.web.orgs.models import OrgKind
from gpequity.web.plans import presenters as plan_presenters
from gpequity.web.plans import selectors as plan_selectors

from . import presenters, selectors, services
from .forms import AssessmentForm, CompareForm, SnapshotForm
from .models import Evidence, Snapshot, Status

HISTORY_PAGE_SIZE = 25


def _org_for_write(user, ods_code: str, perm: str):
    """404 for people who cannot see the organisation, 403 for those who only may look."""
    org = access.get_org(user, ods_code, access.VIEW)
    if not access.can(user, org, perm):
        raise PermissionDenied("You can view this organisation but not change it.")
    return org


def _crumbs(org, *extra):
    return [(org.name, reverse("orgs:dashboard", args=[org.ods_code])), *extra]


def _assessment_crumb(org):
    return ("Self-assessment", reverse("assessment:overview", args=[org.ods_code]))


NEXT_ACTIONS_SHOWN = 5
DUE_SHOWN = 5


@login_required
def dashboard(request, ods_code: str):
    """What now: plan items overdue or due soon, the areas' own sections (HNA findings,
    engagement), the next few actions to the next tier, then where the practice stands."""
    org = access.get_org(request.user, ods_code, access.VIEW)
    ctx = {"org": org, "breadcrumbs": [("My organisations", reverse("orgs:list"))]}
    if org.kind != OrgKind.PRACTICE:
        ctx["practices"] = presenters.member_positions(request.user, org)
        ctx["sections"] = dashboard_sections(request.user, org)
        return render(request, "assessment/dashboard_group.html", ctx)
    position = selectors.position_for(org)
    next_tier = position.next_tier
    left = position.left_in(next_tier.key) if next_tier else []
    can_contribute = access.can(request.user, org, access.CONTRIBUTE)
    ctx.update(
        position=position,
        next_tier=next_tier,
        left_count=len(left),
        left=[
            {
                "action": a,
                "url": presenters.action_url(org, a.key),
                "tag": presenters.status_tag(position.status(a.key)),
            }
            for a in left[:NEXT_ACTIONS_SHOWN]
        ],
        tiers=presenters.progress_rows(position.by_tier),
        themes=presenters.progress_rows(position.by_theme),
        overall=presenters.progress_rows([position.overall])[0],
        recent=presenters.event_rows(selectors.recent_changes(org, limit=5), position.pack, org),
        can_contribute=can_contribute,
        statuses=Status.choices,
        due=plan_presenters.due_summary(org, shown=DUE_SHOWN),
        sections=dashboard_sections(request.user, org),
    )
    if can_contribute:
        steps = first_steps(org)
        if not all(s.done for s in steps):
            ctx["first_steps"] = steps
    return render(request, "assessment/dashboard.html", ctx)


@login_required
def overview(request, ods_code: str):
    """Every action grouped by tier then theme, with status tags; filter by status/theme."""
    org = access.get_org(request.user, ods_code, access.VIEW)
    position = selectors.position_for(org)
    status = request.GET.get("status", "")
    theme = request.GET.get("theme", "")
    status = status if status in Status.values else ""
    theme = theme if theme in {t.key for t in position.pack.themes} else ""
    groups = presenters.overview_groups(
        org, position, selectors.evidence_counts(org), status=status, theme=theme
    )
    ctx = {
        "org": org,
        "pack": position.pack,
        "groups": groups,
        "status": status,
        "theme": theme,
        "statuses": Status.choices,
        "overall": presenters.progress_rows([position.overall])[0],
        "shown": sum(len(t.items) for g in groups for t in g.themes),
        "breadcrumbs": _crumbs(org),
    }
    return render(request, "assessment/overview.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def action(request, ods_code: str, action_key: str):
    """One action: what it is, where we are, evidence, and its history."""
    if request.method == "POST":
        org = _org_for_write(request.user, ods_code, access.CONTRIBUTE)
    else:
        org = access.get_org(request.user, ods_code, access.VIEW)
    pack = selectors.pack_for(org)
    try:
        act = pack.action(action_key)
    except KeyError:
        raise Http404("No such action") from None
    entry = selectors.entry_for(org, action_key)
    conflict = None
    status_code = 200
    if request.method == "POST":
        form = AssessmentForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.assessment_save(
                    actor=request.user,
                    organisation=org,
                    action_key=action_key,
                    status=data["status"],
                    notes=data["notes"],
                    expected_version=data["version"],
                    evidence_text=data["evidence_text"],
                    evidence_url=data["evidence_url"],
                    upload=data["upload"],
                )
            except services.ConflictError as exc:
                entry = exc.current
                conflict = presenters.conflict_notice(entry)
                # Keep what the user typed; only the version moves on, so saving again is a
                # deliberate choice made after seeing the other change.
                fresh = request.POST.copy()
                fresh["version"] = str(entry.version)
                form = AssessmentForm(fresh)
                status_code = 409
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                status_code = 400
            else:
                messages.success(request, f"Saved “{act.title}”.")
                return redirect("assessment:action", ods_code=org.ods_code, action_key=action_key)
        else:
            status_code = 400
    else:
        form = AssessmentForm(
            initial={"status": entry.status, "notes": entry.notes, "version": entry.version}
        )
    evidence = list(selectors.evidence_for(org, action_key, include_removed=True))
    ctx = {
        "org": org,
        "pack": pack,
        "action": act,
        "tier": pack.tier(act.tier),
        "theme": pack.theme(act.theme),
        "entry": entry,
        "tag": presenters.status_tag(entry.status),
        "form": form,
        "conflict": conflict,
        "evidence": [e for e in evidence if e.removed_at is None],
        "removed": [e for e in evidence if e.removed_at is not None],
        "history": presenters.event_rows(selectors.action_history(org, action_key)[:50], pack, org),
        "can_contribute": access.can(request.user, org, access.CONTRIBUTE),
        "can_edit": access.can(request.user, org, access.EDIT),
        "plan_item": plan_selectors.plan_items(org).filter(action_key=action_key).first(),
        "breadcrumbs": _crumbs(org, _assessment_crumb(org)),
    }
    return render(request, "assessment/action.html", ctx, status=status_code)


@login_required
@require_POST
def evidence_remove(request, ods_code: str, action_key: str, evidence_id: int):
    return _evidence_change(
        request,
        ods_code,
        action_key,
        evidence_id,
        services.evidence_remove,
        "Removed “{}”. It is kept in the history and under “Removed evidence”.",
    )


@login_required
@require_POST
def evidence_restore(request, ods_code: str, action_key: str, evidence_id: int):
    return _evidence_change(
        request, ods_code, action_key, evidence_id, services.evidence_restore, "Restored “{}”."
    )


def _evidence_change(request, ods_code, action_key, evidence_id, change, message: str):
    org = _org_for_write(request.user, ods_code, access.CONTRIBUTE)
    evidence = get_object_or_404(
        Evidence, pk=evidence_id, entry__organisation=org, entry__action_key=action_key
    )
    change(actor=request.user, organisation=org, evidence_id=evidence.pk)
    messages.success(request, message.format(evidence.label))
    return redirect("assessment:action", ods_code=org.ods_code, action_key=action_key)


@login_required
def evidence_download(request, ods_code: str, evidence_id: int):
    """Serve an evidence file only after the access check; never from a public URL."""
    org = access.get_org(request.user, ods_code, access.VIEW)
    evidence = get_object_or_404(Evidence, pk=evidence_id, entry__organisation=org, kind="file")
    if not evidence.file:
        raise Http404("No file")
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def history(request, ods_code: str):
    """Every recorded change at the organisation, newest first, filterable by area."""
    org = access.get_org(request.user, ods_code, access.VIEW)
    entities = selectors.org_entities(org)
    entity = request.GET.get("entity", "")
    entity = entity if entity in entities else ""
    page = Paginator(selectors.org_history(org, entity=entity), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    pack = selectors.pack_for(org)
    ctx = {
        "org": org,
        "page": page,
        "rows": presenters.event_rows(
            selectors.without_private_fields(page.object_list, user=request.user, org=org),
            pack,
            org,
        ),
        "entity": entity,
        "entities": [(e, presenters.ENTITY_LABEL.get(e, e)) for e in entities],
        "breadcrumbs": _crumbs(org, _assessment_crumb(org)),
    }
    return render(request, "assessment/history.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def snapshots(request, ods_code: str):
    """Take a snapshot of the whole assessment, list them, and pick two to compare."""
    if request.method == "POST":
        org = _org_for_write(request.user, ods_code, access.EDIT)
    else:
        org = access.get_org(request.user, ods_code, access.VIEW)
    form = SnapshotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        snap = services.snapshot_take(
            actor=request.user, organisation=org, name=form.cleaned_data["name"]
        )
        messages.success(request, f"Snapshot “{snap.name}” taken.")
        return redirect("assessment:snapshots", ods_code=org.ods_code)
    items = list(selectors.snapshots_for(org))
    ctx = {
        "org": org,
        "form": form,
        "snapshots": items,
        "compare_form": CompareForm(
            initial={
                "a": str(items[1].pk) if len(items) > 1 else "",
                "b": str(items[0].pk) if items else "",
            },
            snapshots=items,
        ),
        "can_edit": access.can(request.user, org, access.EDIT),
        "breadcrumbs": _crumbs(org, _assessment_crumb(org)),
    }
    return render(request, "assessment/snapshots.html", ctx, status=400 if form.errors else 200)


@login_required
def snapshot_compare(request, ods_code: str):
    """Actions whose status changed between two snapshots of the same organisation."""
    org = access.get_org(request.user, ods_code, access.VIEW)
    items = list(selectors.snapshots_for(org))
    form = CompareForm(request.GET or None, snapshots=items)
    if not form.is_valid():
        messages.error(request, "Choose two snapshots of this organisation to compare.")
        return redirect("assessment:snapshots", ods_code=org.ods_code)
    a = get_object_or_404(Snapshot, pk=form.cleaned_data["a"], organisation=org)
    b = get_object_or_404(Snapshot, pk=form.cleaned_data["b"], organisation=org)
    pack = selectors.pack_for(org)
    changes = []
    for change in services.snapshot_compare(a, b):
        try:
            act = pack.action(change.action_key)
        except KeyError:
            act = None
        changes.append(
            {
                "change": change,
                "action": act,
                "url": presenters.action_url(org, change.action_key) if act else "",
                "before": presenters.status_tag(change.before),
                "after": presenters.status_tag(change.after),
            }
        )
    ctx = {
        "org": org,
        "a": a,
        "b": b,
        "changes": changes,
        "breadcrumbs": _crumbs(
            org,
            _assessment_crumb(org),
            ("Snapshots", reverse("assessment:snapshots", args=[org.ods_code])),
        ),
    }
    return render(request, "assessment/compare.html", ctx)
