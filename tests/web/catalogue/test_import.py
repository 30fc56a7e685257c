"""Staff import of the official text: upload, preview, apply or cancel, history, errors."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from gpequity.catalogue.importer import Issue
from gpequity.web.audit.models import AuditEvent
from gpequity.web.catalogue import selectors, services
from gpequity.web.catalogue.models import OfficialText, OfficialTextImport
from gpequity.web.catalogue.uploads import SESSION_KEY
from tests.factories import UserFactory
from tests.web.catalogue.factories import PACK_ID, read_bytes, toolkit_workbook

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data: bytes, name: str = "my-toolkit.xlsx", **extra):
    return client.post(
        "/toolkit/import/",
        {"pack": PACK_ID, "file": SimpleUploadedFile(name, data, content_type=XLSX), **extra},
    )


# Access ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["/toolkit/import/", "/toolkit/import/preview/", "/toolkit/import/history/"]
)
def test_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize(
    "url", ["/toolkit/import/", "/toolkit/import/preview/", "/toolkit/import/history/"]
)
def test_signed_in_non_staff_get_404(client, url):
    client.force_login(UserFactory(username="ordinary"))
    assert client.get(url).status_code == 404


def test_non_staff_cannot_post_an_upload(client):
    client.force_login(UserFactory(username="ordinary"))
    assert upload(client, toolkit_workbook()).status_code == 404
    assert not OfficialTextImport.objects.exists()


# The whole flow ------------------------------------------------------------------------------
def test_upload_preview_apply_shows_official_text(client, staff, pending_files):
    client.force_login(staff)
    page = client.get("/toolkit/import/").content.decode()
    assert page.count("<h1") == 1 and 'type="file"' in page

    response = upload(client, toolkit_workbook())
    assert response.status_code == 302 and response["Location"] == "/toolkit/import/preview/"
    token = client.session[SESSION_KEY]["token"]
    assert token not in response["Location"]
    assert len(pending_files()) == 1
    assert not OfficialTextImport.objects.exists()  # nothing stored before apply

    preview = client.get("/toolkit/import/preview/").content.decode()
    assert token not in preview
    assert '<dd class="nhsuk-summary-list__value" id="rows-read">116</dd>' in preview
    assert '<dd class="nhsuk-summary-list__value" id="matched">116 of 116</dd>' in preview
    assert "repeated code &#x27;ACC_17&#x27;" in preview  # a warning, in the table
    assert "Achieving</td>" in preview
    assert "first import" in preview
    assert 'Called "Starting Out" in your copy' in preview
    assert "Apply this import" in preview and ">Cancel<" in preview

    applied = client.post("/toolkit/import/preview/", {"decision": "apply"})
    assert applied.status_code == 302
    assert applied["Location"].startswith("/toolkit/import/history/")
    assert pending_files() == [] and SESSION_KEY not in client.session

    version = OfficialTextImport.objects.get()
    assert (version.version, version.uploaded_by, version.source_name) == (
        1,
        staff,
        "my-toolkit.xlsx",
    )
    assert version.report["matched"] == 116 and version.report["rows_read"] == 116
    assert version.tier_names == {"tier-1": "Starting Out", "tier-2": "Groundwork"}
    assert version.diff is None
    assert OfficialText.objects.filter(official_import=version).count() == 116
    event = AuditEvent.objects.get(entity="catalogue_import")
    assert event.actor_id == staff.pk and event.after["version"] == 1

    history = client.get(applied["Location"]).content.decode()
    assert "Version 1 (current)" in history and "my-toolkit.xlsx" in history
    action = client.get("/toolkit/actions/acc_01/").content.decode()
    assert "Invented wording for acc_01, edition 1." in action


def test_second_import_previews_and_records_the_diff(client, staff, imported):
    client.force_login(staff)
    # acc_01 reworded, acc_02 missing from the new copy.
    data = toolkit_workbook(changed={"acc_01": 2}, skip=frozenset({"acc_02"}))
    assert upload(client, data, name="newer.xlsx").status_code == 302
    preview = client.get("/toolkit/import/preview/").content.decode()
    assert "Compared with version 1" in preview
    assert "Removed (1)" in preview and "ACC_02" in preview
    assert "Changed (1)" in preview and "descriptor" in preview
    assert "Added" not in preview
    client.post("/toolkit/import/preview/", {"decision": "apply"})

    latest = selectors.current_import(PACK_ID)
    assert latest.version == 2
    assert latest.diff == {
        "added": [],
        "removed": ["acc_02"],
        "changed": [{"key": "acc_01", "fields": ["descriptor"]}],
    }
    texts = selectors.current_official_text(PACK_ID)
    assert "acc_02" not in texts and "edition 2" in texts["acc_01"].descriptor
    history = client.get("/toolkit/import/history/").content.decode()
    assert "Version 2 (current)" in history and "Version 1" in history
    assert "Removed (1)" in history

    # Importing acc_02 back shows it as added.
    assert upload(client, toolkit_workbook(changed={"acc_01": 2})).status_code == 302
    assert "Added (1)" in client.get("/toolkit/import/preview/").content.decode()


def test_same_file_again_says_nothing_changed(client, staff, imported):
    client.force_login(staff)
    upload(client, toolkit_workbook())
    preview = client.get("/toolkit/import/preview/").content.decode()
    assert "no action was added, removed or changed" in preview


def test_cancel_stores_nothing_and_deletes_the_file(client, staff, pending_files):
    client.force_login(staff)
    upload(client, toolkit_workbook())
    assert len(pending_files()) == 1
    response = client.post("/toolkit/import/preview/", {"decision": "cancel"})
    assert response.status_code == 302 and response["Location"] == "/toolkit/import/"
    assert pending_files() == [] and SESSION_KEY not in client.session
    assert not OfficialTextImport.objects.exists()
    # Nothing waits any more: the preview sends the user back to the upload page.
    assert client.get("/toolkit/import/preview/")["Location"] == "/toolkit/import/"


def test_a_new_upload_replaces_the_waiting_one(client, staff, pending_files):
    client.force_login(staff)
    upload(client, toolkit_workbook())
    first = pending_files()
    upload(client, toolkit_workbook(version=3))
    assert len(pending_files()) == 1 and pending_files() != first


# Bad files -----------------------------------------------------------------------------------
def assert_nothing_stored(pending_files):
    assert not OfficialTextImport.objects.exists()
    assert not OfficialText.objects.exists()
    assert pending_files() == []


def test_not_a_spreadsheet(client, staff, pending_files):
    client.force_login(staff)
    response = upload(client, b"%PDF-1.7 this is not a workbook\x00\x01", name="toolkit.xlsx")
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem with toolkit.xlsx" in html
    assert "is not an Excel workbook" in html
    assert SESSION_KEY not in client.session
    assert_nothing_stored(pending_files)


def test_wrong_headers_name_sheet_row_and_columns(client, staff, pending_files):
    client.force_login(staff)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Achieving"
    ws.append(["A made-up title row"])
    ws.append(["Theme", "Action Code", "Words"])
    ws.append(["Access and Flexibility", "ACC_01", "something"])
    buf = io.BytesIO()
    wb.save(buf)
    html = upload(client, buf.getvalue(), name="headers.xlsx").content.decode()
    assert "There is a problem with headers.xlsx" in html
    assert "sheet Achieving, row 2" in html
    assert "missing required column(s) Action Descriptor" in html
    assert "&#x27;Words&#x27;" in html  # the header values found are named
    assert_nothing_stored(pending_files)


def test_wrong_extension_is_refused(client, staff, pending_files):
    client.force_login(staff)
    html = upload(client, b"Theme,Action Code\n", name="toolkit.pdf").content.decode()
    assert "There is a problem" in html and "toolkit.pdf is not an .xlsx or .csv file" in html
    assert_nothing_stored(pending_files)


@override_settings(CATALOGUE_IMPORT_MAX_BYTES=1000)
def test_too_big_is_refused(client, staff, pending_files):
    client.force_login(staff)
    html = upload(client, toolkit_workbook(), name="big.xlsx").content.decode()
    assert "There is a problem" in html
    assert "over the 1,000-byte limit" in html
    assert_nothing_stored(pending_files)


def test_twenty_megabyte_limit_by_default(client, staff, pending_files):
    client.force_login(staff)
    data = b"Theme,Action Code,Action Descriptor\n" + b"x" * (20 * 1024 * 1024)
    html = upload(client, data, name="huge.csv").content.decode()
    assert "over the 20,971,520-byte limit" in html
    assert_nothing_stored(pending_files)


def test_csv_without_tier_column_needs_a_tier(client, staff, pending_files):
    client.force_login(staff)
    data = (
        "Theme,Action Code,Action Descriptor\n"
        "Access and Flexibility,ACC_01,Inclusive registration\nWords\n"
    )
    html = upload(client, data.encode(), name="one-tier.csv").content.decode()
    assert "no &#x27;Action Tier&#x27; column" in html
    assert_nothing_stored(pending_files)


# The service itself --------------------------------------------------------------------------
def test_service_refuses_a_result_with_errors(tmp_path):
    result = read_bytes(tmp_path, toolkit_workbook())
    result.errors.append(Issue("Achieving", 7, "Theme", "made-up fatal problem"))
    with pytest.raises(ValidationError) as exc:
        services.import_official_text(result=result, pack_id=PACK_ID)
    assert "Achieving, row 7, column 'Theme': made-up fatal problem" in exc.value.messages
    assert not OfficialTextImport.objects.exists() and not AuditEvent.objects.exists()


def test_service_refuses_an_empty_result(tmp_path):
    result = read_bytes(tmp_path, toolkit_workbook())
    result.entries = {}
    with pytest.raises(ValidationError):
        services.import_official_text(result=result)
    assert not OfficialTextImport.objects.exists()


def test_service_numbers_versions_per_pack_and_cli_default(tmp_path, imported):
    second = services.import_official_text(result=read_bytes(tmp_path, toolkit_workbook()))
    assert (imported.version, second.version) == (1, 2)
    assert second.pack_id == PACK_ID  # taken from the result when not given
    assert second.diff == {"added": [], "removed": [], "changed": []}
    assert [v.version for v in selectors.import_history(PACK_ID)] == [2, 1]
    assert selectors.current_official_text("nhse-inclusion-health") == {}
    with pytest.raises(ValidationError):
        services.import_official_text(
            result=read_bytes(tmp_path, toolkit_workbook()), pack_id="nhse-inclusion-health"
        )


def test_abandoned_uploads_are_purged(client, staff, pending_files):
    from datetime import timedelta

    from gpequity.web.catalogue.uploads import purge_stale

    client.force_login(staff)
    upload(client, toolkit_workbook())
    assert purge_stale() == 0 and len(pending_files()) == 1  # fresh: kept
    assert purge_stale(timedelta(seconds=-1)) == 1 and pending_files() == []


def test_cli_save_import_stores_through_the_service(tmp_path):
    from gpequity.cli.catalogue import save_import

    result = read_bytes(tmp_path, toolkit_workbook())
    assert save_import(result, PACK_ID) == f"version 1 of {PACK_ID}"
    stored = selectors.current_import(PACK_ID)
    assert stored.uploaded_by is None and stored.texts.count() == 116
