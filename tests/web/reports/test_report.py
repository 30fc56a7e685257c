"""The practice equity report: the PDF people download and the HTML page it mirrors."""

from __future__ import annotations

import io
import subprocess

import pytest
from pypdf import PdfReader

from gpequity.web.reports import services
from gpequity.web.reports.selectors import load_pack_for

from .factories import FOCUS_TEXT

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_holds_title_page_tier_table_focus_plan_and_attribution(filled, tmp_path):
    org, lead, helper, (first, second, third) = filled
    pdf = services.report_pdf(org)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    first_page = reader.pages[0].extract_text()
    assert "Riverside Surgery" in first_page and "R12345" in first_page
    text = _text(pdf)
    # Tier table: tier 1 has one action in place and one in progress.
    assert "Actions by tier and status" in text
    tier_1 = load_pack_for(org).tiers[0]
    line = next(ln for ln in text.splitlines() if ln.startswith(tier_1.name + " "))
    n = len(load_pack_for(org).actions_in(tier=tier_1.key))
    assert f"1 of {n}" in line
    flat = " ".join(text.split())  # table cells wrap over lines
    assert FOCUS_TEXT in flat
    assert "Record ethnicity for more patients" in flat  # plan objective
    assert "47.25 on 1 Mar 2025" in flat  # latest measurement
    assert "Baseline 2024" in flat and f"{first.code}: {first.title}" in flat  # progress
    assert "Royal College of General Practitioners" in flat  # attribution
    assert f"Page 1 of {len(reader.pages)}" in flat


def test_pdf_first_page_renders_to_a_non_blank_png(filled, tmp_path):
    from PIL import Image

    org = filled[0]
    path = tmp_path / "report.pdf"
    path.write_bytes(services.report_pdf(org))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    with Image.open(png) as img:
        grey = img.convert("L")
        lo, hi = grey.getextrema()
        dark = sum(grey.histogram()[:128])
    assert lo < 80 and hi > 240
    assert dark > 200  # the title text is really drawn, not just a blank page


def test_html_report_shows_the_same_sections(client, filled):
    org, lead, *_ = filled
    client.force_login(lead)
    page = client.get(f"/orgs/{org.ods_code}/reports/equity-report/").content.decode()
    for text in ("Actions by tier and status", FOCUS_TEXT, "Action plan", "Baseline 2024"):
        assert text in page
    assert "Royal College of General Practitioners" in page


def test_report_without_focus_plan_or_snapshot_says_so(client):
    from gpequity.web.orgs.models import Role
    from tests.factories import PracticeFactory, member

    org = PracticeFactory(name="Empty Practice")
    user = member(org, Role.VIEWER)
    client.force_login(user)
    page = client.get(f"/orgs/{org.ods_code}/reports/equity-report/").content.decode()
    assert "has not defined its Focus group" in page
    assert "no items in the action plan" in page
    assert "No snapshot has been taken" in page


def test_official_titles_appear_with_attribution_when_imported(filled):
    from gpequity.web.catalogue.models import OfficialText, OfficialTextImport

    org, lead, helper, (first, second, third) = filled
    imp = OfficialTextImport.objects.create(
        pack_id=org.framework, version=1, source_name="toolkit.xlsx", sha256="0" * 64
    )
    OfficialText.objects.create(
        official_import=imp, action_key=third.key, title="Official wording of the action"
    )
    html = services.report_html(org)
    assert "Toolkit wording: Official wording of the action" in html
    assert "imported copy of the toolkit" in html
