"""Writes of case studies. Each is permission-checked, made in one transaction and audited
(``entity="case_study"``). State changes go only through ``case_study_transition``, which
looks the move up in gpequity.casestudies.workflow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gpequity.casestudies import checklist, costs, workflow
from gpequity.catalogue import load_pack
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation, OrgKind

from . import selectors
from .models import CaseStudy, ReviewerGrant, ReviewNote

ENTITY = "case_study"
EDITABLE_FIELDS = (
    "title",
    "action_keys",
    "other_organisations",
    "region",
    "icb_name",
    "setting",
    "groups",
    "core20plus5",
    "problem",
    "what_was_done",
    "partners",
    "engagement_level",
    "community_involvement",
    "cost_amount",
    "funding",
    "staff_time",
    "duration",
    "measure",
    "unit",
    "baseline_value",
    "outcome_value",
    "baseline",
    "outcomes",
    "cycles",
    "evaluated",
    "evaluation",
    "evaluated_by",
    "key_learning",
    "to_repeat",
    "contact_opt_in",
    "contact_name",
    "contact_email",
    "consent_to_publish",
    "sponsorship",
)


class CaseStudyConflict(Exception):
    """The case study changed since the editor loaded it; nothing was saved."""

    def __init__(self, current: CaseStudy):
        super().__init__(f"case study {current.pk} is now at version {current.version}")
        self.current = current


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(case: CaseStudy) -> dict[str, Any]:
    keys = (*EDITABLE_FIELDS, "state", "version", "published_on", "review_due_on")
    return {f: _json(getattr(case, f)) for f in keys}


def _check_actions(framework: str, keys: list[str]) -> list[str]:
    pack = load_pack(framework)
    known = {a.key for a in pack.actions}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ValidationError({"action_keys": f"Unknown toolkit action: {', '.join(unknown)}"})
    return [a.key for a in pack.actions if a.key in set(keys)]


def _derive(case: CaseStudy) -> None:
    """Themes follow the actions; the cost band follows the amount."""
    pack = load_pack(case.framework)
    themes = []
    for key in case.action_keys or []:
        theme = pack.action(key).theme
        if theme not in themes:
            themes.append(theme)
    case.themes = themes
    case.cost_band = costs.band(case.cost_amount)


def _region_defaults(organisation: Organisation) -> dict[str, str]:
    icb = next((o for o in organisation.ancestors() if o.kind == OrgKind.ICB), None)
    return {"icb_name": icb.name if icb else ""}


def _require(actor, organisation: Organisation, perm: str, what: str) -> None:
    if not access.can(actor, organisation, perm):
        raise PermissionDenied(what)


@transaction.atomic
def case_study_create(
    *, actor, organisation: Organisation, fields: dict[str, Any] | None = None
) -> CaseStudy:
    """A new draft written by ``organisation``."""
    _require(actor, organisation, access.CONTRIBUTE, "You cannot write case studies here")
    fields = dict(fields or {})
    case = CaseStudy(
        organisation=organisation,
        framework=organisation.framework,
        created_by=actor,
        **_region_defaults(organisation),
    )
    for key, value in fields.items():
        if key not in (*EDITABLE_FIELDS, "chart_svg", "chart_points", "source_plan_item_id"):
            raise ValueError(f"not a case-study field: {key}")
        setattr(case, key, value)
    if not case.title:
        raise ValidationError({"title": "Enter a title"})
    case.action_keys = _check_actions(case.framework, case.action_keys or [])
    _derive(case)
    case.full_clean()
    case.save()
    audit_record(
        actor=actor,
        organisation=organisation,
        entity=ENTITY,
        entity_id=case.pk,
        verb="created",
        after=snapshot(case),
        action_key=(case.action_keys or [""])[0],
    )
    return case


@transaction.atomic
def case_study_update(
    *, actor, case_study: CaseStudy, expected_version: int, changes: dict[str, Any]
) -> CaseStudy:
    """Change a draft (or one with changes requested); all or nothing."""
    case = CaseStudy.objects.select_for_update().get(pk=case_study.pk)
    _require(actor, case.organisation, access.CONTRIBUTE, "You cannot change this case study")
    if case.state not in workflow.EDITABLE_STATES:
        raise ValidationError(f"A case study that is {case.state_label.lower()} cannot be changed.")
    if case.version != expected_version:
        raise CaseStudyConflict(case)
    before = snapshot(case)
    for key, value in changes.items():
        if key not in EDITABLE_FIELDS:
            raise ValueError(f"not an editable field: {key}")
        setattr(case, key, value)
    case.action_keys = _check_actions(case.framework, case.action_keys or [])
    _derive(case)
    case.version += 1
    case.full_clean()
    case.save()
    audit_record(
        actor=actor,
        organisation=case.organisation,
        entity=ENTITY,
        entity_id=case.pk,
        verb="updated",
        before=before,
        after=snapshot(case),
    )
    return case


def submission_problems(case: CaseStudy) -> dict[str, str]:
    """What must be filled in before a case study can be sent for review, by field."""
    problems = {}
    if not case.action_keys:
        problems["action_keys"] = "Choose at least one toolkit action"
    if not case.problem.strip():
        problems["problem"] = "Describe the problem and why it mattered"
    if not case.what_was_done.strip():
        problems["what_was_done"] = "Describe what you did"
    if not case.outcomes.strip() and case.outcome_value is None:
        problems["outcomes"] = "Describe the outcomes, or give the latest value of the measure"
    if not case.sponsorship.strip():
        problems["sponsorship"] = (
            "Declare any sponsorship or funding from a company, or write 'None'"
        )
    if not case.consent_to_publish:
        problems["consent_to_publish"] = (
            "Confirm that your organisation agrees to publish this case study"
        )
    if case.contact_opt_in and not case.contact_email:
        problems["contact_email"] = "Enter a contact email address, or do not offer a contact"
    return problems


def _side(actor, case: CaseStudy, transition_who: str) -> None:
    if transition_who == workflow.AUTHOR:
        _require(
            actor,
            case.organisation,
            access.EDIT,
            "Only the organisation's equity lead can send or withdraw its case studies",
        )
    elif transition_who == workflow.REVIEWER:
        if not selectors.is_reviewer(actor):
            raise PermissionDenied("Only a case-study reviewer can do that")
        if not actor.is_staff and access.can(actor, case.organisation, access.VIEW):
            raise PermissionDenied("Reviewers cannot review their own organisation's work")


@transaction.atomic
def case_study_transition(
    *,
    actor,
    case_study: CaseStudy,
    action: str,
    note: str = "",
    checks: dict[str, bool] | None = None,
    on: dt.date | None = None,
) -> CaseStudy:
    """Move a case study along the workflow (submit, start_review, request_changes,
    publish, reconfirm, archive, withdraw), with a note for the author when given."""
    case = (
        CaseStudy.objects.select_for_update().select_related("organisation").get(pk=case_study.pk)
    )
    candidates = [
        t for t in workflow.TRANSITIONS if t.action == action and t.who != workflow.SYSTEM
    ]
    if not candidates:
        raise ValidationError(f"Unknown action: {action}")
    here = [t for t in candidates if t.source == case.state]
    # Check the actor's side first, so a refused user learns nothing about the state.
    _side(actor, case, (here or candidates)[0].who)
    if not here:
        raise ValidationError(
            f"A case study that is {case.state_label.lower()} cannot do that "
            f"({candidates[0].label.lower()})."
        )
    move = here[0]
    note = (note or "").strip()
    before = snapshot(case)
    today = on or selectors.today()
    if action == "submit":
        problems = submission_problems(case)
        if problems:
            raise ValidationError(problems)
        case.submitted_at = timezone.now()
    elif action == "start_review":
        case.reviewer = actor
    elif action == "request_changes":
        if not note:
            raise ValidationError({"note": "Tell the author what to change"})
        if checks is not None:
            case.checklist = _checks(checks)
    elif action == "publish":
        case.checklist = _checks(checks or {})
        missing = checklist.missing(case.checklist)
        if missing:
            raise ValidationError(
                {
                    "checklist": "Tick every check before publishing. Not ticked: "
                    + "; ".join(c.question.lower() for c in missing)
                }
            )
        case.published_on = today
        case.review_due_on = workflow.review_due_on(today)
    elif action == "reconfirm":
        case.review_due_on = workflow.review_due_on(today)
    case.state = move.target
    case.version += 1
    case.save()
    if note:
        ReviewNote.objects.create(case_study=case, author=actor, action=action, text=note)
    audit_record(
        actor=actor,
        organisation=case.organisation,
        entity=ENTITY,
        entity_id=case.pk,
        verb=action,
        before=before,
        after=snapshot(case),
        note=f"{workflow.LABELS[move.source]} to {workflow.LABELS[move.target]}",
    )
    return case


def _checks(answers: dict[str, bool]) -> dict[str, bool]:
    return {key: bool(answers.get(key)) for key in checklist.KEYS}


@transaction.atomic
def review_note_add(*, actor, case_study: CaseStudy, text: str) -> ReviewNote:
    """A note between the organisation and its reviewers (never public)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"note": "Enter a note"})
    if not (
        selectors.is_reviewer(actor)
        or access.can(actor, case_study.organisation, access.CONTRIBUTE)
    ):
        raise PermissionDenied("You cannot add notes to this case study")
    note = ReviewNote.objects.create(case_study=case_study, author=actor, text=text)
    audit_record(
        actor=actor,
        organisation=case_study.organisation,
        entity=ENTITY,
        entity_id=case_study.pk,
        verb="noted",
        note="A review note was added",
    )
    return note


@transaction.atomic
def mark_reviews_due(*, on: dt.date | None = None) -> int:
    """Move published case studies past their review date to review due; returns how many."""
    today = on or selectors.today()
    due = CaseStudy.objects.select_for_update().filter(
        state=workflow.State.PUBLISHED, review_due_on__lte=today
    )
    count = 0
    for case in due:
        before = snapshot(case)
        case.state = workflow.State.REVIEW_DUE
        case.version += 1
        case.save(update_fields=["state", "version", "updated_at"])
        audit_record(
            actor=None,
            organisation=case.organisation,
            entity=ENTITY,
            entity_id=case.pk,
            verb="mark_review_due",
            before=before,
            after=snapshot(case),
            note=f"Review was due on {case.review_due_on:%d %b %Y}",
        )
        count += 1
    return count


def _staff(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_staff:
        raise PermissionDenied("Only site staff can grant the reviewer role")


@transaction.atomic
def reviewer_grant(*, actor, user) -> ReviewerGrant:
    _staff(actor)
    grant, created = ReviewerGrant.objects.get_or_create(user=user, defaults={"granted_by": actor})
    if created:
        audit_record(
            actor=actor,
            organisation=None,
            entity="case_study_reviewer",
            entity_id=user.pk,
            verb="granted",
            after={"user": user.get_username()},
        )
    return grant


@transaction.atomic
def reviewer_revoke(*, actor, user) -> bool:
    _staff(actor)
    deleted, _ = ReviewerGrant.objects.filter(user=user).delete()
    if deleted:
        audit_record(
            actor=actor,
            organisation=None,
            entity="case_study_reviewer",
            entity_id=user.pk,
            verb="revoked",
            before={"user": user.get_username()},
        )
    return bool(deleted)


@transaction.atomic
def case_study_from_plan_item(*, actor, item) -> CaseStudy:
    """A draft prefilled from a plan item: its action, objective, measure, baseline, latest
    value, cycles and run chart (drawn now and kept with the case study)."""
    from gpequity.web.plans import presenters as plan_presenters

    organisation = item.organisation
    _require(actor, organisation, access.CONTRIBUTE, "You cannot write case studies here")
    measurements = list(item.measurements.all())
    cycles = list(item.cycles.all())
    latest = measurements[-1] if measurements else None
    measure = plan_presenters.measure_label(item)
    unit = f" {item.unit}" if item.unit else ""
    outcome_lines = []
    if latest is not None:
        outcome_lines.append(
            f"Latest value: {plan_presenters.number(latest.value)}{unit} on "
            f"{latest.measured_on.day} {latest.measured_on:%B %Y} "
            f"({len(measurements)} measurements)."
        )
    if item.target is not None:
        outcome_lines.append(f"Target: {plan_presenters.number(item.target)}{unit}.")
    cycle_text = "\n\n".join(
        "\n".join(
            line
            for line in (
                f"### Cycle {c.number}",
                f"**Plan:** {c.plan}",
                f"**Do:** {c.do}" if c.do else "",
                f"**Study:** {c.study}" if c.study else "",
                f"**Act:** {c.act}" if c.act else "",
            )
            if line
        )
        for c in cycles
    )
    baseline_text = ""
    if item.baseline is not None:
        baseline_text = (
            f"{measure or 'The measure'} was {plan_presenters.number(item.baseline)}{unit}"
        )
        baseline_text += (
            f" at the start ({item.start_date:%B %Y})." if item.start_date else " at the start."
        )
    fields = {
        "title": item.title,
        "action_keys": [item.action_key],
        "what_was_done": item.objective,
        "measure": measure,
        "unit": item.unit,
        "baseline_value": item.baseline,
        "outcome_value": latest.value if latest else None,
        "baseline": baseline_text,
        "outcomes": "\n\n".join(outcome_lines),
        "cycles": cycle_text,
        "chart_svg": plan_presenters.run_chart_svg(item, measurements),
        "chart_points": [
            {"date": m.measured_on.isoformat(), "value": plan_presenters.number(m.value)}
            for m in measurements
        ],
        "source_plan_item_id": item.pk,
    }
    try:
        load_pack(organisation.framework).action(item.action_key)
    except KeyError:
        fields["action_keys"] = []
    return case_study_create(actor=actor, organisation=organisation, fields=fields)
