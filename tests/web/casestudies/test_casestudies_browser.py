"""Browser checks of case studies, by keyboard, axe-clean on every page: a practice writes
one and sends it, a reviewer asks for changes, the practice changes it and sends it again,
the reviewer publishes it, and a visitor finds it from the toolkit action and the library.
Screenshots at desktop width and at 375 px (with no sideways scroll) go to /tmp."""

from __future__ import annotations

import pytest

from gpequity.web.audit.models import AuditEvent
from gpequity.web.casestudies.models import CaseStudy
from tests.conftest import assert_accessible, phone_width, sign_in
from tests.factories import PCNFactory, PracticeFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def activate(page, control) -> None:
    control.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def tick(page, label: str) -> None:
    page.get_by_label(label).focus()
    page.keyboard.press("Space")


def sign_out(page) -> None:
    page.context.clear_cookies()


def check_narrow(page, name: str) -> None:
    """No sideways scroll at 375 px; a screenshot at both widths."""
    page.screenshot(path=f"/tmp/casestudies_{name}_desktop.png", full_page=True)
    wide = phone_width(page)
    page.screenshot(path=f"/tmp/casestudies_{name}_375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert wide <= 375, f"{name}: the page scrolls sideways at 375 px ({wide} px wide)"


def test_write_review_with_changes_publish_and_browse_by_action(page, live_server):
    practice = PracticeFactory(name="Harbour Street Surgery", parent=PCNFactory())
    member(practice, "equity_lead", username="cs-lead")
    UserFactory(username="cs-reviewer", is_staff=True)
    base = f"{live_server.url}/orgs/{practice.ods_code}/case-studies/"

    # The practice writes a draft and sends it.
    sign_in(page, live_server, "cs-lead")
    page.goto(base)
    assert_accessible(page, context="own case studies (empty)")
    activate(page, page.get_by_role("link", name="Write a case study"))
    assert_accessible(page, context="case-study editor")
    page.get_by_label("Title").fill("Walk-in smear clinic for Roma women")
    page.get_by_label("Main toolkit action").select_option("acc_01")
    tick(page, "Gypsy, Roma and Traveller communities")
    page.get_by_label("NHS England region").select_option("south_west")
    page.get_by_label("The problem and why it mattered").fill(
        "Cervical screening uptake among Roma women was **far below** the practice average."
    )
    page.get_by_label("What you did").fill("- A walk-in clinic on Saturdays\n- A Romani speaker")
    page.get_by_label("What changed").fill("Uptake in the group rose over six months.")
    page.get_by_label("Sponsorship").fill("None")
    tick(page, "Our organisation agrees to publish this case study once it has been reviewed")
    activate(page, page.get_by_role("button", name="Save draft"))
    assert "Case study saved" in page.content()
    assert_accessible(page, context="own case study (draft)")
    check_narrow(page, "own_draft")
    activate(page, page.get_by_role("button", name="Send for review"))
    case = CaseStudy.objects.get()
    assert case.state == "submitted"
    sign_out(page)

    # The reviewer asks for changes.
    sign_in(page, live_server, "cs-reviewer")
    page.goto(f"{live_server.url}/case-studies/review/")
    assert_accessible(page, context="review queue")
    check_narrow(page, "queue")
    activate(page, page.get_by_role("link", name="Walk-in smear clinic for Roma women"))
    assert_accessible(page, context="review page (submitted)")
    activate(page, page.get_by_role("button", name="Start the review"))
    assert_accessible(page, context="review page (in review)")
    check_narrow(page, "review")
    activate(page, page.get_by_role("button", name="Ask for changes"))
    assert "Tell the author what to change" in page.content()
    assert_accessible(page, context="review page with an error")
    page.get_by_label("Note to the author").fill("Please give the numbers before and after.")
    activate(page, page.get_by_role("button", name="Ask for changes"))
    case.refresh_from_db()
    assert case.state == "changes_requested"
    sign_out(page)

    # The practice sees the note, changes the text and sends it again.
    sign_in(page, live_server, "cs-lead")
    page.goto(f"{base}{case.pk}/")
    assert page.get_by_text("Please give the numbers before and after.").is_visible()
    assert_accessible(page, context="own case study (changes requested)")
    activate(page, page.get_by_role("link", name="Change this case study"))
    page.get_by_label("Baseline value").fill("38")
    page.get_by_label("Latest value").fill("57")
    page.get_by_label("Measure (optional)", exact=True).fill("Screening uptake, Roma women")
    page.get_by_label("Unit (optional)", exact=True).fill("%")
    activate(page, page.get_by_role("button", name="Save draft"))
    activate(page, page.get_by_role("button", name="Send for review"))
    sign_out(page)

    # The reviewer ticks the checklist and publishes.
    sign_in(page, live_server, "cs-reviewer")
    page.goto(f"{live_server.url}/case-studies/review/{case.pk}/")
    activate(page, page.get_by_role("button", name="Start the review"))
    for check in (
        "It is written in plain English a practice manager understands",
        "It gives a baseline: where things stood before the change",
        "It says how the change was evaluated, even informally",
        "The organisation consents to publish and declares any sponsorship",
        "It has no detail that could identify a patient",
    ):
        tick(page, check)
    activate(page, page.get_by_role("button", name="Publish"))
    case.refresh_from_db()
    assert case.state == "published" and case.review_due_on is not None
    assert_accessible(page, context="review page (published)")
    sign_out(page)

    # A visitor finds it from the toolkit action, then in the library by action.
    page.goto(f"{live_server.url}/toolkit/actions/acc_01/")
    assert_accessible(page, context="toolkit action with a case study")
    activate(page, page.get_by_role("link", name="Walk-in smear clinic for Roma women"))
    assert_accessible(page, context="published case study")
    assert "Please give the numbers" not in page.content()
    assert page.locator("strong", has_text="far below").is_visible()
    check_narrow(page, "detail")
    page.goto(f"{live_server.url}/case-studies/")
    page.get_by_label("Toolkit action").select_option("acc_01")
    activate(page, page.get_by_role("button", name="Apply filters"))
    assert "1 case study matches" in page.content()
    assert_accessible(page, context="library filtered by action")
    check_narrow(page, "library")
    verbs = set(AuditEvent.objects.filter(entity="case_study").values_list("verb", flat=True))
    assert {"created", "submit", "start_review", "request_changes", "publish"} <= verbs


def test_write_up_a_plan_item_then_read_it_printed(page, live_server):
    import datetime as dt
    from decimal import Decimal

    from gpequity.web.plans import services as plans
    from tests.web.casestudies.factories import make

    practice = PracticeFactory(name="Quayside Practice")
    lead = member(practice, "equity_lead", username="cs-lead2")
    item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="miss_01")
    item = plans.plan_item_update(
        actor=lead,
        item=item,
        expected_version=item.version,
        changes={"owner": lead, "measure_indicator": "dna_rate", "baseline": Decimal("9"),
                 "target": Decimal("6"), "unit": "%", "objective": "Fewer missed appointments"},
    )  # fmt: skip
    for i, value in enumerate(("9.1", "8.2", "7.5", "6.8")):
        plans.measurement_add(
            actor=lead, item=item, measured_on=dt.date(2026, 3 + i, 1), value=Decimal(value)
        )
    plans.cycle_add(actor=lead, item=item, plan="Phone before each appointment")
    published = make(practice, lead, "published", title="Calls before appointments",
                     action_keys=["miss_01"])  # fmt: skip

    sign_in(page, live_server, "cs-lead2")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/plan/{item.pk}/")
    assert page.get_by_role("link", name="Calls before appointments").is_visible()
    assert_accessible(page, context="plan item with case studies")
    check_narrow(page, "plan_item")
    activate(page, page.get_by_role("button", name="Write this up as a case study"))
    assert "A draft case study was made from the plan item" in page.content()
    assert page.get_by_label("Title").input_value() == item.title
    assert page.get_by_label("Latest value").input_value() == "6.800"
    assert_accessible(page, context="editor prefilled from the plan item")
    check_narrow(page, "editor")
    case = CaseStudy.objects.get(source_plan_item_id=item.pk)
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/case-studies/{case.pk}/")
    assert "4 measurements" in page.locator(".app-chart svg[role=img]").get_attribute("aria-label")
    assert page.get_by_role("table", name="Measurements of Did-not-attend rate").is_visible()
    assert_accessible(page, context="own draft with run chart")
    check_narrow(page, "own_chart")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/case-studies/")
    assert_accessible(page, context="own case-study list")
    check_narrow(page, "org_list")

    page.goto(f"{live_server.url}/case-studies/{published.pk}/print/")
    assert_accessible(page, context="printable page")
    check_narrow(page, "print")


def test_staff_grant_the_reviewer_role(page, live_server):
    from gpequity.web.casestudies.selectors import is_reviewer

    UserFactory(username="cs-staff", is_staff=True)
    colleague = UserFactory(username="cs-colleague")
    sign_in(page, live_server, "cs-staff")
    page.goto(f"{live_server.url}/case-studies/")
    assert_accessible(page, context="library, empty, as staff")
    activate(page, page.get_by_role("link", name="Case-study reviewers"))
    assert_accessible(page, context="reviewers (none)")
    page.get_by_label("Username").fill("cs-colleague")
    activate(page, page.get_by_role("button", name="Make reviewer"))
    assert is_reviewer(colleague)
    assert_accessible(page, context="reviewers (one)")
    check_narrow(page, "reviewers")
    activate(page, page.get_by_role("button", name="Remove cs-colleague"))
    assert not is_reviewer(colleague)
