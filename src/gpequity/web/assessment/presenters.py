"""Shape assessment data for templates: task lists, progress bars, readable history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gpequity.catalogue import Action, Pack
from gpequity.web.audit.models import AuditEvent
from gpequity.web.core.nav import cached_reverse
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation, OrgKind

from .models import AssessmentEntry, Status
from .selectors import Position, ProgressRow, pack_for

# NHS.UK tag colour per status. The tag always carries the status in words as well.
STATUS_TAG = {
    Status.NOT_STARTED: "nhsuk-tag--grey",
    Status.PLANNED: "nhsuk-tag--purple",
    Status.IN_PROGRESS: "nhsuk-tag--yellow",
    Status.IN_PLACE: "nhsuk-tag--green",
    Status.EMBEDDED: "nhsuk-tag--aqua-green",
}
STATUS_LABEL = dict(Status.choices)
ENTITY_LABEL = {
    "assessment": "Assessment",
    "evidence": "Evidence",
    "snapshot": "Snapshot",
    "plan_item": "Plan",
    "plan": "Plan",
    "focus_group": "Focus group",
    "membership": "Members",
    "invitation": "Invitations",
}


def status_tag(status: str) -> dict[str, str]:
    return {"label": STATUS_LABEL.get(status, status), "css": STATUS_TAG.get(status, "")}


def action_url(org: Organisation, key: str) -> str:
    return cached_reverse("assessment:action", (org.ods_code, key))


@dataclass(frozen=True)
class ActionItem:
    action: Action
    url: str
    tag: Mapping[str, str]
    evidence: int


@dataclass(frozen=True)
class ThemeGroup:
    key: str
    name: str
    items: list[ActionItem]


@dataclass(frozen=True)
class TierGroup:
    key: str
    name: str
    progress: Mapping[str, Any]
    themes: list[ThemeGroup]


def overview_groups(
    org: Organisation,
    position: Position,
    evidence_counts: Mapping[str, int],
    *,
    status: str = "",
    theme: str = "",
) -> list[TierGroup]:
    """Actions grouped by tier then theme, optionally filtered by status and theme."""
    pack = position.pack
    progress = {p["row"].key: p for p in progress_rows(position.by_tier)}
    groups = []
    for tier in pack.tiers:
        themes = []
        for th in pack.themes:
            if theme and th.key != theme:
                continue
            items = [
                ActionItem(
                    action=a,
                    url=action_url(org, a.key),
                    tag=status_tag(position.status(a.key)),
                    evidence=evidence_counts.get(a.key, 0),
                )
                for a in pack.actions_in(tier=tier.key, theme=th.key)
                if not status or position.status(a.key) == status
            ]
            if items:
                themes.append(ThemeGroup(th.key, th.name, items))
        if themes:
            groups.append(TierGroup(tier.key, tier.name, progress[tier.key], themes))
    return groups


def progress_rows(rows: Iterable[ProgressRow]) -> list[dict[str, Any]]:
    """Rows for a progress table: counts per status plus a bar, with numbers in words."""
    out = []
    for row in rows:
        out.append(
            {
                "row": row,
                "counts": [row.counts.get(s.value, 0) for s in Status],
                "bar_css": "" if row.reached else "app-progress__bar--partial",
                "summary": f"{row.done} of {row.total} in place or embedded ({row.percent}%)",
            }
        )
    return out


def describe_event(event: AuditEvent, pack: Pack | None = None) -> list[str]:
    """Plain-English lines saying what an audit event changed."""
    before, after = event.before or {}, event.after or {}
    lines: list[str] = []
    if event.entity == "assessment":
        if before.get("status") != after.get("status"):
            lines.append(
                f"Status changed from {STATUS_LABEL.get(before.get('status'), 'not recorded')} "
                f"to {STATUS_LABEL.get(after.get('status'), after.get('status'))}."
            )
        if before.get("notes", "") != after.get("notes", ""):
            lines.append("Notes changed." if after.get("notes") else "Notes cleared.")
    elif event.entity == "evidence":
        state = after if event.verb == "added" else before
        what = state.get("name") or state.get("url") or _clip(state.get("text", ""))
        kind = {"file": "File", "link": "Link", "text": "Written evidence"}.get(
            state.get("kind", ""), "Evidence"
        )
        lines.append(f"{kind} {event.verb}: {what}")
    elif event.entity == "snapshot":
        lines.append(f"Snapshot “{after.get('name', '')}” {event.verb}.")
    else:
        label = ENTITY_LABEL.get(event.entity, event.entity.replace("_", " ").capitalize())
        lines.append(f"{label} {event.verb}." + (f" {event.note}" if event.note else ""))
    return lines or [f"{event.entity} {event.verb}."]


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def event_rows(events: Iterable[AuditEvent], pack: Pack, org: Organisation) -> list[dict]:
    rows = []
    for e in events:
        title = ""
        if e.action_key:
            try:
                title = pack.action(e.action_key).title
            except KeyError:
                title = e.action_key
        rows.append(
            {
                "event": e,
                "area": ENTITY_LABEL.get(e.entity, e.entity.replace("_", " ").capitalize()),
                "action_title": title,
                "action_url": action_url(org, e.action_key) if title else "",
                "lines": describe_event(e, pack),
                "before": e.before,
                "after": e.after,
            }
        )
    return rows


def conflict_notice(current: AssessmentEntry) -> dict[str, Any]:
    """What the other person saved, for the conflict warning."""
    who = current.updated_by
    return {
        "who": (who.get_full_name() or who.get_username()) if who else "someone",
        "when": current.updated_at,
        "tag": status_tag(current.status),
        "notes": current.notes,
    }


def member_positions(user, org: Organisation) -> list[dict[str, Any]]:
    """For a PCN or ICB: each practice beneath it with its tier position when the practice
    shares its progress with this user's network (ADR 0026), else marked not shared."""
    if org.kind == OrgKind.PRACTICE:
        return []
    practices = list(access.practices_below(org).order_by("name"))
    shared = set(access.shared_practices(user, org, access.PROGRESS).values_list("pk", flat=True))
    statuses: dict[int, dict[str, str]] = {}
    for org_id, key, status in AssessmentEntry.objects.filter(organisation__in=shared).values_list(
        "organisation_id", "action_key", "status"
    ):
        statuses.setdefault(org_id, {})[key] = status
    rows = []
    for practice in practices:
        if practice.pk not in shared:
            rows.append({"org": practice, "shared": False})
            continue
        pos = Position(pack=pack_for(practice), statuses=statuses.get(practice.pk, {}))
        rows.append(
            {
                "org": practice,
                "shared": True,
                "reached": pos.reached_tier,
                "next": pos.next_tier,
                "left": len(pos.left_in(pos.next_tier.key)) if pos.next_tier else 0,
                "overall": pos.overall,
            }
        )
    return rows
