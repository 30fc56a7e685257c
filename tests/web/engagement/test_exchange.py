"""Exports of the engagement log: the JSON section and its all-or-nothing round-trip import,
CSV and XLSX with formula-leading cells escaped, the equity report and the evidence page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gpequity import engagement as eg
from gpequity.web.engagement import demo, exchange, services
from gpequity.web.engagement.models import Activity, Insight
from gpequity.web.plans import services as plans
from gpequity.web.reports.export_json import org_export
from tests.factories import PracticeFactory, member
from tests.web.engagement.conftest import activity_data

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
TRICKY = '=HYPERLINK("http://x")'


@pytest.fixture
def filled(practice, lead):
    nurse = member(practice, "member", username="nurse")
    manager = member(practice, "member", username="manager")
    plans.plan_item_adopt(actor=lead, organisation=practice, action_key="care_02")
    plans.plan_item_adopt(actor=lead, organisation=practice, action_key="miss_01")
    demo.build(organisation=practice, lead=lead, owners=[lead, manager, nurse], today=TODAY)
    a = services.activity_create(
        actor=lead,
        organisation=practice,
        data=activity_data(title=TRICKY, purpose="-5 degrees outside\n+ rain", start_date=TODAY),
    )
    services.insight_create(
        actor=lead, organisation=practice, theme="@reception rota", raised_on=TODAY, activity=a
    )
    return practice


def _section(org) -> dict:
    data = org_export(org)["engagement"]
    for a in data["activities"]:
        a.pop("created_at"), a.pop("created_by")
    for i in data["insights"]:
        i.pop("created_at")
    return data


def test_the_demo_year_has_every_level_and_a_story(filled):
    acts = Activity.objects.filter(organisation=filled)
    assert set(acts.values_list("level", flat=True)) == set(eg.LEVELS)
    ins = Insight.objects.filter(organisation=filled)
    assert ins.filter(loop_closed_on__isnull=False).count() == 6
    assert ins.filter(response="", due_date__lt=TODAY).count() == 2
    section = org_export(filled)["engagement"]
    plan = section["evaluation_plans"][0]
    assert [len(i["measurements"]) for i in plan["indicators"]] == [6, 6, 4]
    assert plan["community_involved"] is True


def test_json_round_trip_into_another_practice_gives_back_the_same_log(filled, lead):
    other = PracticeFactory(name="Copy Surgery")
    other_lead = member(other, "equity_lead", username="lead_copy")
    for username in ("lead", "nurse", "manager"):
        from django.contrib.auth import get_user_model

        from tests.factories import MembershipFactory

        MembershipFactory(
            user=get_user_model().objects.get(username=username),
            organisation=other,
            role="member",
        )
    plans.plan_item_adopt(actor=other_lead, organisation=other, action_key="care_02")
    plans.plan_item_adopt(actor=other_lead, organisation=other, action_key="miss_01")
    exported = json.loads(json.dumps(org_export(filled)))  # through text, as a file would go
    counts = exchange.engagement_import(actor=other_lead, organisation=other, data=exported)
    assert counts == {"activities": 15, "insights": 11, "evaluation_plans": 1, "partners": 6}
    assert _section(other) == _section(filled)
    # Importing again replaces rather than adds.
    exchange.engagement_import(actor=other_lead, organisation=other, data=exported)
    assert _section(other) == _section(filled)
    assert Activity.objects.filter(organisation=other).count() == 15


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("activities", 2, "level"), "shout", "activities[3].level: 'shout' is not one of"),
        (("activities", 0, "start_date"), "31/02/2026", "activities[1].start_date: '31/02/2026'"),
        (("insights", 1, "owner"), "stranger", "insights[2].owner: 'stranger' is not a member"),
        (
            ("activities", 4, "reach"),
            [{"grouping": "name", "group": "x", "count": 1}],
            "activities[5].reach[1].grouping",
        ),
        (("evaluation_plans", 0, "plan_item"), "nope_01", "evaluation_plans[1].plan_item"),
    ],
)
def test_a_bad_record_is_named_and_nothing_changes(filled, lead, path, value, message):
    data = json.loads(json.dumps(org_export(filled)))
    node = data["engagement"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    before = _section(filled)
    with pytest.raises(
        exchange.ImportProblem,
        match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\."),
    ):
        exchange.engagement_import(actor=lead, organisation=filled, data=data)
    assert _section(filled) == before


def test_import_page_replaces_the_log_and_reports_bad_json(filled, lead):
    c = Client()
    c.force_login(lead)
    url = f"/orgs/{filled.ods_code}/engagement/import/"
    good = json.dumps(org_export(filled)).encode()
    bad = b'{"engagement": {"activities": [}'
    r = c.post(url, {"file": SimpleUploadedFile("x.json", bad), "confirm": "on"})
    assert "x.json: not valid JSON at line 1, column 32" in r.content.decode()
    r = c.post(url, {"file": SimpleUploadedFile("x.json", good)})
    assert "Tick the box" in r.content.decode()
    r = c.post(url, {"file": SimpleUploadedFile("x.json", good), "confirm": "on"})
    assert r.status_code == 302
    assert Activity.objects.filter(organisation=filled).count() == 15


def test_csv_escapes_formula_cells_and_reads_back_what_was_typed(filled, lead):
    c = Client()
    c.force_login(lead)
    base = f"/orgs/{filled.ods_code}/engagement/"
    text = c.get(base + "activities.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(exchange.ACTIVITY_COLUMNS)
    tricky = next(r for r in rows if TRICKY in r[1])
    assert tricky[1] == "'" + TRICKY and tricky[4].startswith("'-5 degrees")
    assert eg.unescape_cell(tricky[1]) == TRICKY
    assert len(rows) == 16
    reach = list(csv.reader(io.StringIO(c.get(base + "reach.csv").content.decode("utf-8-sig"))))
    assert reach[1][:5] == [
        "1",
        "Leaflet drop about the new phone system",
        "Core20 (most deprived 20% of areas)",
        "Living in the most deprived 20% of areas",
        "400",
    ]
    ins = list(
        csv.reader(io.StringIO(c.get(base + "you-said-we-did.csv").content.decode("utf-8-sig")))
    )
    assert ins[-1][0] == "'@reception rota"


def test_workbook_has_three_sheets_with_escaped_cells(filled, lead):
    c = Client()
    c.force_login(lead)
    wb = openpyxl.load_workbook(
        io.BytesIO(c.get(f"/orgs/{filled.ods_code}/engagement/engagement.xlsx").content)
    )
    assert wb.sheetnames == ["Activities", "People reached", "You said, we did"]
    titles = [r[1].value for r in wb["Activities"].iter_rows(min_row=2)]
    assert "'" + TRICKY in titles and all(not str(t).startswith("=") for t in titles)
    assert wb["People reached"].max_row == 1 + sum(len(r[10]) for r in demo.ACTIVITIES)


def test_equity_report_and_evidence_page_show_engagement(filled, lead):
    from gpequity.web.reports import services as reports

    c = Client()
    c.force_login(lead)
    html = c.get(f"/orgs/{filled.ods_code}/reports/equity-report/").content.decode()
    assert "Working with people and communities" in html
    assert "The 8am phone queue is too long" in html
    page = c.get(f"/orgs/{filled.ods_code}/engagement/evidence/").content.decode()
    assert "Evidence of working with people and communities" in page
    assert "Blood pressure checks with the Eastgate community" in page
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(reports.report_pdf(filled)))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Working with people and communities" in text and "You said, we did" in text
