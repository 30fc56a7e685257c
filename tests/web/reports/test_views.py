"""Reports pages, downloads, the web import flow and who may use them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.storage import default_storage

from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.orgs.models import Role
from gpequity.web.reports import export_json, xlsx
from gpequity.web.reports.selectors import load_pack_for
from gpequity.web.reports.views import XLSX_TYPE
from tests.factories import PracticeFactory, member

from .conftest import edit_workbook

pytestmark = pytest.mark.django_db

READ_URLS = [
    "",
    "equity-report/",
    "equity-report.pdf",
    "workbook.xlsx",
    "assessment.csv",
    "plan.csv",
    "export.json",
]
WRITE_URLS = ["import/", "import/preview/", "import/apply/", "import/cancel/"]


def _state(org) -> dict:
    data = export_json.org_export(org)
    data.pop("exported_at")
    return json.loads(json.dumps(data))


def _upload(client, org, data: bytes, name: str = "workbook.xlsx"):
    f = io.BytesIO(data)
    f.name = name
    return client.post(f"/orgs/{org.ods_code}/reports/import/", {"workbook": f})


def _edited(org, action, status="Embedded") -> bytes:
    sheet = xlsx.tier_sheet_names(load_pack_for(org))[action.tier]
    return edit_workbook(xlsx.export_workbook(org), [(sheet, action.key, "Status", status)])


@pytest.mark.authz
@pytest.mark.parametrize("suffix", READ_URLS + WRITE_URLS)
def test_another_practices_user_gets_404_everywhere(client, filled, suffix):
    org = filled[0]
    outsider = member(PracticeFactory(), Role.EQUITY_LEAD)
    client.force_login(outsider)
    url = f"/orgs/{org.ods_code}/reports/{suffix}"
    response = client.post(url) if suffix in WRITE_URLS else client.get(url)
    assert response.status_code == 404
    assert client.get(f"/api/orgs/{org.ods_code}/export.json").status_code == 404


@pytest.mark.authz
def test_signed_out_people_are_sent_to_sign_in(client, filled):
    org = filled[0]
    for suffix in READ_URLS:
        response = client.get(f"/orgs/{org.ods_code}/reports/{suffix}")
        assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert client.get(f"/api/orgs/{org.ods_code}/export.json").status_code == 401


@pytest.mark.authz
def test_viewer_may_download_but_not_import(client, filled):
    org, lead, helper, (first, second, third) = filled
    viewer = member(org, Role.VIEWER)
    client.force_login(viewer)
    page = client.get(f"/orgs/{org.ods_code}/reports/")
    assert page.status_code == 200 and b"Import an edited workbook" not in page.content
    assert client.get(f"/orgs/{org.ods_code}/reports/workbook.xlsx").status_code == 200
    before = _state(org)
    assert _upload(client, org, _edited(org, second)).status_code == 404
    for suffix in WRITE_URLS[1:]:
        assert client.post(f"/orgs/{org.ods_code}/reports/{suffix}").status_code == 404
    assert _state(org) == before


@pytest.mark.authz
def test_team_member_cannot_import_either(client, filled):
    org, lead, helper, (first, second, third) = filled
    client.force_login(helper)
    assert _upload(client, org, _edited(org, second)).status_code == 404


def test_downloads_have_the_right_types_and_content(client, filled):
    org, lead, *_ = filled
    client.force_login(lead)
    base = f"/orgs/{org.ods_code}/reports/"
    pdf = client.get(base + "equity-report.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert (
        "attachment" in pdf["Content-Disposition"]
        and "R12345-equity-report" in pdf["Content-Disposition"]
    )
    wb = client.get(base + "workbook.xlsx")
    assert wb["Content-Type"] == XLSX_TYPE
    assert wb.content.startswith(b"PK")
    csv_text = client.get(base + "assessment.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Tier,Theme,Action Code,Action Key")
    assert len(csv_text.splitlines()) == 1 + len(load_pack_for(org).actions)
    plan_text = client.get(base + "plan.csv").content.decode("utf-8-sig")
    assert "Record ethnicity for more patients" in plan_text
    data = json.loads(client.get(base + "export.json").content)
    assert data["schema"] == "gpequity.org-export" and data["schema_version"] == 1


def test_json_export_holds_everything_but_no_secrets(client, filled):
    org, lead, helper, actions = filled
    client.force_login(lead)
    response = client.get(f"/api/orgs/{org.ods_code}/export.json")
    assert response.status_code == 200
    data = response.json()
    assert data["organisation"]["ods_code"] == "R12345"
    assert {m["username"] for m in data["members"]} == {lead.username, helper.username}
    assert {e["action_key"] for e in data["assessment"]} >= {actions[0].key, actions[1].key}
    assert data["snapshots"][0]["name"] == "Baseline 2024"
    assert data["focus_group_versions"][0]["version"] == 1
    assert data["plan_items"][0]["baseline"] == "41.5"
    assert data["cycles"][0]["plan"] == "Ask at every contact"
    assert data["measurements"][0]["value"] == "47.25"
    assert {a["entity"] for a in data["audit_events"]} >= {"assessment", "plan_item", "snapshot"}
    blob = response.content.decode()
    assert "password" not in blob and "md5$" not in blob and lead.email not in blob


def test_upload_preview_and_apply(client, filled):
    org, lead, helper, (first, second, third) = filled
    client.force_login(lead)
    response = _upload(client, org, _edited(org, second))
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/{org.ods_code}/reports/import/preview/"
    pending = client.session[f"reports-import-{org.pk}"]
    assert pending["token"] not in response["Location"]
    assert default_storage.exists(f"imports/{org.pk}/{pending['token']}.xlsx")
    preview = client.get(response["Location"]).content.decode()
    assert second.key in preview and "In progress" in preview and "Embedded" in preview
    # Nothing has changed yet.
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "in_progress"
    )
    done = client.post(f"/orgs/{org.ods_code}/reports/import/apply/", follow=True)
    assert "Workbook imported: 1 change saved." in done.content.decode()
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "embedded"
    )
    assert f"reports-import-{org.pk}" not in client.session
    assert not default_storage.exists(f"imports/{org.pk}/{pending['token']}.xlsx")


def test_cancel_discards_the_pending_upload(client, filled):
    org, lead, helper, (first, second, third) = filled
    client.force_login(lead)
    _upload(client, org, _edited(org, second))
    token = client.session[f"reports-import-{org.pk}"]["token"]
    client.post(f"/orgs/{org.ods_code}/reports/import/cancel/")
    assert not default_storage.exists(f"imports/{org.pk}/{token}.xlsx")
    response = client.post(f"/orgs/{org.ods_code}/reports/import/apply/")
    assert response.status_code == 302
    assert AssessmentEntry.objects.get(organisation=org, action_key=second.key).status == (
        "in_progress"
    )


def test_bad_upload_shows_the_cell_and_changes_nothing(client, filled):
    org, lead, helper, (first, second, third) = filled
    client.force_login(lead)
    before = _state(org)
    response = _upload(client, org, _edited(org, second, status="Sort of"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "Problems found in the workbook" in page
    assert "Sort of" in page and "Choose one of" in page
    assert f"reports-import-{org.pk}" not in client.session
    response = _upload(client, org, b"not a spreadsheet", name="notes.txt")
    assert response.status_code == 400 and "not an Excel workbook" in response.content.decode()
    assert _state(org) == before


def test_missing_file_is_a_form_error(client, filled):
    org, lead, *_ = filled
    client.force_login(lead)
    response = client.post(f"/orgs/{org.ods_code}/reports/import/")
    assert response.status_code == 400
    assert "Choose the workbook to upload" in response.content.decode()


def test_plan_csv_shows_names_and_indicator_titles_with_ids_at_the_end(client, filled):
    import csv
    import io

    from gpequity.catalogue import vocab
    from gpequity.web.plans.models import PlanItem

    org, lead, helper, actions = filled
    item = PlanItem.objects.filter(organisation=org).first()
    key = next(iter(vocab.INDICATORS))
    PlanItem.objects.filter(pk=item.pk).update(owner=lead, measure_indicator=key)
    client.force_login(lead)
    text = client.get(f"/orgs/{org.ods_code}/reports/plan.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in rows if r["Action Key"] == item.action_key)
    assert row["Owner"] == lead.get_full_name() and row["Owner username"] == lead.username
    assert row["Measure indicator"] == vocab.INDICATORS[key]
    assert row["Measure indicator key"] == key
