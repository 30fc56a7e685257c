"""A full JSON export of everything an organisation entered into gpequity.

It is the practice's own copy of its data (and what moving to another installation would
start from), so it holds every row the practice created: assessment entries with evidence
metadata (files themselves are not included), snapshots, Focus group versions, plan items,
cycles, measurements and the audit trail. People appear by username, name and role only;
never password hashes or e-mail addresses. In the directory's shortlists and problem reports,
people outside the organisation appear only by the name its pages show and an opaque ref
(ADR 30).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from gpequity import __version__
from gpequity.web.assessment.models import Evidence
from gpequity.web.audit.services import audit_for
from gpequity.web.directory.exports import org_export_part as directory_export
from gpequity.web.engagement.exchange import engagement_export
from gpequity.web.orgs.models import Organisation

from . import selectors

SCHEMA = "gpequity.org-export"
SCHEMA_VERSION = 1


def _v(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(selectors.as_number(value))
    return value


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def org_export(org: Organisation, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the organisation entered, as JSON-ready dicts (schema version 1)."""
    items = list(selectors.plan_items(org))
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "exported_at": _v(now or timezone.now()),
        "gpequity_version": __version__,
        "organisation": {
            "ods_code": org.ods_code,
            "name": org.name,
            "kind": org.kind,
            "parent": org.parent.ods_code if org.parent_id else None,
            "framework": org.framework,
            "created_at": _v(org.created_at),
        },
        "members": [
            {
                "username": m.user.get_username(),
                "name": m.user.get_full_name(),
                "role": m.role,
                "since": _v(m.created_at),
            }
            for m in selectors.members_of(org)
        ],
        "assessment": [_entry(e) for e in selectors.entries(org).values()],
        "snapshots": [
            {
                "name": s.name,
                "taken_at": _v(s.taken_at),
                "taken_by": _username(s.taken_by),
                "framework": s.framework,
                "data": s.data,
            }
            for s in org.assessment_snapshots.select_related("taken_by").order_by("taken_at", "id")
        ],
        "focus_group_versions": [
            {
                "version": v.version,
                "criteria": v.criteria,
                "description": v.description_text,
                "rationale": v.rationale,
                "data_sources": v.data_sources,
                "created_by": _username(v.created_by),
                "created_at": _v(v.created_at),
            }
            for v in selectors.focus_versions(org)
        ],
        "plan_items": [_plan_item(i) for i in items],
        "cycles": [
            {
                "plan_item": c.plan_item_id,
                "action_key": c.plan_item.action_key,
                "number": c.number,
                "plan": c.plan,
                "do": c.do,
                "study": c.study,
                "act": c.act,
                "started_on": _v(c.started_on),
                "completed_on": _v(c.completed_on),
                "created_at": _v(c.created_at),
            }
            for c in selectors.cycles(org)
        ],
        "measurements": [
            {
                "plan_item": m.plan_item_id,
                "action_key": m.plan_item.action_key,
                "measured_on": _v(m.measured_on),
                "value": _v(m.value),
                "note": m.note,
                "created_at": _v(m.created_at),
            }
            for m in selectors.measurements(org)
        ],
        "directory": directory_export(org),
        "engagement": engagement_export(org),
        "audit_events": [
            {
                "at": _v(a.created_at),
                "actor": a.actor_name,
                "entity": a.entity,
                "entity_id": a.entity_id,
                "action_key": a.action_key,
                "verb": a.verb,
                "before": a.before,
                "after": a.after,
                "note": a.note,
            }
            for a in audit_for(org).order_by("created_at", "id")
        ],
    }


def _entry(e) -> dict[str, Any]:
    evidence = Evidence.objects.filter(entry=e).select_related("added_by").order_by("id")
    return {
        "action_key": e.action_key,
        "status": e.status,
        "notes": e.notes,
        "version": e.version,
        "updated_by": _username(e.updated_by),
        "updated_at": _v(e.updated_at),
        "evidence": [
            {
                "kind": ev.kind,
                "text": ev.text,
                "url": ev.url,
                "file_name": ev.original_name,
                "content_type": ev.content_type,
                "size": ev.size,
                "added_by": _username(ev.added_by),
                "added_at": _v(ev.added_at),
                "removed_at": _v(ev.removed_at),
            }
            for ev in evidence
        ],
    }


def _plan_item(i) -> dict[str, Any]:
    return {
        "id": i.pk,
        "action_key": i.action_key,
        "title": i.title,
        "owner": _username(i.owner),
        "start_date": _v(i.start_date),
        "due_date": _v(i.due_date),
        "objective": i.objective,
        "measure_indicator": i.measure_indicator,
        "measure_text": i.measure_text,
        "baseline": _v(i.baseline),
        "target": _v(i.target),
        "unit": i.unit,
        "status": i.status,
        "version": i.version,
        "created_at": _v(i.created_at),
        "updated_at": _v(i.updated_at),
    }


def org_export_bytes(org: Organisation) -> bytes:
    return (json.dumps(org_export(org), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
