"""The HNA report as a tagged PDF through the background builds (ADR 9, ADR 25): built for a
real run, read back as text (the run's record, every finding with its patients and actions,
the indicator tables, the trends) and as page images, and only for the practice's own
members."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from gpequity.findings import find
from gpequity.web.hna import report_pdf, runs
from gpequity.web.hna.models import ReportPdf, Run

from .extracts import AS_OF
from .test_runs import base
from .world import FOCUS, _result

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# The PDF of every indicator takes minutes on a busy machine; these three cover a finding
# with actions, a gradient with its SII, one that cannot be calculated, and the record.
SOME = ("ethnicity_recorded", "cervical_screening", "dna_rate")


def _trimmed():
    """The engine's real result for the 600-patient test extract, kept to ``SOME``."""
    import dataclasses

    full = _result()
    return dataclasses.replace(
        full,
        indicator_rows=[r for r in full.indicator_rows if r["indicator"] in SOME],
        gradient_rows=[r for r in full.gradient_rows if r["indicator"] in SOME],
        definitions=[d for d in full.definitions if d.id in SOME],
    )


def _stored_run(practice, lead, as_of) -> Run:
    """A finished run holding the engine's real tables (for ``SOME``)."""
    run = Run.objects.create(
        organisation=practice,
        as_of=as_of,
        status="running",
        created_by=lead,
        focus_criteria=FOCUS,
        focus_description="Living in the two most deprived deciles, or homeless",
        focus_version=1,
        upload_names="extract.zip",
    )
    runs._store(run, 1, _trimmed())
    run.refresh_from_db()
    return run


@pytest.fixture
def two_runs(practice, lead):
    earlier = _stored_run(practice, lead, AS_OF - dt.timedelta(days=182))
    latest = _stored_run(practice, lead, AS_OF)
    return earlier, latest


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def _structure(pdf: bytes) -> tuple[dict, list[tuple[str, str | None]]]:
    """The document catalogue and every structure element as (role, alt text)."""
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    found: list[tuple[str, str | None]] = []

    def walk(node):
        node = node.get_object()
        if not hasattr(node, "get"):
            return
        if node.get("/S") is not None:
            found.append((str(node["/S"]), node.get("/Alt")))
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object"):
                walk(kid)

    walk(root["/StructTreeRoot"])
    return root, found


def test_the_report_pdf_is_built_for_a_run_and_reads_back(
    client, practice, lead, two_runs, tmp_path
):
    earlier, run = two_runs
    client.force_login(lead)
    report = client.get(base(practice) + f"runs/{run.pk}/report/").content.decode()
    assert "Download the report (PDF)" in report
    assert f'action="{base(practice)}runs/{run.pk}/pdf-builds/"' in report

    response = client.post(base(practice) + f"runs/{run.pk}/pdf-builds/")
    build = ReportPdf.objects.get(run=run)
    assert response.status_code == 302
    assert response["Location"] == base(practice) + f"runs/{run.pk}/pdf-builds/{build.pk}/"
    assert build.status == "done" and build.step == build.steps == 3 and build.percent == 100
    page = client.get(response["Location"]).content.decode()
    assert "The report is ready" in page and "Download the report PDF" in page
    assert "report-build.js" not in page
    status = client.get(response["Location"] + "status/").json()
    assert status["finished"] is True and "Download the report PDF" in status["html"]
    again = client.get(base(practice) + f"runs/{run.pk}/report/").content.decode()
    assert f"pdf-builds/{build.pk}/download/" in again and "Make the PDF again" in again

    got = client.get(response["Location"] + "download/")
    assert got["Content-Type"] == "application/pdf"
    assert f"{practice.ods_code}-hna-{run.as_of:%Y-%m-%d}-report-" in got["Content-Disposition"]
    pdf = got.content
    assert pdf == bytes(build.pdf) and len(pdf) == build.size
    text = _text(pdf)

    # the run's record
    assert "Riverside Surgery" in text and f"As of {run.as_of:%-d %B %Y}" in text
    assert run.fingerprint and run.fingerprint in text.replace(" ", "")
    assert "Living in the two most deprived deciles, or homeless" in text and "version 1" in text
    assert '"le": 2' in text  # the criteria themselves
    # every finding, as the CLI and the page word it, with its patients and actions
    result = _trimmed()
    findings = find(result.indicator_rows, definitions=result.definitions, pack=practice.framework)
    assert findings
    for f in findings:
        assert f.sentence in text, f.sentence
        assert f"{f.indicator_title}: {f.group_label}" in text
        for a in f.actions:
            assert a.title in text
    for f in findings:  # how many to act on, of how many in the group, in the finding's unit
        assert (
            f"{f.unit.capitalize()} to act on: about {f.patients_to_act_on:,}, "
            f"of {f.denominator:,} {f.unit} in the group."
        ) in text
    # each indicator's tables and gradient, and the trends over both runs
    for d in result.definitions:
        assert d.title in text
    assert "Missed appointments (DNA rate) by deprivation (IMD fifth)" in text
    assert "Slope index of inequality (SII)" in text
    assert "Trends across assessments" in text and "the 2 finished assessments" in text
    assert f"{earlier.as_of:%-d %b %Y}" in text

    # tagged: language, title, marked content, headings, tables, charts as figures with text
    root, elements = _structure(pdf)
    assert root["/Lang"] == "en-GB" and root["/MarkInfo"]["/Marked"]
    assert PdfReader(io.BytesIO(pdf)).metadata.title.startswith("Health needs assessment as of")
    roles = [role for role, _ in elements]
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/Figure"} <= set(roles)
    figures = [alt for role, alt in elements if role == "/Figure"]
    assert figures and all(alt for alt in figures)
    assert any("by IMD decile" in alt for alt in figures)

    # the pages render: the title page and a page of charts as images
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    for n in (1, 6, pages):
        out = str(tmp_path / f"p{n}")
        pdftoppm = ["pdftoppm", "-png", "-r", "40", "-f", str(n), "-l", str(n), str(path), out]
        subprocess.run(pdftoppm, check=True, timeout=60)
        png = next(tmp_path.glob(f"p{n}*.png"))
        from PIL import Image

        with Image.open(png) as im:
            colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20, n  # not a blank page
    assert pages > 8


def test_an_earlier_run_s_pdf_has_no_trends_from_later_runs(practice, lead, two_runs):
    earlier, run = two_runs
    assert [r.pk for r in report_pdf.earlier_runs(earlier)] == [earlier.pk]  # so no trends
    assert [r.pk for r in report_pdf.earlier_runs(run)] == [earlier.pk, run.pk]


@override_settings(TASKS=DB_TASKS)
def test_a_waiting_pdf_shows_progress_until_the_worker_takes_it(client, practice, lead, two_runs):
    _, run = two_runs
    client.force_login(lead)
    response = client.post(base(practice) + f"runs/{run.pk}/pdf-builds/")
    build = ReportPdf.objects.get(run=run)
    assert build.status == "queued"
    assert DBTaskResult.objects.filter(args_kwargs__args=[str(build.pk), 1]).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Waiting to start" in page and 'role="status"' in page and "report-build.js" in page
    assert client.get(response["Location"] + "download/").status_code == 404
    assert client.get(response["Location"] + "status/").json()["finished"] is False
    report = client.get(base(practice) + f"runs/{run.pk}/report/").content.decode()
    assert "Download the report (PDF)" in report and "/download/" not in report


def test_the_pdf_is_for_the_practice_s_own_members_only(client, practice, people, two_runs):
    earlier, run = two_runs
    build = ReportPdf.objects.create(
        run=run, requested_by=people["lead"], status="done", pdf=b"%PDF-1.7", size=8
    )
    url = base(practice) + f"runs/{run.pk}/pdf-builds/{build.pk}/"
    for who in ("member", "viewer"):
        client.force_login(people[who])
        assert client.get(url + "download/").content == b"%PDF-1.7"
        assert client.get(url + "status/").status_code == 200
    for who in ("network_lead", "analyst"):
        client.force_login(people[who])
        for tail in ("", "status/", "download/"):
            assert client.get(url + tail).status_code == 404, (who, tail)
        assert client.post(base(practice) + f"runs/{run.pk}/pdf-builds/").status_code == 404
    assert ReportPdf.objects.count() == 1  # the refused requests made nothing
    client.force_login(people["lead"])
    wrong_run = base(practice) + f"runs/{earlier.pk}/pdf-builds/{build.pk}/download/"
    assert client.get(wrong_run).status_code == 404  # only within its own run
    assert client.get(base(practice) + f"runs/{run.pk}/pdf-builds/").status_code == 405
