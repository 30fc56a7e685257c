"""The action plan: adopt, update with optimistic concurrency, cycles, measurements, audit,
permissions and organisation scoping, the run chart, the API and the e-mail digest."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from gpequity.web.audit.models import AuditEvent
from gpequity.web.plans import selectors, services
from gpequity.web.plans.models import Cycle, Measurement, PlanItem
from tests.factories import PracticeFactory, UserFactory, member
from tests.web.plans.factories import PlanItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(practice):
    return member(practice, "member", username="nurse")


def _edit_data(item, **overrides):
    data = {
        "title": item.title,
        "owner": str(item.owner_id or ""),
        "start_date": "",
        "due_date": "",
        "objective": "",
        "measure_indicator": "",
        "measure_text": "",
        "baseline": "",
        "target": "",
        "unit": "",
        "status": item.status,
        "version": str(item.version),
    }
    data.update(overrides)
    return data


def test_adopt_creates_item_from_action_and_redirects_to_edit(client, practice, lead):
    client.force_login(lead)
    response = client.post(f"/orgs/{practice.ods_code}/plan/adopt/acc_01/")
    item = PlanItem.objects.get(organisation=practice)
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/{practice.ods_code}/plan/{item.pk}/edit/"
    assert item.title == "Inclusive registration"
    assert item.owner == lead
    assert item.measure_indicator == "ethnicity_recorded"
    event = AuditEvent.objects.get(entity="plan_item", entity_id=str(item.pk))
    assert event.verb == "created" and event.action_key == "acc_01"
    assert event.after["title"] == "Inclusive registration"
    # Adopting again does not duplicate.
    client.post(f"/orgs/{practice.ods_code}/plan/adopt/acc_01/")
    assert PlanItem.objects.filter(organisation=practice).count() == 1


def test_adopt_unknown_action_is_404_and_member_cannot_adopt(client, practice, lead, nurse):
    client.force_login(lead)
    assert client.post(f"/orgs/{practice.ods_code}/plan/adopt/no_such/").status_code == 404
    client.force_login(nurse)
    assert client.post(f"/orgs/{practice.ods_code}/plan/adopt/acc_01/").status_code == 403
    assert client.get(f"/orgs/{practice.ods_code}/plan/adopt/acc_01/").status_code == 405
    assert not PlanItem.objects.exists()


def test_choose_page_leads_to_adopt_button(client, practice, lead):
    client.force_login(lead)
    page = client.get(f"/orgs/{practice.ods_code}/plan/adopt/", {"action": "acc_01"})
    assert page.status_code == 200
    assert f'action="/orgs/{practice.ods_code}/plan/adopt/acc_01/"' in page.content.decode()


def test_update_saves_audits_before_and_after_and_bumps_version(client, practice, lead, nurse):
    item = PlanItemFactory(organisation=practice, owner=lead)
    client.force_login(lead)
    response = client.post(
        f"/orgs/{practice.ods_code}/plan/{item.pk}/edit/",
        _edit_data(
            item,
            owner=str(nurse.pk),
            due_date="2026-03-31",
            start_date="2025-10-01",
            objective="Record ethnicity for 80% of patients by March 2026",
            measure_indicator="ethnicity_recorded",
            baseline="62",
            target="80",
            unit="%",
            status="in_progress",
        ),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.owner == nurse and item.due_date == dt.date(2026, 3, 31)
    assert item.target == Decimal("80") and item.version == 2
    event = AuditEvent.objects.get(entity="plan_item", verb="updated")
    assert event.before["owner_id"] == lead.pk and event.after["owner_id"] == nurse.pk
    assert event.before["status"] == "not_started" and event.after["status"] == "in_progress"
    assert event.after["target"] == "80" and event.actor_name


def test_concurrent_edit_is_refused_with_message_and_user_text_kept(client, practice, lead):
    item = PlanItemFactory(organisation=practice, owner=lead)
    stale = _edit_data(item, objective="My careful objective text")
    services.plan_item_update(
        actor=lead, item=item, expected_version=1, changes={"status": "in_progress"}
    )
    client.force_login(lead)
    response = client.post(f"/orgs/{practice.ods_code}/plan/{item.pk}/edit/", stale)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this item" in html
    assert "My careful objective text" in html
    assert 'name="version" value="2"' in html
    item.refresh_from_db()
    assert item.objective == "" and item.status == "in_progress" and item.version == 2
    # Saving again, knowingly, over the newer version works.
    stale["version"] = "2"
    assert client.post(f"/orgs/{practice.ods_code}/plan/{item.pk}/edit/", stale).status_code == 302
    item.refresh_from_db()
    assert item.objective == "My careful objective text"


def test_owner_must_be_member_of_this_practice(practice, lead):
    outsider = member(PracticeFactory(), "member")
    viewer = member(practice, "viewer")
    item = PlanItemFactory(organisation=practice)
    for user in (outsider, viewer, UserFactory()):
        with pytest.raises(ValidationError):
            services.plan_item_update(
                actor=lead, item=item, expected_version=1, changes={"owner": user}
            )
    item.refresh_from_db()
    assert item.owner is None and item.version == 1


def test_owner_form_offers_only_members(client, practice, lead, nurse):
    outsider = member(PracticeFactory(), "member", username="outsider")
    item = PlanItemFactory(organisation=practice)
    client.force_login(lead)
    response = client.post(
        f"/orgs/{practice.ods_code}/plan/{item.pk}/edit/", _edit_data(item, owner=str(outsider.pk))
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    item.refresh_from_db()
    assert item.owner is None


def test_member_updates_own_item_but_not_others(client, practice, lead, nurse):
    own = PlanItemFactory(organisation=practice, owner=nurse)
    other = PlanItemFactory(organisation=practice, owner=lead)
    client.force_login(nurse)
    url = f"/orgs/{practice.ods_code}/plan/{own.pk}/edit/"
    assert client.post(url, _edit_data(own, status="in_progress")).status_code == 302
    url = f"/orgs/{practice.ods_code}/plan/{other.pk}/edit/"
    assert client.get(url).status_code == 403
    assert client.post(url, _edit_data(other, status="done")).status_code == 403
    for path in ("cycles/new/", "measurements/new/"):
        assert (
            client.post(f"/orgs/{practice.ods_code}/plan/{other.pk}/{path}", {}).status_code == 403
        )
    other.refresh_from_db()
    assert other.status == "not_started"
    with pytest.raises(PermissionDenied):
        services.measurement_add(
            actor=nurse, item=other, measured_on=dt.date(2025, 1, 1), value=Decimal(1)
        )


def test_viewer_cannot_change_anything(client, practice):
    viewer = member(practice, "viewer")
    item = PlanItemFactory(organisation=practice, owner=None)
    client.force_login(viewer)
    base = f"/orgs/{practice.ods_code}/plan/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}{item.pk}/").status_code == 200
    assert client.post(f"{base}adopt/acc_02/").status_code == 403
    assert client.post(f"{base}{item.pk}/edit/", _edit_data(item, status="done")).status_code == 403
    assert client.post(f"{base}{item.pk}/cycles/new/", {"plan": "x"}).status_code == 403
    assert (
        client.post(
            f"{base}{item.pk}/measurements/new/", {"measured_on": "2025-01-01", "value": "3"}
        ).status_code
        == 403
    )
    assert not Cycle.objects.exists() and not Measurement.objects.exists()
    assert PlanItem.objects.count() == 1
    # Nothing was done, so nothing but the four refusals is in the trail (issue 22).
    trail = list(AuditEvent.objects.values_list("entity", "verb"))
    assert trail == [("access", "denied")] * 4


def test_other_practice_gets_404_by_url_and_by_id_guessing(client, practice, lead):
    other_practice = PracticeFactory()
    theirs = PlanItemFactory(organisation=other_practice)
    client.force_login(lead)
    assert client.get(f"/orgs/{other_practice.ods_code}/plan/").status_code == 404
    assert client.get(f"/orgs/{other_practice.ods_code}/plan/{theirs.pk}/").status_code == 404
    # Their item's id under our own practice's address.
    mine = f"/orgs/{practice.ods_code}/plan/{theirs.pk}/"
    assert client.get(mine).status_code == 404
    assert client.post(mine + "edit/", _edit_data(theirs, status="done")).status_code == 404
    assert client.post(mine + "cycles/new/", {"plan": "x"}).status_code == 404
    assert client.get(f"/api/orgs/{practice.ods_code}/plan/{theirs.pk}").status_code == 404
    assert client.get(f"/api/orgs/{other_practice.ods_code}/plan").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "not_started"


def test_cycle_and_measurements_are_recorded_audited_and_charted(client, practice, lead):
    item = PlanItemFactory(
        organisation=practice,
        owner=lead,
        measure_indicator="ethnicity_recorded",
        baseline=Decimal("62"),
        target=Decimal("80"),
        unit="%",
    )
    client.force_login(lead)
    base = f"/orgs/{practice.ods_code}/plan/{item.pk}/"
    response = client.post(
        base + "cycles/new/",
        {
            "plan": "Ask at check-in",
            "do": "Reception asked for two weeks",
            "study": "Recording rose",
            "act": "Adopt for all",
            "started_on": "2025-01-06",
            "completed_on": "2025-01-20",
        },
    )
    assert response.status_code == 302
    cycle = Cycle.objects.get(plan_item=item)
    assert cycle.number == 1 and cycle.study == "Recording rose"
    for day, value in (("2025-01-31", "63.5"), ("2025-02-28", "66"), ("2025-03-31", "71.25")):
        response = client.post(base + "measurements/new/", {"measured_on": day, "value": value})
        assert response.status_code == 302
    assert AuditEvent.objects.filter(entity="plan_measurement", verb="created").count() == 3
    assert AuditEvent.objects.get(entity="plan_cycle").after["act"] == "Adopt for all"
    html = client.get(base).content.decode()
    assert "<svg" in html and 'role="img"' in html
    assert "Run chart of Ethnicity recorded: 3 measurements" in html
    assert "median 66" in html and "baseline 62" in html and "target 80" in html
    assert "<caption" in html and "71.25" in html and "31 Jan 2025" in html
    assert "Cycle 1" in html and "Reception asked for two weeks" in html
    # The chart is drawn server-side: no script or stylesheet comes from another host.
    # (Match whole URLs, not the letters "cdn", which a random CSRF token can contain.)
    assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', html)


def test_measurement_form_errors_store_nothing(client, practice, lead):
    item = PlanItemFactory(organisation=practice, owner=lead)
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/plan/{item.pk}/measurements/new/"
    html = client.post(url, {"measured_on": "31/02/2025", "value": "lots"}).content.decode()
    assert "Enter a real date" in html and "Enter a number" in html
    assert not Measurement.objects.exists() and not AuditEvent.objects.exists()


def test_list_filters_and_overdue_flag(client, practice, lead, nurse):
    today = selectors.today()
    late = PlanItemFactory(
        organisation=practice, owner=nurse, title="Late one", due_date=today - dt.timedelta(days=3)
    )
    PlanItemFactory(
        organisation=practice,
        owner=lead,
        title="Finished one",
        due_date=today - dt.timedelta(days=3),
        status="done",
    )
    PlanItemFactory(
        organisation=practice, owner=lead, title="Soon one", due_date=today + dt.timedelta(days=5)
    )
    client.force_login(lead)
    base = f"/orgs/{practice.ods_code}/plan/"
    html = client.get(base).content.decode()
    assert html.count("nhsuk-tag--red") == 1 and "Late one" in html
    html = client.get(base, {"when": "overdue"}).content.decode()
    assert "Late one" in html and "Finished one" not in html and "Soon one" not in html
    html = client.get(base, {"owner": str(lead.pk)}).content.decode()
    assert "Late one" not in html and "Soon one" in html
    html = client.get(base, {"status": "done"}).content.decode()
    assert "Finished one" in html and "Soon one" not in html
    # My actions for the nurse: only their overdue item.
    client.force_login(nurse)
    html = client.get(base + "mine/").content.decode()
    assert "Late one" in html and "Soon one" not in html
    html = client.get(base + "due/").content.decode()
    assert "Late one" in html and "Soon one" in html and "Finished one" not in html
    assert late.pk


def test_api_lists_items_and_detail_with_cycles_and_measurements(client, practice, lead):
    item = PlanItemFactory(organisation=practice, owner=lead, target=Decimal("80"))
    services.cycle_add(actor=lead, item=item, plan="Try texts")
    services.measurement_add(
        actor=lead, item=item, measured_on=dt.date(2025, 5, 1), value=Decimal("12.5")
    )
    viewer = member(practice, "viewer")
    client.force_login(viewer)
    listing = client.get(f"/api/orgs/{practice.ods_code}/plan").json()
    assert [i["id"] for i in listing] == [item.pk] and listing[0]["target"] == 80.0
    detail = client.get(f"/api/orgs/{practice.ods_code}/plan/{item.pk}").json()
    assert detail["cycles"][0]["plan"] == "Try texts"
    assert detail["measurements"] == [{"measured_on": "2025-05-01", "value": 12.5, "note": ""}]
    client.logout()
    assert client.get(f"/api/orgs/{practice.ods_code}/plan").status_code == 401


def test_digest_mails_each_owner_once_per_practice(practice, lead, nurse):
    today = selectors.today()
    nurse.email = "nurse@example.org"
    nurse.save()
    PlanItemFactory(
        organisation=practice, owner=nurse, title="Late", due_date=today - dt.timedelta(1)
    )
    PlanItemFactory(
        organisation=practice, owner=nurse, title="Soon", due_date=today + dt.timedelta(3)
    )
    PlanItemFactory(
        organisation=practice, owner=nurse, title="Far", due_date=today + dt.timedelta(60)
    )
    PlanItemFactory(
        organisation=practice, owner=nurse, title="Closed", due_date=today, status="stopped"
    )
    other = PracticeFactory(name="Hillside")
    nurse_there = member(other, "member")
    assert nurse_there
    from tests.factories import MembershipFactory

    MembershipFactory(user=nurse, organisation=other, role="member")
    PlanItemFactory(organisation=other, owner=nurse, title="Hill task", due_date=today)
    out = io.StringIO()
    call_command("send_plan_digest", "--dry-run", stdout=out)
    assert mail.outbox == [] and "2 digest(s) prepared" in out.getvalue()
    call_command("send_plan_digest", "--days", "14", stdout=io.StringIO())
    assert len(mail.outbox) == 2
    by_subject = {m.subject.split(":")[0]: m for m in mail.outbox}
    riverside = by_subject["Riverside Surgery"]
    assert riverside.to == ["nurse@example.org"]
    assert "1 overdue, 1 due soon" in riverside.subject
    assert "Late" in riverside.body and "Soon" in riverside.body
    assert "Far" not in riverside.body and "Closed" not in riverside.body
    assert "Hill task" in by_subject["Hillside"].body
    assert json.dumps(riverside.body)


def test_cycles_and_measurements_are_corrected_and_deleted_with_an_audit_trail(client):
    import datetime as dt
    from decimal import Decimal

    from gpequity.web.audit.models import AuditEvent
    from gpequity.web.plans import services as plan_services
    from gpequity.web.plans.models import Cycle, Measurement, PlanItem
    from tests.factories import PracticeFactory, member

    practice = PracticeFactory()
    lead = member(practice, "equity_lead")
    viewer = member(practice, "viewer")
    item = plan_services.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_01")
    cycle = plan_services.cycle_add(actor=lead, item=item, plan="Ask at registration")
    m = plan_services.measurement_add(
        actor=lead, item=item, measured_on=dt.date(2026, 1, 31), value=Decimal("63")
    )
    base = f"/orgs/{practice.ods_code}/plan/{item.pk}/"
    client.force_login(viewer)
    assert client.post(base + f"cycles/{cycle.pk}/edit/", {"plan": "x"}).status_code == 403
    assert client.post(base + f"measurements/{m.pk}/delete/").status_code == 403

    client.force_login(lead)
    page = client.get(base).content.decode()
    assert f"{base}cycles/{cycle.pk}/edit/" in page and f"{base}measurements/{m.pk}/edit/" in page
    form = client.get(base + f"cycles/{cycle.pk}/edit/").content.decode()
    assert "Ask at registration" in form and "Delete" in form
    response = client.post(
        base + f"cycles/{cycle.pk}/edit/",
        {"plan": "Ask at registration", "do": "Asked for two weeks", "study": "Most answered"},
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.do, cycle.study) == ("Asked for two weeks", "Most answered")
    event = AuditEvent.objects.get(entity="plan_cycle", verb="updated")
    assert event.before["do"] == "" and event.after["do"] == "Asked for two weeks"

    bad = client.post(
        base + f"measurements/{m.pk}/edit/",
        {
            "measured_on-day": "31",
            "measured_on-month": "2",
            "measured_on-year": "2026",
            "value": "6",
        },
    )
    assert bad.status_code == 400 and "Enter a real date" in bad.content.decode()
    assert "<title>Error: Change a measurement" in bad.content.decode()
    client.post(
        base + f"measurements/{m.pk}/edit/",
        {
            "measured_on-day": "28",
            "measured_on-month": "2",
            "measured_on-year": "2026",
            "value": "67.5",
        },
    )
    m.refresh_from_db()
    assert (m.measured_on, m.value) == (dt.date(2026, 2, 28), Decimal("67.5"))

    assert "Delete cycle 1?" in client.get(base + f"cycles/{cycle.pk}/delete/").content.decode()
    client.post(base + f"cycles/{cycle.pk}/delete/")
    client.post(base + f"measurements/{m.pk}/delete/")
    assert not Cycle.objects.exists() and not Measurement.objects.exists()
    deleted = AuditEvent.objects.filter(verb="deleted").values_list("entity", flat=True)
    assert sorted(deleted) == ["plan_cycle", "plan_measurement"]
    assert PlanItem.objects.filter(pk=item.pk).exists()
