"""The practice workbook: export, round trip and all-or-nothing import."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.audit.models import AuditEvent
from gpequity.web.orgs.models import Role
from gpequity.web.plans.models import PlanItem
from gpequity.web.reports import export_json, services, xlsx
from gpequity.web.reports.selectors import load_pack_for
from tests.factories import PracticeFactory, member

from .conftest import edit_workbook, row_of

pytestmark = pytest.mark.django_db


def _state(org) -> dict:
    """Everything the practice entered, minus the export's own timestamp."""
    data = export_json.org_export(org)
    data.pop("exported_at")
    return json.loads(json.dumps(data))


def _tier_sheet(org, action) -> str:
    pack = load_pack_for(org)
    return xlsx.tier_sheet_names(pack)[action.tier]


def test_workbook_layout_matches_the_toolkit_spreadsheet(filled):
    org, lead, helper, (first, second, third) = filled
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.export_workbook(org)))
    pack = load_pack_for(org)
    names = list(xlsx.tier_sheet_names(pack).values())
    assert wb.sheetnames == [*names, "Plan", "Cycles", "Measurements", "Focus group", "About"]
    ws = wb[names[0]]
    assert "Riverside Surgery" in ws["A1"].value and "Exported from gpequity" in ws["A1"].value
    assert tuple(c.value for c in ws[2]) == xlsx.TIER_HEADER
    assert ws.max_row - 2 == len(pack.actions_in(tier=pack.tiers[0].key))
    rows = {r[2]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows[first.key][4:6] == ("In place", "Done in March")
    item_row = next(
        r
        for r in wb[_tier_sheet(org, third)].iter_rows(min_row=3, values_only=True)
        if r[2] == third.key
    )
    owner, start, due, status = item_row[6:10]
    assert (owner, start.date(), due.date(), status) == (
        helper.get_full_name(),
        date(2025, 1, 6),
        date(2025, 6, 30),
        "In progress",
    )
    assert wb["About"].sheet_state == "hidden"
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True)}
    assert about["ODS code"] == "R12345" and about["Format version"] == xlsx.FORMAT_VERSION
    assert (
        wb["Measurements"]["D3"].value == Decimal("47.25")
        or wb["Measurements"]["D3"].value == 47.25
    )
    assert wb["Cycles"]["D3"].value == "Ask at every contact"
    assert "Patients living" in wb["Focus group"]["D3"].value


def test_round_trip_without_edits_changes_nothing(filled):
    org, lead, *_ = filled
    before = _state(org)
    data = xlsx.export_workbook(org)
    preview = services.preview_import(org, data, actor=lead)
    assert preview.ok and preview.changes == [] and preview.warnings == []
    services.apply_import(actor=lead, organisation=org, data=data)
    assert _state(org) == before


def test_round_trip_with_edits_changes_exactly_those_cells(filled):
    org, lead, helper, (first, second, third) = filled
    pack = load_pack_for(org)
    fourth = pack.actions[3]
    data = xlsx.export_workbook(org)
    edited = edit_workbook(
        data,
        [
            (_tier_sheet(org, second), second.key, "Status", "Embedded"),
            (_tier_sheet(org, fourth), fourth.key, "Notes", "Agreed at the team meeting"),
            (_tier_sheet(org, third), third.key, "Plan owner", lead.email.upper()),
            (_tier_sheet(org, third), third.key, "Due date", "30/09/2025"),
            ("Plan", third.key, "Target", 65.5),
            ("Plan", third.key, "Unit", "%"),
            # The same plan item on both sheets: edited alike in both places.
            ("Plan", third.key, "Owner", lead.username),
            ("Plan", third.key, "Due date", date(2025, 9, 30)),
            (_tier_sheet(org, third), third.key, "Target", "65.5"),
        ],
    )
    preview = services.preview_import(org, edited, actor=lead)
    assert preview.ok, preview.errors
    got = {(c.entity, c.key, c.field, c.before, c.after) for c in preview.changes}
    assert got == {
        ("assessment", second.key, "status", "In progress", "Embedded"),
        ("assessment", fourth.key, "notes", "", "Agreed at the team meeting"),
        ("plan_item", third.key, "owner", helper.get_full_name(), "Asha Patel"),
        ("plan_item", third.key, "due_date", "2025-06-30", "2025-09-30"),
        ("plan_item", third.key, "target", "60", "65.5"),
        ("plan_item", third.key, "unit", "", "%"),
    }
    audit_before = AuditEvent.objects.filter(organisation_id=org.pk).count()
    services.apply_import(
        actor=lead, organisation=org, data=edited, expected_fingerprint=preview.fingerprint
    )
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == "embedded"
    item = PlanItem.objects.get(organisation=org, action_key=third.key)
    assert (item.owner, item.due_date, item.target, item.unit) == (
        lead,
        date(2025, 9, 30),
        Decimal("65.5"),
        "%",
    )
    # Audited through the services: 2 assessment updates, 1 plan update, 1 import summary.
    events = AuditEvent.objects.filter(organisation_id=org.pk).order_by("id")[audit_before:]
    assert [(e.entity, e.action_key) for e in events] == [
        ("assessment", second.key),
        ("assessment", fourth.key),
        ("plan_item", third.key),
        ("import", ""),
    ]
    assert all(e.actor_id == lead.pk for e in events)
    # Exporting again gives back exactly the edited workbook's data.
    again = xlsx.export_workbook(org)
    assert xlsx.read_workbook(again, org).data() == xlsx.read_workbook(edited, org).data()
    assert services.preview_import(org, edited, actor=lead).changes == []


def test_plan_columns_on_a_tier_sheet_add_the_action_to_the_plan(filled):
    org, lead, helper, actions = filled
    fifth = load_pack_for(org).actions[4]
    edited = edit_workbook(
        xlsx.export_workbook(org),
        [
            (_tier_sheet(org, fifth), fifth.key, "Plan owner", helper.username),
            (_tier_sheet(org, fifth), fifth.key, "Objective", "Try it for a quarter"),
        ],
    )
    preview = services.preview_import(org, edited, actor=lead)
    assert ("plan_item", fifth.key, "created") in {
        (c.entity, c.key, c.field) for c in preview.changes
    }
    services.apply_import(actor=lead, organisation=org, data=edited)
    item = PlanItem.objects.get(organisation=org, action_key=fifth.key)
    assert (item.owner, item.objective) == (helper, "Try it for a quarter")


def test_the_same_plan_field_changed_differently_on_two_sheets_is_an_error(filled):
    org, lead, helper, (first, second, third) = filled
    edited = edit_workbook(
        xlsx.export_workbook(org),
        [
            (_tier_sheet(org, third), third.key, "Objective", "One thing"),
            ("Plan", third.key, "Objective", "Another thing"),
        ],
    )
    preview = services.preview_import(org, edited, actor=lead)
    assert not preview.ok and preview.changes == []
    (issue,) = preview.errors
    assert issue.sheet == "Plan" and issue.column == "Objective" and issue.value == "Another thing"


BAD_CELLS = [
    ("Status", "Finished", "Choose one of: Not started, Planned, In progress"),
    ("Start date", "31/02/2025", "Enter a real date"),
    ("Plan owner", "nobody@example.org", "No member of this practice"),
    ("Plan owner", "Nobody Atall", "No member of this practice has this name"),
    ("Baseline", "lots", "Enter a number"),
    ("Plan status", "Paused", "Choose one of: Not started, In progress, Done, Stopped"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS)
def test_a_bad_cell_is_named_and_nothing_changes(filled, column, value, message):
    org, lead, helper, (first, second, third) = filled
    sheet = _tier_sheet(org, third)
    data = xlsx.export_workbook(org)
    # One good edit alongside the bad one: it must not be applied either.
    edited = edit_workbook(
        data,
        [
            (_tier_sheet(org, first), first.key, "Notes", "A good change"),
            (sheet, third.key, column, value),
        ],
    )
    before = _state(org)
    preview = services.preview_import(org, edited, actor=lead)
    assert not preview.ok
    (issue,) = preview.errors
    assert (issue.sheet, issue.row, issue.column, issue.value) == (
        sheet,
        row_of(data, sheet, third.key),
        column,
        value,
    )
    assert message in issue.message
    with pytest.raises(services.ImportFailed):
        services.apply_import(actor=lead, organisation=org, data=edited)
    assert _state(org) == before


def test_unknown_action_key_names_sheet_and_row(filled):
    org, lead, helper, (first, *_rest) = filled
    sheet = _tier_sheet(org, first)
    data = xlsx.export_workbook(org)
    edited = edit_workbook(data, [(sheet, first.key, "Action Key", "no_such_action")])
    preview = services.preview_import(org, edited, actor=lead)
    (issue,) = preview.errors
    assert (issue.sheet, issue.row, issue.column, issue.value) == (
        sheet,
        row_of(data, sheet, first.key),
        "Action Key",
        "no_such_action",
    )


def test_wrong_header_and_missing_sheet_are_errors(filled):
    org, lead, helper, (first, *_rest) = filled
    sheet = _tier_sheet(org, first)
    edited = edit_workbook(xlsx.export_workbook(org), [(sheet, None, "Status", "State")])
    (issue,) = services.preview_import(org, edited, actor=lead).errors
    assert (issue.sheet, issue.row, issue.column, issue.value) == (sheet, 2, "E", "State")
    assert "Expected the header 'Status'" in issue.message

    wb = openpyxl.load_workbook(io.BytesIO(xlsx.export_workbook(org)))
    wb[sheet].title = "Renamed"
    buf = io.BytesIO()
    wb.save(buf)
    errors = services.preview_import(org, buf.getvalue(), actor=lead).errors
    assert [(e.sheet, e.message) for e in errors] == [(sheet, "This tier's sheet is missing.")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Action Key,Status\nacc_01,Done\n", "This is not an Excel workbook (.xlsx)"),
        (b"PK\x03\x04 broken zip", "damaged or not an Excel workbook"),
        (b"PK\x03\x04" + b"0" * (xlsx.MAX_BYTES + 1), "larger than 10 MB"),
    ],
)
def test_files_that_are_not_workbooks_are_refused(filled, data, message):
    org, lead, *_ = filled
    before = _state(org)
    preview = services.preview_import(org, data, actor=lead, name="plan.xlsx")
    (issue,) = preview.errors
    assert message in issue.message and issue.sheet == "plan.xlsx"
    with pytest.raises(services.ImportFailed):
        services.apply_import(actor=lead, organisation=org, data=data)
    assert _state(org) == before


def test_a_plain_workbook_or_another_practices_workbook_is_refused(filled):
    org, lead, *_ = filled
    plain = openpyxl.Workbook()
    buf = io.BytesIO()
    plain.save(buf)
    (issue,) = services.preview_import(org, buf.getvalue(), actor=lead).errors
    assert "not a gpequity practice workbook" in issue.message

    other = PracticeFactory(ods_code="Z99999")
    (issue,) = services.preview_import(org, xlsx.export_workbook(other), actor=lead).errors
    assert (issue.sheet, issue.value) == ("About", "Z99999")
    assert "another organisation" in issue.message


def test_service_refusals_point_at_the_cell(filled):
    """A viewer is a member but cannot own plan items: the plan service refuses, by cell."""
    org, lead, helper, (first, second, third) = filled
    viewer = member(org, Role.VIEWER, username="watcher")
    sheet = _tier_sheet(org, third)
    data = xlsx.export_workbook(org)
    edited = edit_workbook(data, [(sheet, third.key, "Plan owner", "watcher")])
    before = _state(org)
    preview = services.preview_import(org, edited, actor=lead)
    (issue,) = preview.errors
    assert (issue.sheet, issue.row, issue.column, issue.value) == (
        sheet,
        row_of(data, sheet, third.key),
        "Plan owner",
        "watcher",
    )
    assert "owner must be" in issue.message
    assert _state(org) == before
    assert viewer.pk


def test_due_before_start_is_refused(filled):
    org, lead, helper, (first, second, third) = filled
    sheet = _tier_sheet(org, third)
    edited = edit_workbook(
        xlsx.export_workbook(org), [(sheet, third.key, "Due date", "2024-12-01")]
    )
    (issue,) = services.preview_import(org, edited, actor=lead).errors
    assert issue.column == "Due date" and "on or after the start date" in issue.message


def test_edits_to_read_only_sheets_are_warned_about_not_imported(filled):
    org, lead, helper, (first, second, third) = filled
    edited = edit_workbook(xlsx.export_workbook(org), [("Cycles", third.key, "Study", "Learned")])
    preview = services.preview_import(org, edited, actor=lead)
    assert preview.ok and preview.changes == []
    assert [w.sheet for w in preview.warnings] == ["Cycles"]


def test_a_confirmed_preview_is_refused_when_the_data_moved_on(filled):
    from gpequity.web.assessment import services as assessment_services

    org, lead, helper, (first, second, third) = filled
    edited = edit_workbook(
        xlsx.export_workbook(org), [(_tier_sheet(org, second), second.key, "Status", "Embedded")]
    )
    preview = services.preview_import(org, edited, actor=lead)
    entry = AssessmentEntry.objects.get(organisation=org, action_key=second.key)
    assessment_services.assessment_update(
        actor=helper,
        organisation=org,
        action_key=second.key,
        status="planned",
        notes="",
        expected_version=entry.version,
    )
    with pytest.raises(services.ImportFailed, match="changed after you previewed"):
        services.apply_import(
            actor=lead, organisation=org, data=edited, expected_fingerprint=preview.fingerprint
        )
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == "planned"


def test_only_editors_may_import(filled):
    org, lead, helper, (first, second, third) = filled
    edited = edit_workbook(
        xlsx.export_workbook(org), [(_tier_sheet(org, second), second.key, "Status", "Embedded")]
    )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.apply_import(actor=helper, organisation=org, data=edited)


def test_people_and_indicators_are_named_in_words_and_read_back_exactly(filled):
    """Owners show as names and the measure indicator as its title (not usernames and keys);
    the workbook still reads back to exactly the same plan, and a name two members share is
    written with its username so it stays exact."""
    from gpequity.catalogue import vocab

    org, lead, helper, (first, second, third) = filled
    pack = load_pack_for(org)
    fourth = pack.actions[3]
    twin = member(org, Role.MEMBER, username="asha2")
    twin.first_name, twin.last_name = "Asha", "Patel"
    twin.save()
    PlanItem.objects.filter(organisation=org, action_key=third.key).update(
        measure_indicator="bp_recorded_5y", owner=lead
    )
    before = _state(org)
    data = xlsx.export_workbook(org)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    plan = {r[0]: dict(zip(xlsx.PLAN_HEADER, r, strict=False)) for r in
            wb["Plan"].iter_rows(min_row=3, values_only=True)}  # fmt: skip
    assert plan[third.key]["Owner"] == "Asha Patel (lead-r12345)"
    assert plan[third.key]["Measure indicator"] == vocab.INDICATORS["bp_recorded_5y"]
    tier = {r[2]: r for r in wb[_tier_sheet(org, third)].iter_rows(min_row=3, values_only=True)}
    assert tier[third.key][6] == "Asha Patel (lead-r12345)"
    assert "lead-r12345" not in str(tier[first.key])
    services.apply_import(actor=lead, organisation=org, data=data)
    assert _state(org) == before

    # A person types a name or a title: matched; a shared name alone is refused, by cell.
    edited = edit_workbook(
        data,
        [
            (_tier_sheet(org, fourth), fourth.key, "Plan owner", helper.get_full_name().upper()),
            ("Plan", third.key, "Measure indicator", "cervical screening coverage"),
        ],
    )
    preview = services.preview_import(org, edited, actor=lead)
    assert preview.ok, preview.errors
    got = {(c.key, c.field, c.before, c.after) for c in preview.changes}
    assert (fourth.key, "owner", "", helper.get_full_name()) in got
    assert (
        third.key,
        "measure_indicator",
        vocab.INDICATORS["bp_recorded_5y"],
        vocab.INDICATORS["cervical_screening"],
    ) in got
    services.apply_import(actor=lead, organisation=org, data=edited)
    item = PlanItem.objects.get(organisation=org, action_key=third.key)
    assert item.measure_indicator == "cervical_screening"
    assert PlanItem.objects.get(organisation=org, action_key=fourth.key).owner == helper
    again = xlsx.export_workbook(org)
    assert services.preview_import(org, edited, actor=lead).changes == []
    assert services.preview_import(org, again, actor=lead).changes == []

    shared = edit_workbook(again, [("Plan", third.key, "Owner", "Asha Patel")])
    (issue,) = services.preview_import(org, shared, actor=lead).errors
    assert (issue.sheet, issue.column, issue.value) == ("Plan", "Owner", "Asha Patel")
    assert "2 members are called Asha Patel" in issue.message
    assert "'Asha Patel (lead-r12345)'" in issue.message or "(asha2)" in issue.message
