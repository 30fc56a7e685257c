"""Case-study services: the workflow with its permission checks, audit and prefill."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gpequity.web.audit.models import AuditEvent
from gpequity.web.casestudies import selectors, services
from gpequity.web.casestudies.models import CaseStudy, ReviewNote
from gpequity.web.plans import services as plans
from tests.factories import PracticeFactory, UserFactory, member
from tests.web.casestudies.factories import ALL_CHECKS, make, ready_fields

pytestmark = pytest.mark.django_db


def test_full_workflow_is_audited_at_every_step(practice, lead):
    reviewer = UserFactory(is_staff=True)
    case = services.case_study_create(actor=lead, organisation=practice, fields=ready_fields())
    assert case.state == "draft" and case.themes == ["access-and-flexibility"]
    assert case.cost_band == "under_1k"
    for actor, action, kwargs in [
        (lead, "submit", {}),
        (reviewer, "start_review", {}),
        (reviewer, "request_changes", {"note": "Say what the clinics cost."}),
        (lead, "submit", {}),
        (reviewer, "start_review", {}),
        (reviewer, "publish", {"checks": ALL_CHECKS, "on": dt.date(2026, 6, 1)}),
    ]:
        case = services.case_study_transition(actor=actor, case_study=case, action=action, **kwargs)
    assert case.state == "published"
    assert case.published_on == dt.date(2026, 6, 1)
    assert case.review_due_on == dt.date(2028, 6, 1)
    verbs = list(
        AuditEvent.objects.filter(entity="case_study", entity_id=str(case.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "created", "submit", "start_review", "request_changes", "submit", "start_review",
        "publish",
    ]  # fmt: skip
    event = AuditEvent.objects.filter(verb="publish").get()
    assert event.before["state"] == "in_review" and event.after["state"] == "published"
    assert ReviewNote.objects.get(case_study=case).text == "Say what the clinics cost."


def test_submit_names_every_missing_field_and_changes_nothing(practice, lead):
    case = services.case_study_create(
        actor=lead, organisation=practice, fields={"title": "Half written"}
    )
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.case_study_transition(actor=lead, case_study=case, action="submit")
    assert set(exc.value.message_dict) == {
        "action_keys", "problem", "what_was_done", "outcomes", "sponsorship",
        "consent_to_publish",
    }  # fmt: skip
    case.refresh_from_db()
    assert case.state == "draft" and AuditEvent.objects.count() == before


def test_roles_the_author_side_and_the_reviewer_side(practice, lead):
    contributor = member(practice, "member")
    viewer = member(practice, "viewer")
    case = services.case_study_create(
        actor=contributor, organisation=practice, fields=ready_fields()
    )
    with pytest.raises(PermissionDenied):
        services.case_study_create(actor=viewer, organisation=practice, fields=ready_fields())
    with pytest.raises(PermissionDenied):  # a team member drafts; the equity lead sends
        services.case_study_transition(actor=contributor, case_study=case, action="submit")
    case = services.case_study_transition(actor=lead, case_study=case, action="submit")
    with pytest.raises(PermissionDenied):  # nobody reviews their own work
        services.case_study_transition(actor=lead, case_study=case, action="start_review")
    outsider = member(PracticeFactory(), "equity_lead")
    with pytest.raises(PermissionDenied):
        services.case_study_transition(actor=outsider, case_study=case, action="start_review")
    staff = UserFactory(is_staff=True)
    services.reviewer_grant(actor=staff, user=outsider)
    assert selectors.is_reviewer(outsider)
    case = services.case_study_transition(actor=outsider, case_study=case, action="start_review")
    assert case.state == "in_review" and case.reviewer == outsider
    with pytest.raises(PermissionDenied):
        services.reviewer_grant(actor=outsider, user=lead)
    assert services.reviewer_revoke(actor=staff, user=outsider)
    assert not selectors.is_reviewer(outsider)
    assert AuditEvent.objects.filter(entity="case_study_reviewer").count() == 2


def test_publish_needs_every_check_and_a_request_for_changes_needs_a_note(practice, lead):
    case = make(practice, lead, "in_review")
    reviewer = case.reviewer
    with pytest.raises(ValidationError, match="no detail that could identify"):
        services.case_study_transition(
            actor=reviewer,
            case_study=case,
            action="publish",
            checks=ALL_CHECKS | {"no_patient_detail": False},
        )
    with pytest.raises(ValidationError):
        services.case_study_transition(actor=reviewer, case_study=case, action="request_changes")
    case.refresh_from_db()
    assert case.state == "in_review"


def test_only_drafts_and_changes_requested_can_be_edited(practice, lead):
    case = make(practice, lead, "submitted")
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.case_study_update(
            actor=lead, case_study=case, expected_version=case.version, changes={"title": "New"}
        )
    draft = make(practice, lead)
    with pytest.raises(services.CaseStudyConflict):
        services.case_study_update(
            actor=lead, case_study=draft, expected_version=draft.version - 1, changes={}
        )
    with pytest.raises(ValidationError, match="Unknown toolkit action"):
        services.case_study_update(
            actor=lead,
            case_study=draft,
            expected_version=draft.version,
            changes={"action_keys": ["nope_99"]},
        )
    draft.refresh_from_db()
    assert draft.action_keys == ["acc_01"] and draft.version == 1


def test_review_becomes_due_two_years_on_and_can_be_confirmed(practice, lead):
    case = make(practice, lead, "published")
    assert services.mark_reviews_due(on=dt.date(2028, 5, 31)) == 0
    assert services.mark_reviews_due(on=dt.date(2028, 6, 1)) == 1
    case.refresh_from_db()
    assert case.state == "review_due"
    assert selectors.published_one(case.pk) is not None  # still in the library
    staff = UserFactory(is_staff=True)
    case = services.case_study_transition(
        actor=staff, case_study=case, action="reconfirm", on=dt.date(2028, 6, 3)
    )
    assert case.state == "published" and case.review_due_on == dt.date(2030, 6, 3)
    case = services.case_study_transition(actor=lead, case_study=case, action="withdraw")
    assert case.state == "archived" and selectors.published_one(case.pk) is None


def test_public_selectors_hold_only_published(practice, lead):
    states = ["draft", "submitted", "in_review", "changes_requested", "published"]
    cases = {s: make(practice, lead, s, title=f"Case {s}") for s in states}
    public = {c.pk for c in selectors.published()}
    assert public == {cases["published"].pk}
    assert selectors.search(selectors.Filters()) == [cases["published"]]
    assert [c.pk for c in selectors.for_action("acc_01")] == [cases["published"].pk]


def test_library_filters(practice, lead):
    a = make(practice, lead, "published", title="Alpha", region="london", evaluated=False)
    b = make(
        practice,
        lead,
        "published",
        title="Beta interpreters",
        action_keys=["acc_01", "acc_03"],
        groups=["interpreter_needed"],
        cost_amount=Decimal("12000"),
    )
    f = selectors.Filters
    assert selectors.search(f(region="london")) == [a]
    assert selectors.search(f(evaluated="no")) == [a]
    assert selectors.search(f(group="interpreter_needed")) == [b]
    assert selectors.search(f(cost_band="5k_20k")) == [b]
    assert selectors.search(f(action="acc_03")) == [b]
    assert selectors.search(f(q="interpreters")) == [b]
    assert set(selectors.search(f(tier="tier-1"))) == {a, b}
    assert selectors.search(f(tier="leading")) == []


def test_prefill_from_plan_item(practice, lead):
    item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_01")
    item = plans.plan_item_update(
        actor=lead,
        item=item,
        expected_version=item.version,
        changes={
            "objective": "Record ethnicity for 80% of patients",
            "measure_indicator": "ethnicity_recorded",
            "baseline": Decimal("62"),
            "target": Decimal("80"),
            "unit": "%",
            "start_date": dt.date(2026, 1, 5),
        },
    )
    for day, value in ((dt.date(2026, 2, 1), "66"), (dt.date(2026, 3, 1), "71.5")):
        plans.measurement_add(actor=lead, item=item, measured_on=day, value=Decimal(value))
    plans.cycle_add(actor=lead, item=item, plan="Ask at registration", study="It worked")
    case = services.case_study_from_plan_item(actor=lead, item=item)
    assert case.state == "draft" and case.organisation == practice
    assert case.action_keys == ["acc_01"] and case.source_plan_item_id == item.pk
    assert case.what_was_done == "Record ethnicity for 80% of patients"
    assert case.measure == "Ethnicity recorded" and case.unit == "%"
    assert case.baseline_value == Decimal("62") and case.outcome_value == Decimal("71.5")
    assert "Latest value: 71.5 % on 1 March 2026 (2 measurements)" in case.outcomes
    assert "### Cycle 1" in case.cycles and "**Study:** It worked" in case.cycles
    assert case.chart_svg.startswith("<svg") and 'role="img"' in case.chart_svg
    assert case.chart_points == [
        {"date": "2026-02-01", "value": "66"},
        {"date": "2026-03-01", "value": "71.5"},
    ]
    viewer = member(practice, "viewer")
    with pytest.raises(PermissionDenied):
        services.case_study_from_plan_item(actor=viewer, item=item)
    assert CaseStudy.objects.count() == 1
