"""The HNA in the browser's requests: upload, background run, report pages, exports, the
same tables as the CLI, bad uploads keeping nothing, dead workers, and deleting runs."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from gpequity import hna
from gpequity.hna import results as core_results
from gpequity.web.hna import runs, uploads
from gpequity.web.hna.models import IndicatorResult, Run

from . import extracts
from .conftest import FOCUS
from .extracts import AS_OF, broken_patients, extract_zip, files, zipped

pytestmark = pytest.mark.django_db


def base(practice) -> str:
    return f"/orgs/{practice.ods_code}/hna/"


def upload(client, practice, data: bytes, name: str = "extract.zip", **extra):
    form = {
        "extract": SimpleUploadedFile(name, data),
        "as_of_day": str(AS_OF.day),
        "as_of_month": str(AS_OF.month),
        "as_of_year": str(AS_OF.year),
        "focus": "saved",
        **extra,
    }
    return client.post(base(practice) + "runs/new/", form)


def leftovers() -> list[str]:
    root = uploads.root()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_an_upload_runs_in_the_background_and_lands_on_the_report(client, practice, lead):
    client.force_login(lead)
    page = client.get(base(practice)).content.decode()
    assert "Run a new assessment" in page and 'name="as_of_day"' in page
    assert f'value="{timezone.localdate().day}"' in page  # the as-of date defaults to today

    response = upload(client, practice, extract_zip())
    run = Run.objects.get(organisation=practice)
    assert response.status_code == 302 and response["Location"].endswith(f"/runs/{run.pk}/")
    assert run.status == "done" and run.percent == 100 and run.as_of == AS_OF
    assert run.focus_criteria == FOCUS and run.focus_version == 1
    assert len(run.fingerprint) == 64 and run.gpequity_version
    from gpequity.hna.runinfo import extract_fingerprint

    assert run.fingerprint == run.run_info["extract_fingerprint"]
    assert run.fingerprint == extract_fingerprint(extracts.folder())  # folder or zip alike
    assert run.upload_folder == "" and leftovers() == []  # the extract is gone
    assert IndicatorResult.objects.filter(run=run).count() > 100

    status = client.get(base(practice) + f"runs/{run.pk}/").content.decode()
    assert "The assessment is finished" in status and "See the report" in status
    report = client.get(base(practice) + f"runs/{run.pk}/report/").content.decode()
    assert "Registered patients" in report and "600" in report
    assert "Focus group" in report and "of the list" in report
    assert "The largest gaps" in report
    page = client.get(base(practice) + f"runs/{run.pk}/indicators/cervical_screening/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "By deprivation (IMD fifth)" in text and "Most deprived fifth (Q1)" in text
    assert "<svg" in text and 'role="img"' in text and "Higher is better." in text
    # 600 patients leave decile 7 at 100%: the page says why there is no gradient
    assert "The gradient cannot be calculated: decile 7 at 0% or 100%" in text
    bowel = client.get(base(practice) + f"runs/{run.pk}/indicators/dna_rate/").content.decode()
    assert "Slope index of inequality (SII)" in bowel and "Lower is better." in bowel
    table = client.get(base(practice) + f"runs/{run.pk}/indicators/dna_rate.csv?grouping=sex")
    assert table.content.decode().splitlines()[0] == ",".join(core_results.INDICATOR_COLUMNS)
    assert {line.split(",")[1] for line in table.content.decode().splitlines()[1:]} == {"sex"}


def test_the_web_run_gives_the_cli_tables_byte_for_byte(client, practice, lead, tmp_path):
    client.force_login(lead)
    data = extract_zip()
    upload(client, practice, data)
    run = Run.objects.get(organisation=practice)
    (tmp_path / "extract.zip").write_bytes(data)
    cli = hna.run(tmp_path / "extract.zip", as_of=AS_OF, focus=json.dumps(FOCUS))
    out = cli.write(tmp_path / "cli")
    for name in (*core_results.OUTPUT_FILES, "run.json"):
        got = client.get(base(practice) + f"runs/{run.pk}/files/{name}")
        assert got.status_code == 200
        assert got.content == (out / name).read_bytes(), name
    import io

    import openpyxl

    book = client.get(base(practice) + f"runs/{run.pk}/results.xlsx")
    sheets = openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
    assert {"Indicators", "Gradients", "Findings", "Run"} <= set(sheets)
    html = client.get(base(practice) + f"runs/{run.pk}/report.html")
    assert "attachment" in html["Content-Disposition"] and b"The largest gaps" in html.content
    api = client.get(f"/api/orgs/{practice.ods_code}/hna/runs/{run.pk}/indicators").json()
    assert api == json.loads((out / "indicators.json").read_text())
    grads = client.get(f"/api/orgs/{practice.ods_code}/hna/runs/{run.pk}/gradients").json()
    assert grads == json.loads((out / "gradients.json").read_text())


def test_an_invalid_extract_reports_its_problems_and_can_drop_the_bad_rows(client, practice, lead):
    client.force_login(lead)
    bad = broken_patients({2: {"age": "abc"}, 5: {"sex": "robot"}, 9: {"age": "200"}})
    data = zipped({"patients.csv": bad, "appointments.csv": files()["appointments.csv"]})
    upload(client, practice, data)
    run = Run.objects.get(organisation=practice)
    assert run.status == "invalid" and run.upload_folder  # kept for the lead's choice
    assert run.droppable_rows["patients.csv"] == 3
    page = client.get(base(practice) + f"runs/{run.pk}/").content.decode()
    assert "The extract has problems" in page and "The extract has 3 problems" in page
    assert "Leave out the rows with problems and run" in page and "3 rows of patients.csv" in page
    assert ">2<" in page and "abc" in page and "robot" in page  # line and value
    assert "P0000001" not in page  # no patient identifiers

    response = client.post(base(practice) + f"runs/{run.pk}/drop-bad-rows/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "done" and run.drop_bad_rows and run.attempt == 2
    assert run.upload_folder == "" and leftovers() == []
    overall = IndicatorResult.objects.get(
        run=run, indicator="ethnicity_recorded", grouping="overall"
    )
    assert overall.denominator == 597


def test_fix_and_upload_again_deletes_the_kept_extract(client, practice, lead):
    client.force_login(lead)
    upload(client, practice, zipped({"patients.csv": broken_patients({3: {"age": "-4"}})}))
    run = Run.objects.get(organisation=practice)
    assert run.status == "invalid" and leftovers()
    client.post(base(practice) + f"runs/{run.pk}/discard/")
    run.refresh_from_db()
    assert run.upload_folder == "" and leftovers() == []


def _zip_bomb() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("patients.csv", b"patient_id,age,sex\n" + b"0" * (50 * 1024 * 1024))
    return buf.getvalue()


def _encrypted_zip() -> bytes:
    """A zip whose member says it is encrypted (flag bit 0), as a password-protected one does."""
    data = bytearray(zipped({"patients.csv": files()["patients.csv"]}))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.find(sig)
        offset = 6 if sig == b"PK\x03\x04" else 8
        data[at + offset] |= 0x1
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("extract.zip", lambda: b"", "is empty (0 bytes)"),
        ("extract.zip", lambda: b"this is not a zip at all", "is not a zip file"),
        ("notes.docx", lambda: b"hello", "is not a zip, CSV or Parquet file"),
        ("extract.zip", _zip_bomb, "it looks like a zip bomb"),
        ("extract.zip", _encrypted_zip, "is password-protected"),
        ("patients.csv", lambda: b"id,years,gender\n1,2,female\n", "has no patient_id, age, sex"),
        ("patients.csv", lambda: b"patient_id,age,sex\n", "has a header but no patients"),
        ("extract.zip", lambda: zipped({"readme.txt": b"hi"}), "has no patients.csv"),
        ("extract.zip", lambda: b"PK\x03\x04broken", "is damaged"),
    ],
)
def test_bad_uploads_say_why_and_keep_nothing(client, practice, lead, name, make, message):
    client.force_login(lead)
    response = upload(client, practice, make(), name=name)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "Nothing was kept" in page and "There is a problem" in page
    assert not Run.objects.exists() and leftovers() == []


@override_settings(HNA_UPLOAD_MAX_BYTES=10_000)
def test_an_upload_over_the_size_limit_is_refused_while_streaming(client, practice, lead):
    client.force_login(lead)
    response = upload(client, practice, extract_zip())
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not Run.objects.exists() and leftovers() == []


@override_settings(HNA_UNZIPPED_MAX_BYTES=50_000)
def test_a_zip_that_unpacks_past_the_cap_is_refused(client, practice, lead):
    client.force_login(lead)
    response = upload(client, practice, extract_zip())
    assert response.status_code == 400
    assert "extract.zip unpacks to more than 49 KB, the limit" in response.content.decode()
    assert not Run.objects.exists() and leftovers() == []


def _with_extra(name: str, data: bytes = b"", *, link: bool = False, count: int = 1) -> bytes:
    """The test extract zipped with extra members the shared archive checks refuse."""
    import io
    import zipfile

    buf = io.BytesIO(extract_zip())
    with zipfile.ZipFile(buf, "a") as zf:
        for i in range(count):
            info = zipfile.ZipInfo(name.format(i))
            if link:
                info.create_system = 3
                info.external_attr = (0o120777) << 16  # a symbolic link
            zf.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: _with_extra("notes/../../etc/cron.d/x"), "points outside its folder"),
        (lambda: _with_extra("secret", b"/etc/passwd", link=True), "is a symbolic link"),
        (lambda: _with_extra("n{}.txt", count=10_000), "at most 10,000 are allowed"),
    ],
)
def test_uploaded_zips_meet_the_shared_archive_caps(client, practice, lead, make, message):
    """The upload uses gpequity.archives (names, links, member count), as every zip does."""
    client.force_login(lead)
    response = upload(client, practice, make())
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Run.objects.exists() and leftovers() == []


def test_the_run_reads_the_extract_with_the_upload_s_caps(client, practice, lead, settings):
    """A zip accepted at upload but over the cap when the worker reads it (the setting was
    lowered in between) is refused by the run with the same message, not unpacked."""
    from gpequity.web.hna import services

    folder, stored = uploads.store_uploaded(
        {"extract": SimpleUploadedFile("extract.zip", extract_zip())}
    )
    run = services.run_start(
        actor=lead, organisation=practice, folder=folder, stored=stored, as_of=AS_OF,
        enqueue=False,
    )  # fmt: skip
    settings.HNA_UNZIPPED_MAX_BYTES = 50_000
    assert runs.run_body(str(run.pk), 1) == "invalid"
    run.refresh_from_db()
    messages = [i["message"] for i in run.validation["issues"]]
    assert any("unpacks to more than 49 KB, the limit" in m for m in messages), messages
    assert leftovers() == []


def test_a_run_whose_worker_died_is_marked_failed_and_can_be_retried(client, practice, lead):
    client.force_login(lead)
    folder, stored = uploads.store_uploaded(
        {"extract": SimpleUploadedFile("extract.zip", extract_zip())}
    )
    from gpequity.web.hna import services

    run = services.run_start(
        actor=lead,
        organisation=practice,
        folder=folder,
        stored=stored,
        as_of=AS_OF,
        enqueue=False,
    )
    long_ago = timezone.now() - runs.STALE_AFTER - dt.timedelta(minutes=1)
    Run.objects.filter(pk=run.pk).update(
        status="running", started_at=long_ago, heartbeat_at=long_ago, progress=0.4
    )
    page = client.get(base(practice) + f"runs/{run.pk}/").content.decode()
    run.refresh_from_db()
    assert run.status == "failed" and "stopped without finishing" in run.message
    assert "Try again" in page
    assert runs.run_body(str(run.pk), 1) == "failed"  # the dead attempt cannot come back
    client.post(base(practice) + f"runs/{run.pk}/retry/")
    run.refresh_from_db()
    assert run.status == "done" and run.attempt == 2 and leftovers() == []


def test_the_lead_deletes_a_run_and_its_results(client, practice, lead):
    client.force_login(lead)
    upload(client, practice, extract_zip())
    run = Run.objects.get(organisation=practice)
    assert client.get(base(practice) + f"runs/{run.pk}/delete/").status_code == 200
    response = client.post(base(practice) + f"runs/{run.pk}/delete/")
    assert response.status_code == 302
    assert not Run.objects.exists() and not IndicatorResult.objects.exists()


def test_results_are_for_the_practice_s_own_members_only(client, practice, people):
    client.force_login(people["lead"])
    upload(client, practice, extract_zip())
    run = Run.objects.get(organisation=practice)
    report = base(practice) + f"runs/{run.pk}/report/"
    for who in ("member", "viewer"):
        client.force_login(people[who])
        assert client.get(report).status_code == 200
        page = client.get(report).content.decode()
        assert "Add to plan" not in page  # only the lead may change the plan
    for who in ("network_lead", "analyst"):
        client.force_login(people[who])
        assert client.get(report).status_code == 404
        assert client.get(base(practice)).status_code == 404
        api = client.get(f"/api/orgs/{practice.ods_code}/hna/runs")
        assert api.status_code == 404


def test_the_worker_draws_a_finished_run_s_charts_for_the_pages(client, practice, lead):
    from gpequity.web.hna.models import RenderedChart

    client.force_login(lead)
    upload(client, practice, extract_zip())
    run = Run.objects.get(organisation=practice)
    assert not RenderedChart.objects.exists()  # the test settings leave it to the pages
    drawn = runs.warm_charts(run, ["dna_rate"])
    kept = RenderedChart.objects.filter(run=run).count()
    assert drawn == kept > 5
    page = client.get(base(practice) + f"runs/{run.pk}/indicators/dna_rate/").content.decode()
    assert (
        page.count('<div class="app-chart"><svg') == kept
        and RenderedChart.objects.filter(run=run).count() == kept
    )
