"""The engagement log in and out: the ``engagement`` section of the organisation's JSON export,
its all-or-nothing import, and CSV / XLSX of activities, reach and insights.

Spreadsheet cells that a spreadsheet would run as a formula are escaped with a leading
apostrophe (gpequity.engagement.escape_cell) and read back unescaped, so what people typed
comes back exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from gpequity import engagement as eg
from gpequity.catalogue import vocab
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans.models import PlanItem

from . import presenters, selectors, services
from .models import Activity, EvaluationPlan, Insight, Partner

SECTION_VERSION = 1


def _v(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return presenters.number(value)
    return value


def _user(user) -> str | None:
    return user.get_username() if user is not None else None


# --------------------------------------------------------------------------- JSON export


def engagement_export(org: Organisation) -> dict[str, Any]:
    """Everything in the engagement log. Activities are numbered by ``ref`` so insights and
    evaluation plans can point at them; plan items are named by their toolkit action key."""
    acts = list(
        selectors.activities(org)
        .order_by("start_date", "id")
        .prefetch_related("partners", "plan_items", "reach")
    )
    ref = {a.pk: n + 1 for n, a in enumerate(acts)}
    return {
        "version": SECTION_VERSION,
        "partners": [{"name": p.name, "kind": p.kind} for p in selectors.partners(org)],
        "activities": [
            {
                "ref": ref[a.pk],
                **{f: _v(getattr(a, f)) for f in services.ACTIVITY_FIELDS},
                "band_overridden": a.band_overridden,
                "partners": sorted(p.name for p in a.partners.all()),
                "plan_items": sorted(p.action_key for p in a.plan_items.all()),
                "reach": [
                    {"grouping": r.grouping, "group": r.group, "count": r.count, "target": r.target}
                    for r in a.reach.all()
                ],
                "review": {
                    "went_well": a.review_went_well,
                    "do_differently": a.review_do_differently,
                    "reviewed_on": _v(a.reviewed_on),
                },
                "created_by": _user(a.created_by),
                "created_at": a.created_at.isoformat(),
            }
            for a in acts
        ],
        "insights": [
            {
                **{f: _v(getattr(i, f)) for f in services.INSIGHT_FIELDS},
                "activity": ref.get(i.activity_id),
                "owner": _user(i.owner),
                "plan_item": i.plan_item.action_key if i.plan_item_id else None,
                "created_at": i.created_at.isoformat(),
            }
            for i in selectors.insights(org).order_by("raised_on", "id")
        ],
        "evaluation_plans": [
            {
                **{f: _v(getattr(p, f)) for f in services.PLAN_FIELDS},
                "activities": sorted(ref[a.pk] for a in p.activities.all()),
                "plan_item": p.plan_item.action_key if p.plan_item_id else None,
                "indicators": [
                    {
                        **{f: _v(getattr(ind, f)) for f in services.INDICATOR_FIELDS},
                        "plan_item": ind.plan_item.action_key if ind.plan_item_id else None,
                        "measurements": [
                            {"measured_on": _v(m.measured_on), "value": _v(m.value), "note": m.note}
                            for m in ind.measurements.all()
                        ],
                    }
                    for ind in p.indicators.select_related("plan_item")
                ],
            }
            for p in EvaluationPlan.objects.filter(organisation=org).select_related("plan_item")
        ],
    }


# --------------------------------------------------------------------------- JSON import


class ImportProblem(ValueError):
    """A record of the file that cannot be imported; the message names it and its field."""


def _date(value, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ImportProblem(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from exc


def _dec(value, where: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ImportProblem(f"{where}: '{value}' is not a number") from exc


def _list(record: dict, key: str, where: str) -> list:
    value = record.get(key) or []
    if not isinstance(value, list):
        raise ImportProblem(f"{where}.{key}: expected a list, found '{value}'")
    return value


def _described(exc: ValidationError, where: str) -> ImportProblem:
    if hasattr(exc, "message_dict"):
        parts = [f"{where}.{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
    else:
        parts = [f"{where}: {' '.join(exc.messages)}"]
    return ImportProblem("; ".join(parts))


def engagement_import(*, actor, organisation: Organisation, data: dict[str, Any]) -> dict[str, int]:
    """Replace the organisation's engagement log with the one in ``data`` (an org export or its
    ``engagement`` section). All or nothing: any bad record raises ImportProblem naming it and
    its field, and nothing changes. Every row goes through the services, so it is checked and
    audited as if typed on the pages."""
    if not access.can(actor, organisation, access.EDIT):
        raise PermissionDenied(services.NEED_EDIT)
    section = data.get("engagement", data) if isinstance(data, dict) else None
    if not isinstance(section, dict) or "activities" not in section:
        raise ImportProblem("The file has no engagement section (expected 'activities')")
    if section.get("version", SECTION_VERSION) != SECTION_VERSION:
        raise ImportProblem(f"version: this installation reads version {SECTION_VERSION}")
    with transaction.atomic():
        return _import(actor, organisation, section)


def _import(actor, org: Organisation, section: dict[str, Any]) -> dict[str, int]:
    Activity.objects.filter(organisation=org).delete()
    Insight.objects.filter(organisation=org).delete()
    EvaluationPlan.objects.filter(organisation=org).delete()
    Partner.objects.filter(organisation=org).delete()
    users = {u.get_username(): u for u in services.owner_choices(org)}
    plan_items = {p.action_key: p for p in PlanItem.objects.filter(organisation=org)}

    def plan_item(key, where):
        if key in (None, ""):
            return None
        if key not in plan_items:
            raise ImportProblem(f"{where}: there is no plan item for action '{key}' here")
        return plan_items[key]

    partners = {}
    for n, p in enumerate(_list(section, "partners", "engagement"), 1):
        where = f"partners[{n}]"
        try:
            partners[p.get("name")] = services.partner_add(
                actor=actor, organisation=org, name=p.get("name") or "", kind=p.get("kind") or ""
            )
        except ValidationError as exc:
            raise _described(exc, where) from exc
    activities = {}
    for n, a in enumerate(_list(section, "activities", "engagement"), 1):
        where = f"activities[{n}]"
        if not isinstance(a, dict):
            raise ImportProblem(f"{where}: expected an object")
        level = a.get("level") or ""
        band = a.get("band") or ""
        override = band if band and band != eg.LEVEL_BAND.get(level, band) else ""
        unknown = [x for x in _list(a, "partners", where) if x not in partners]
        if unknown:
            raise ImportProblem(f"{where}.partners: '{unknown[0]}' is not in the partner list")
        payload = {
            **{f: a.get(f) for f in services.ACTIVITY_FIELDS if f in a},
            "start_date": _date(a.get("start_date"), f"{where}.start_date"),
            "end_date": _date(a.get("end_date"), f"{where}.end_date"),
            "hours": _dec(a.get("hours"), f"{where}.hours") or Decimal(0),
            "band_override": override,
            "partners": [partners[x] for x in _list(a, "partners", where)],
            "plan_items": [
                plan_item(k, f"{where}.plan_items") for k in _list(a, "plan_items", where)
            ],
        }
        for key in ("stages", "methods", "accessibility", "action_keys", "indicator_ids"):
            payload[key] = _list(a, key, where)
        try:
            act = services.activity_create(actor=actor, organisation=org, data=payload)
            for m, r in enumerate(_list(a, "reach", where), 1):
                try:
                    count = int(r.get("count"))
                    target = None if r.get("target") in (None, "") else int(r.get("target"))
                except (TypeError, ValueError) as exc:
                    raise ImportProblem(
                        f"{where}.reach[{m}]: count and target must be whole numbers"
                    ) from exc
                try:
                    services.reach_set(
                        actor=actor,
                        activity=act,
                        grouping=r.get("grouping", ""),
                        group=r.get("group", ""),
                        count=count,
                        target=target,
                    )
                except ValidationError as exc:
                    raise _described(exc, f"{where}.reach[{m}]") from exc
            review = a.get("review") or {}
            if review.get("reviewed_on"):
                services.activity_review(
                    actor=actor,
                    activity=act,
                    went_well=review.get("went_well") or "",
                    do_differently=review.get("do_differently") or "",
                    reviewed_on=_date(review["reviewed_on"], f"{where}.review.reviewed_on"),
                )
        except ValidationError as exc:
            raise _described(exc, where) from exc
        activities[a.get("ref", n)] = act

    def activity(ref, where):
        if ref in (None, ""):
            return None
        if ref not in activities:
            raise ImportProblem(f"{where}: there is no activity with ref {ref} in the file")
        return activities[ref]

    for n, i in enumerate(_list(section, "insights", "engagement"), 1):
        where = f"insights[{n}]"
        owner = i.get("owner")
        if owner and owner not in users:
            raise ImportProblem(f"{where}.owner: '{owner}' is not a member of {org.name}")
        try:
            ins = services.insight_create(
                actor=actor,
                organisation=org,
                theme=i.get("theme") or "",
                detail=i.get("detail") or "",
                times_raised=i.get("times_raised") or 1,
                raised_on=_date(i.get("raised_on"), f"{where}.raised_on"),
                activity=activity(i.get("activity"), f"{where}.activity"),
                owner=users.get(owner),
                due_date=_date(i.get("due_date"), f"{where}.due_date"),
            )
            if i.get("response"):
                ins = services.insight_respond(
                    actor=actor,
                    insight=ins,
                    response=i["response"],
                    responded_on=_date(i.get("responded_on"), f"{where}.responded_on"),
                    response_reason=i.get("response_reason") or "",
                    plan_item=plan_item(i.get("plan_item"), f"{where}.plan_item"),
                    action_taken=i.get("action_taken") or "",
                    difference_made=i.get("difference_made") or "",
                )
            if i.get("loop_closed_on"):
                services.insight_close_loop(
                    actor=actor,
                    insight=ins,
                    loop_closed_on=_date(i["loop_closed_on"], f"{where}.loop_closed_on"),
                    loop_methods=_list(i, "loop_methods", where),
                    loop_notes=i.get("loop_notes") or "",
                )
        except ValidationError as exc:
            raise _described(exc, where) from exc

    for n, p in enumerate(_list(section, "evaluation_plans", "engagement"), 1):
        where = f"evaluation_plans[{n}]"
        payload = {f: p.get(f) for f in services.PLAN_FIELDS if f in p}
        payload["activities"] = [
            activity(r, f"{where}.activities") for r in _list(p, "activities", where)
        ]
        payload["plan_item"] = plan_item(p.get("plan_item"), f"{where}.plan_item")
        try:
            plan = services.evaluation_plan_create(actor=actor, organisation=org, data=payload)
            for m, ind in enumerate(_list(p, "indicators", where), 1):
                iw = f"{where}.indicators[{m}]"
                idata = {f: ind.get(f) for f in services.INDICATOR_FIELDS}
                idata["baseline"] = _dec(ind.get("baseline"), f"{iw}.baseline")
                idata["target"] = _dec(ind.get("target"), f"{iw}.target")
                idata["plan_item"] = plan_item(ind.get("plan_item"), f"{iw}.plan_item")
                try:
                    created = services.indicator_add(actor=actor, plan=plan, data=idata)
                except ValidationError as exc:
                    raise _described(exc, iw) from exc
                for k, meas in enumerate(_list(ind, "measurements", iw), 1):
                    mw = f"{iw}.measurements[{k}]"
                    services.evaluation_measurement_add(
                        actor=actor,
                        indicator=created,
                        measured_on=_date(meas.get("measured_on"), f"{mw}.measured_on"),
                        value=_dec(meas.get("value"), f"{mw}.value"),
                        note=meas.get("note") or "",
                    )
        except ValidationError as exc:
            raise _described(exc, where) from exc
    counts = {
        "activities": len(activities),
        "insights": len(_list(section, "insights", "engagement")),
        "evaluation_plans": len(_list(section, "evaluation_plans", "engagement")),
        "partners": len(partners),
    }
    audit_record(
        actor=actor, organisation=org, entity="engagement_import", verb="imported", after=counts
    )
    return counts


# --------------------------------------------------------------------------- CSV and XLSX

ACTIVITY_COLUMNS = (
    "Ref",
    "Title",
    "Start date",
    "End date",
    "Purpose",
    "Level",
    "Band",
    "Band changed because",
    "Stages",
    "Methods",
    "Other method",
    "Partners",
    "Accessibility",
    "Interpreter languages",
    "Other adjustments",
    "Payment",
    "About the payment",
    "Community-led",
    "Hours",
    "Toolkit actions",
    "HNA indicators",
    "Plan items",
    "What went well",
    "What to do differently",
    "Reviewed on",
)
REACH_COLUMNS = ("Activity ref", "Activity", "Grouping", "Group", "People reached", "Target")
INSIGHT_COLUMNS = (
    "You said",
    "Detail",
    "Times raised",
    "Raised on",
    "Activity",
    "Owner",
    "Respond by",
    "Response",
    "Why not (or not all)",
    "Responded on",
    "Plan item",
    "What was done",
    "What changed",
    "Loop closed on",
    "How people were told",
    "Notes",
)


def _ordered(org):
    acts = list(
        selectors.activities(org)
        .order_by("start_date", "id")
        .prefetch_related("partners", "plan_items", "reach")
    )
    return acts, {a.pk: n + 1 for n, a in enumerate(acts)}


def activity_rows(org) -> list[list[Any]]:
    acts, ref = _ordered(org)
    return [
        [
            ref[a.pk],
            a.title,
            _v(a.start_date),
            _v(a.end_date) or "",
            a.purpose,
            eg.LEVELS[a.level],
            eg.BANDS[a.band],
            a.band_override_reason,
            presenters.labels(a.stages, eg.STAGES),
            presenters.labels(a.methods, eg.METHODS),
            a.method_other,
            "; ".join(p.name for p in a.partners.all()),
            presenters.labels(a.accessibility, eg.ACCESSIBILITY),
            a.interpreter_languages,
            a.accessibility_notes,
            eg.PAYMENTS[a.payment],
            a.payment_notes,
            "yes" if a.community_led else "no",
            presenters.number(a.hours),
            presenters.action_codes(a),
            presenters.labels(a.indicator_ids, vocab.INDICATORS),
            "; ".join(p.title for p in a.plan_items.all()),
            a.review_went_well,
            a.review_do_differently,
            _v(a.reviewed_on) or "",
        ]
        for a in acts
    ]


def reach_rows(org) -> list[list[Any]]:
    acts, ref = _ordered(org)
    return [
        [
            ref[a.pk],
            a.title,
            eg.GROUPINGS[r.grouping],
            eg.group_label(r.grouping, r.group),
            r.count,
            "" if r.target is None else r.target,
        ]
        for a in acts
        for r in a.reach.all()
    ]


def insight_rows(org) -> list[list[Any]]:
    return [
        [
            i.theme,
            i.detail,
            i.times_raised,
            _v(i.raised_on),
            i.activity.title if i.activity_id else "",
            presenters.person(i.owner) if i.owner_id else "",
            _v(i.due_date) or "",
            eg.RESPONSES.get(i.response, ""),
            i.response_reason,
            _v(i.responded_on) or "",
            i.plan_item.title if i.plan_item_id else "",
            i.action_taken,
            i.difference_made,
            _v(i.loop_closed_on) or "",
            presenters.labels(i.loop_methods, eg.LOOP_METHODS),
            i.loop_notes,
        ]
        for i in selectors.insights(org).order_by("raised_on", "id")
    ]


def to_csv(header, rows) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([eg.escape_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(org) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheets = (
        ("Activities", ACTIVITY_COLUMNS, activity_rows(org)),
        ("People reached", REACH_COLUMNS, reach_rows(org)),
        ("You said, we did", INSIGHT_COLUMNS, insight_rows(org)),
    )
    for n, (title, header, rows) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([eg.escape_cell(v) for v in row])
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
