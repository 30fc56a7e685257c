"""Case-study pages, exports and links, through the Django test client: what each reader
sees, and what they must never see (drafts, reviews in progress, reviewer notes, script)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from gpequity.casestudies import cells
from gpequity.web.audit.models import AuditEvent
from gpequity.web.casestudies import services
from gpequity.web.casestudies.models import CaseStudy
from gpequity.web.plans import services as plans
from tests.factories import PracticeFactory, UserFactory, member
from tests.web.casestudies.factories import make

pytestmark = pytest.mark.django_db

SECRET_NOTE = "Reviewer only: the numbers look too good"


@pytest.fixture
def cases(practice, lead):
    out = {
        s: make(practice, lead, s, title=f"Story {s.replace('_', ' ')}")
        for s in ("draft", "submitted", "in_review", "changes_requested", "published")
    }
    services.review_note_add(actor=out["published"].reviewer, case_study=out["published"],
                             text=SECRET_NOTE)  # fmt: skip
    return out


def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


HIDDEN = ("Story draft", "Story submitted", "Story in review", "Story changes requested")


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_unpublished_case_studies_are_invisible_to_others(cases, practice, who):
    user = None if who == "anonymous" else member(PracticeFactory(), "equity_lead")
    c = _client(user)
    pages = [
        "/case-studies/",
        "/case-studies/?q=Story",
        "/case-studies/export.json",
        "/case-studies/export.csv",
        "/toolkit/actions/acc_01/",
        "/api/case-studies",
    ]
    for url in pages:
        body = c.get(url).content.decode()
        assert "Story published" in body, url
        for title in HIDDEN:
            assert title not in body, (url, title)
        assert SECRET_NOTE not in body, url
    for state in ("draft", "submitted", "in_review", "changes_requested"):
        pk = cases[state].pk
        for url in (
            f"/case-studies/{pk}/",
            f"/case-studies/{pk}/print/",
            f"/case-studies/{pk}/case-study.pdf",
            f"/api/case-studies/{pk}",
        ):
            assert c.get(url).status_code == 404, url
        own = c.get(f"/orgs/{practice.ods_code}/case-studies/{pk}/")
        assert own.status_code == (302 if user is None else 404)
        assert c.get(f"/case-studies/review/{pk}/").status_code == (302 if user is None else 404)


def test_reviewer_notes_stay_off_public_pages_but_reach_the_author(cases, practice, lead):
    pk = cases["published"].pk
    public = _client()
    for url in (f"/case-studies/{pk}/", f"/case-studies/{pk}/print/", "/case-studies/"):
        assert SECRET_NOTE not in public.get(url).content.decode(), url
    assert SECRET_NOTE not in public.get("/case-studies/export.json").content.decode()
    own = _client(lead).get(f"/orgs/{practice.ods_code}/case-studies/{pk}/").content.decode()
    assert SECRET_NOTE in own
    changes = cases["changes_requested"]
    page = _client(lead).get(f"/orgs/{practice.ods_code}/case-studies/{changes.pk}/")
    assert "Add the costs." in page.content.decode()


def test_markdown_with_script_is_shown_safely(practice, lead):
    case = make(
        practice,
        lead,
        "published",
        problem="**Hard** to reach.\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))",
        key_learning="<img src=x onerror=alert(1)> and [good](https://example.org)",
    )
    html = _client().get(f"/case-studies/{case.pk}/").content.decode()
    assert "<strong>Hard</strong>" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html  # shown as text, not run
    assert 'href="javascript' not in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">good</a>' in html


def test_library_filters_and_action_page(practice, lead):
    make(practice, lead, "published", title="Interpreters on the day", action_keys=["acc_03"],
         groups=["interpreter_needed"], region="london", cost_amount=Decimal("0"))  # fmt: skip
    make(practice, lead, "published", title="Evening clinics", evaluated=False)
    c = _client()
    body = c.get("/case-studies/?action=acc_03").content.decode()
    assert "Interpreters on the day" in body and "Evening clinics" not in body
    body = c.get("/case-studies/?evaluated=no").content.decode()
    assert "Evening clinics" in body and "Interpreters on the day" not in body
    body = c.get("/case-studies/?cost_band=none&region=london").content.decode()
    assert "1 case study matches" in body
    action = c.get("/toolkit/actions/acc_03/").content.decode()
    assert "Interpreters on the day" in action and "Evening clinics" not in action
    assert c.get("/toolkit/actions/care_02/").content.decode().count("nhsuk-card__link") == 0


def test_write_edit_and_send_through_the_pages(practice, lead):
    c = _client(lead)
    base = f"/orgs/{practice.ods_code}/case-studies/"
    form = {
        "version": "0",
        "title": "Text reminders in Polish",
        "action_1": "acc_01",
        "region": "midlands",
        "problem": "Polish-speaking patients missed screening.",
        "what_was_done": "Reminders in Polish.",
        "outcomes": "Uptake rose.",
        "sponsorship": "None",
        "consent_to_publish": "on",
        "cost_amount": "abc",
    }
    response = c.post(base + "new/", form)
    assert response.status_code == 200 and "Enter a number" in response.content.decode()
    assert CaseStudy.objects.count() == 0
    form["cost_amount"] = "250"
    response = c.post(base + "new/", form)
    case = CaseStudy.objects.get()
    assert response["Location"] == f"{base}{case.pk}/"
    assert case.cost_band == "under_1k" and case.themes == ["access-and-flexibility"]
    form |= {"version": str(case.version), "title": "Text reminders in Polish and Romanian"}
    c.post(f"{base}{case.pk}/edit/", form)
    case.refresh_from_db()
    assert case.title.endswith("Romanian") and case.version == 2
    c.post(f"{base}{case.pk}/transition/", {"action": "submit"})
    case.refresh_from_db()
    assert case.state == "submitted"
    response = c.get(f"{base}{case.pk}/edit/")
    assert response.status_code == 302  # sent: no more changes until a reviewer asks
    assert AuditEvent.objects.filter(entity="case_study", verb="submit").count() == 1


def test_plan_item_offers_write_up_and_case_studies(practice, lead):
    item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_01")
    plans.measurement_add(actor=lead, item=item, measured_on="2026-02-01", value=Decimal("3"))
    make(practice, lead, "published", title="Registration without ID")
    c = _client(lead)
    page = c.get(f"/orgs/{practice.ods_code}/plan/{item.pk}/").content.decode()
    assert "Write this up as a case study" in page and "Registration without ID" in page
    response = c.post(f"/orgs/{practice.ods_code}/case-studies/from-plan/{item.pk}/")
    case = CaseStudy.objects.get(source_plan_item_id=item.pk)
    assert response["Location"] == f"/orgs/{practice.ods_code}/case-studies/{case.pk}/edit/"
    assert case.state == "draft" and case.chart_svg.startswith("<svg")
    viewer = member(practice, "viewer")
    page = _client(viewer).get(f"/orgs/{practice.ods_code}/plan/{item.pk}/").content.decode()
    assert "Write this up as a case study" not in page
    own = c.get(f"/orgs/{practice.ods_code}/case-studies/{case.pk}/").content.decode()
    assert "Measurements of" in own and 'role="img"' in own


def test_exports_hold_published_only_and_escape_formula_cells(practice, lead):
    make(practice, lead, "draft", title="=HYPERLINK(draft)")
    pub = make(
        practice,
        lead,
        "published",
        title="=cmd|' /C calc'!A0",
        key_learning="-2 weeks was enough",
        contact_name="Not shown",
        contact_email="hidden@example.org",
    )
    c = _client()
    data = json.loads(c.get("/case-studies/export.json").content)["case_studies"]
    assert [r["id"] for r in data] == [pub.pk]
    assert data[0]["title"] == "=cmd|' /C calc'!A0" and data[0]["contact_email"] == ""
    text = c.get("/case-studies/export.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["title"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["key_learning"] == "'-2 weeks was enough"
    assert cells.unescape(rows[0]["title"]) == pub.title
    assert "HYPERLINK" not in text


def test_pdf_and_print_page(practice, lead):
    case = make(practice, lead, "published", title="Carers' drop-in")
    c = _client()
    assert "Carers" in c.get(f"/case-studies/{case.pk}/print/").content.decode()
    response = c.get(f"/case-studies/{case.pk}/case-study.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Carers' drop-in" in text and "Evening clinics" not in text
    assert "What was done" in text


def test_review_pages_and_reviewer_grants(practice, lead):
    case = make(practice, lead, "submitted")
    staff = UserFactory(is_staff=True)
    reviewer = member(PracticeFactory(), "equity_lead")
    s = _client(staff)
    assert s.post("/case-studies/reviewers/", {"username": reviewer.username}).status_code == 302
    r = _client(reviewer)
    assert case.title in r.get("/case-studies/review/").content.decode()
    r.post(f"/case-studies/review/{case.pk}/", {"action": "start_review"})
    response = r.post(
        f"/case-studies/review/{case.pk}/", {"action": "publish", "checks": ["baseline"]}
    )
    assert "Tick every check" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "in_review"
    r.post(f"/case-studies/review/{case.pk}/",
           {"action": "request_changes", "note": "Please add the cost."})  # fmt: skip
    case.refresh_from_db()
    assert case.state == "changes_requested"
    s.post("/case-studies/reviewers/", {"username": reviewer.username, "action": "revoke"})
    assert r.get("/case-studies/review/").status_code == 404


def test_review_due_is_marked_from_the_queue_and_shown_to_readers(practice, lead):
    import datetime as dt

    case = make(practice, lead, "published")  # published on 1 June 2026
    CaseStudy.objects.filter(pk=case.pk).update(review_due_on=dt.date(2026, 1, 1))
    staff = UserFactory(is_staff=True)
    queue = _client(staff).get("/case-studies/review/").content.decode()
    case.refresh_from_db()
    assert case.state == "review_due" and case.title in queue
    page = _client().get(f"/case-studies/{case.pk}/").content.decode()
    assert "is due for review" in page
    assert AuditEvent.objects.filter(verb="mark_review_due", entity_id=str(case.pk)).exists()
    _client(staff).post(f"/case-studies/review/{case.pk}/", {"action": "reconfirm"})
    case.refresh_from_db()
    assert case.state == "published" and case.review_due_on > dt.date(2027, 1, 1)
