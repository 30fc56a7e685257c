"""Browser checks of the action plan: adopt an action, record a cycle and measurements, see
the run chart; every page axe-clean and driven by keyboard."""

from __future__ import annotations

import pytest

from gpequity.web.audit.models import AuditEvent
from gpequity.web.plans.models import Cycle, Measurement, PlanItem
from tests.conftest import assert_accessible, sign_in
from tests.factories import PracticeFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_date(page, legend: str, day: str, month: str, year: str) -> None:
    """Type a date into the NHS date input (three boxes) named by its legend."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def activate(page, control) -> None:
    """Move focus to a link or button and press Enter, as a keyboard user would."""
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_adopt_action_then_record_cycle_and_measurements(page, live_server):
    practice = PracticeFactory(name="Browser Surgery")
    member(practice, "equity_lead", username="lead")
    sign_in(page, live_server, "lead")
    base = f"{live_server.url}/orgs/{practice.ods_code}/plan/"

    page.goto(base)
    assert_accessible(page, context="plan list (empty)")
    activate(page, page.get_by_role("link", name="Add an action to the plan"))
    assert_accessible(page, context="choose action")
    page.get_by_label("Action").select_option("acc_01")
    activate(page, page.get_by_role("button", name="Show this action"))
    assert_accessible(page, context="choose action, chosen")
    activate(page, page.get_by_role("button", name="Add 'Inclusive registration' to the plan"))
    assert_accessible(page, context="edit plan item")

    fill_date(page, "Due date", "31", "12", "2026")
    page.get_by_label("Objective").fill("Record ethnicity for 80% of patients by December")
    page.get_by_label("Baseline").fill("62")
    page.get_by_label("Target").fill("80")
    page.get_by_label("Unit").fill("%")
    page.get_by_label("In progress").focus()
    page.keyboard.press("Space")
    activate(page, page.get_by_role("button", name="Save", exact=True))
    assert "Plan item saved" in page.content()
    assert_accessible(page, context="plan item")
    item = PlanItem.objects.get(organisation=practice)
    assert item.status == "in_progress" and str(item.target) == "80.000"

    activate(page, page.get_by_role("link", name="Record a cycle"))
    assert_accessible(page, context="cycle form")
    page.get_by_label("Plan: what will you try").fill("Ask every new patient at registration")
    page.get_by_label("Do: what did you do?").fill("Reception asked for two weeks")
    page.get_by_label("Study: what did you learn?").fill("Most people were happy to answer")
    page.get_by_label("Act: what did you decide").fill("Make it routine")
    fill_date(page, "Started on", "5", "1", "2026")
    activate(page, page.get_by_role("button", name="Save"))
    assert Cycle.objects.filter(plan_item=item, number=1).exists()

    for day, value in (("2026-01-31", "63"), ("2026-02-28", "67.5"), ("2026-03-31", "71")):
        activate(page, page.get_by_role("link", name="Record a measurement"))
        year, month, dd = day.split("-")
        fill_date(page, "Date measured", dd, month, year)
        page.get_by_label("Value").fill(value)
        with page.expect_navigation():
            page.get_by_label("Value").press("Enter")
    assert Measurement.objects.filter(plan_item=item).count() == 3
    chart = page.locator(".app-chart svg[role=img]")
    assert "3 measurements" in chart.get_attribute("aria-label")
    assert page.get_by_role("table", name="Measurements of Ethnicity recorded").is_visible()
    assert page.get_by_text("Make it routine").is_visible()

    # A measurement typed wrongly is corrected, by keyboard, and the change is audited.
    activate(page, page.get_by_role("link", name="Change the measurement of 28 Feb 2026"))
    assert_accessible(page, context="change measurement")
    page.get_by_label("Value").fill("76.5")
    activate(page, page.get_by_role("button", name="Save"))
    assert "Measurement saved" in page.content()
    assert sorted(str(v) for v in Measurement.objects.values_list("value", flat=True)) == [
        "63.000",
        "71.000",
        "76.500",
    ]
    assert_accessible(page, context="plan item with chart")
    page.screenshot(path="/tmp/plan_item.png", full_page=True)

    page.goto(base + "mine/")
    assert_accessible(page, context="my actions")
    page.goto(base + "due/")
    assert_accessible(page, context="due lists")
    page.goto(base + "?status=in_progress")
    assert_accessible(page, context="plan list filtered")
    verbs = AuditEvent.objects.filter(entity="plan_measurement").values_list("verb", flat=True)
    assert sorted(verbs) == ["created", "created", "created", "updated"]


def test_measurement_form_is_accessible_with_errors(page, live_server):
    practice = PracticeFactory()
    lead = member(practice, "equity_lead", username="lead2")
    item = PlanItem.objects.create(
        organisation=practice, action_key="acc_01", title="T", owner=lead
    )
    sign_in(page, live_server, "lead2")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/plan/{item.pk}/measurements/new/")
    assert_accessible(page, context="measurement form")
    activate(page, page.get_by_role("button", name="Save"))
    assert "There is a problem" in page.content()
    assert_accessible(page, context="measurement form with errors")
