"""The board assurance report (ADR 27): content for a seeded PCN, disclosure control, practices
that do not share, the PDF read back as text and as images, the chart choice at 14 and 15
points, and who may see it."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from pypdf import PdfReader

from gpequity.web.network import board
from gpequity.web.network.board import Share
from gpequity.web.reports.models import ReportBuild

from .board_world import ALDER_CASE, ALDER_ITEM, CEDAR_CASE, CEDAR_ITEM, TODAY, board_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    return board_world()


def _url(org, tail: str = "") -> str:
    return f"/orgs/{org.ods_code}/network/board/{tail}"


def _flat(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_the_board_report_shows_what_practices_share_and_nothing_else(client, world):
    client.force_login(world.lead)
    response = client.get(_url(world.pcn))
    assert response.status_code == 200
    page = response.content.decode()
    text = _flat(page)
    for heading in (
        "Purpose and summary",
        "Which practices share what",
        "Progress by tier and theme",
        "The largest gaps",
        "Working with people and communities",
        "Actions, risks and case studies",
        "How this maps to the five national priorities",
    ):
        assert heading in text
    for priority in (
        "1. Restore services inclusively",
        "2. Reduce digital exclusion",
        "3. Complete and timely data",
        "4. Prevention that reaches those at greatest risk",
        "5. Leadership and accountability",
    ):
        assert priority in text
    # The practice that shares nothing is named as not sharing, and nothing else of it shows.
    assert "Cedar Health Centre Not sharing anything with Willow PCN" in text
    assert CEDAR_ITEM not in text and CEDAR_CASE not in text
    assert text.count("Cedar Health Centre") == 2  # the sharing table and the risks list
    # HNA results: Alder's and Birch's only (Damson does not share them).
    assert "latest health needs assessment results of 2 practices" in text
    assert "1. Ethnicity recorded: most deprived fifth (Q1)" in text
    # The headline figures went through disclosure control: counts are multiples of 5.
    counts = re.search(r"\( ?(\d+) of (\d+) ?, rounded to 5\)", text)
    assert counts and all(int(n) % 5 == 0 for n in counts.groups())
    patients = re.search(r"about (\d+) patients", text)
    assert patients and int(patients.group(1)) % 5 == 0
    # Birch's first result, alone at its date, is too small to show.
    assert re.search(r"Results as of .*? suppressed", text)
    # 15 points shown: an XmR chart with its icon, description and data table.
    assert 'aria-label="XmR chart. Gap in ethnicity recorded' in page
    assert "Special cause variation" in text or "Common cause variation" in text
    assert 'class="app-spc-icon"' in page
    assert "process limits" in text
    # Progress, actions, risks, engagement, case studies of the sharing practices.
    assert "Alder Surgery" in text and "Damson Medical Centre" in text
    assert ALDER_ITEM in text and "1 plan item is past its due date" in text
    assert ALDER_CASE in text
    assert "1 practice does not share anything with Willow PCN: Cedar Health Centre" in text
    assert "Engagement activities by practice and band" in text
    # Alder's one activity is a count from 1 to 7: suppressed, and its share with it.
    engagement = _flat(page.split('id="board-engagement-table"')[1].split("</table>")[0])
    assert "Alder Surgery 0 0 suppressed suppressed suppressed" in engagement
    assert "100%" not in engagement
    assert "Build the board report as a PDF" in text
    # The network dashboard links to it.
    dashboard = client.get(f"/orgs/{world.pcn.ods_code}/network/").content.decode()
    assert f'href="{_url(world.pcn)}"' in dashboard and "Board assurance report" in dashboard


def test_the_pdf_is_built_in_the_background_and_reads_back_as_text_and_images(
    client, world, tmp_path
):
    from PIL import Image

    client.force_login(world.lead)
    response = client.post(_url(world.pcn, "pdf-builds/"))
    build = ReportBuild.objects.get(organisation=world.pcn)
    assert build.kind == "board" and build.status == "done" and build.requested_by == world.lead
    progress = client.get(response["Location"]).content.decode()
    assert (
        "Board assurance report PDF" in progress
        and "Back to the board assurance report" in progress
    )
    download = client.get(f"/orgs/{world.pcn.ods_code}/reports/pdf-builds/{build.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    assert f"{world.pcn.ods_code}-board-report-" in download["Content-Disposition"]
    pdf = download.content

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"].get("/StructTreeRoot") is not None  # a tagged PDF
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    flat = " ".join(pages)
    for text in (
        "Board assurance report",
        "Willow PCN",
        "Purpose and summary",
        "The largest gaps",
        "XmR chart. Gap in ethnicity recorded",
        "Working with people and communities",
        ALDER_ITEM,
        "Leadership and accountability",
        f"Page 1 of {len(pages)}",
    ):
        assert text in flat, text
    assert CEDAR_ITEM not in flat and CEDAR_CASE not in flat
    assert "suppressed" in flat

    path = tmp_path / "board.pdf"
    path.write_bytes(pdf)
    chart_page = next(i for i, t in enumerate(pages, 1) if "XmR chart." in t)
    pages_arg = ["-f", "1", "-l", str(chart_page)]
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", *pages_arg, str(path), str(tmp_path / "p")], check=True
    )
    images = sorted(tmp_path.glob("p*.png"))
    assert len(images) == chart_page
    with Image.open(images[0]) as img:  # the title page: really drawn, not blank
        grey = img.convert("L")
        assert grey.getextrema()[0] < 80 and sum(grey.histogram()[:128]) > 100
    with Image.open(images[-1]) as img:  # the chart: Making Data Count colours are drawn
        colours = {c for _, c in img.convert("RGB").getcolors(maxcolors=1 << 20)}

    def near(rgb):
        return any(sum(abs(a - b) for a, b in zip(rgb, c, strict=True)) < 40 for c in colours)

    assert near((0x42, 0x55, 0x63))  # the line and the mean
    assert near((0x00, 0x5E, 0xB8)) or near((0xED, 0x8B, 0x00)) or near((0x76, 0x86, 0x92))


@pytest.mark.parametrize(("months", "kind"), [(14, "run"), (15, "xmr")])
def test_a_gap_gets_an_xmr_chart_from_15_points_and_a_run_chart_below(months, kind):
    world = board_world(alder_months=months)
    shares = [
        Share(world.practices["alder"], progress=True, engagement=True, hna=True),
        Share(world.practices["birch"], progress=True, engagement=True, hna=True),
    ]
    gaps = board.gaps_section(shares)["gaps"]
    chart = gaps[0].chart
    shown = [p for p in gaps[0].points if p.gap is not None]
    assert len(shown) == months  # Birch's first point is suppressed and not counted
    assert chart["kind"] == kind
    if kind == "xmr":
        assert chart["description"].startswith("XmR chart.") and chart["icon"]
        assert "Upper process limit" in chart["svg"]
        assert all(r["kind"] for r in chart["rows"] if r["gap"] is not None)
    else:
        assert chart["description"].startswith("Run chart.") and not chart["icon"]
        assert "Median" in chart["svg"] and "Upper process limit" not in chart["svg"]


def test_who_may_see_the_board_report(client, world):
    pcn, icb = world.pcn, world.icb
    alder = world.practices["alder"]
    client.force_login(world.leads["alder"])  # a practice lead does not see the PCN's report
    assert client.get(_url(pcn)).status_code == 404
    assert client.post(_url(pcn, "pdf-builds/")).status_code == 404
    assert client.get(_url(alder)).status_code == 404  # nor is there one for a practice
    client.force_login(world.analyst)
    for org in (pcn, icb):
        assert client.get(_url(org)).status_code == 200
    # The ICB's analyst sees what practices share with the ICB: Alder and Birch share HNA
    # results with it too, so the ICB's report has the same gaps.
    text = _flat(client.get(_url(icb)).content.decode())
    assert "latest health needs assessment results of 2 practices" in text
    assert CEDAR_ITEM not in text
    assert client.get(_url(pcn, "pdf-builds/")).status_code == 405  # asking is a POST


def test_the_icb_board_groups_practices_under_their_pcn(client, world):
    import datetime as dt

    from gpequity.web.engagement import services as engagement
    from gpequity.web.orgs.models import Role
    from tests.factories import PCNFactory, PracticeFactory, member

    hazel = PCNFactory(parent=world.icb, name="Hazel PCN")
    elm, fir = (PracticeFactory(parent=hazel, name=n) for n in ("Elm Surgery", "Fir Surgery"))
    for practice, lead, n in (
        (elm, member(elm, Role.EQUITY_LEAD), 9),
        (fir, member(fir, Role.EQUITY_LEAD), 4),
        (world.practices["damson"], world.leads["damson"], 10),
    ):
        for i in range(n):
            engagement.activity_create(
                actor=lead,
                organisation=practice,
                data={
                    "title": f"Drop-in {i}",
                    "start_date": TODAY - dt.timedelta(days=20 + i),
                    "level": "co_produce" if i % 2 else "consult",
                },
            )
    client.force_login(world.analyst)
    page = client.get(_url(world.icb)).content.decode()
    sharing = _flat(page.split('id="board-sharing-table"')[1].split("</table>")[0])
    # PCNs in name order, each heading its own practices.
    assert sharing.index("Hazel PCN") < sharing.index("Elm Surgery") < sharing.index("Fir")
    assert sharing.index("Fir Surgery") < sharing.index("Willow PCN") < sharing.index("Alder")
    tiers = _flat(page.split('id="board-tier-table"')[1].split("</table>")[0])
    assert "Hazel PCN: all 2 practices" in tiers and "Willow PCN: all 3 practices" in tiers
    themes = _flat(page.split('id="board-theme-table"')[1].split("</table>")[0])
    assert "median) practice of each PCN" in themes and "Alder" not in themes
    table = _flat(page.split('id="board-engagement-table"')[1].split("</table>")[0])
    # Hazel's 13 activities are added up before disclosure control and shown rounded (15);
    # Elm's 9 and Fir's 4 (suppressed) are not both shown, or Fir's could be worked out.
    hazel = table.split("Hazel PCN: all sharing practices")[1].split()
    assert hazel[3] == "15"
    assert table.split("Elm Surgery")[1].split()[3] == "suppressed"
    assert table.split("Fir Surgery")[1].split()[3] == "suppressed"
    willow = table.split("Willow PCN: all sharing practices")[1].split()
    assert willow[3] == "10"  # Alder's 1 and Damson's 10
    # A PCN's own board has no PCN headings.
    client.force_login(world.lead)
    pcn_page = client.get(_url(world.pcn)).content.decode()
    assert 'scope="colgroup"' not in pcn_page and ": all sharing practices" not in pcn_page


def test_patients_covered_counts_patients_not_appointments():
    # The missed-appointment rate's denominator is appointments, usually more than the
    # patients; "about N patients" on the board must come from an indicator of patients.
    from gpequity.hna.indicators import default_indicators

    defs = default_indicators()
    assert {d.id: d.unit for d in defs}["dna_rate"] == "appointments"

    def row(indicator, denominator, grouping="overall", suppressed=False):
        return {
            "indicator": indicator,
            "grouping": grouping,
            "denominator": denominator,
            "suppressed": suppressed,
        }

    shown = [
        row("dna_rate", 32275),
        row("ethnicity_recorded", 9870),
        row("ethnicity_recorded", 4000, grouping="imd_quintile"),
        row("carer_register", None),
    ]
    assert board._patients(shown, defs) == 9870
    assert board._patients([row("dna_rate", 32275)], defs) is None


def test_a_board_keeps_only_its_newest_charts_and_touches_nothing_else():
    from gpequity.web.hna.models import RenderedChart
    from gpequity.web.network import board_charts
    from tests.factories import PCNFactory

    pcn, other = PCNFactory(), PCNFactory()
    for i in range(board_charts.BOARD_CHARTS_KEPT + 5):
        RenderedChart.objects.create(organisation=pcn, key=f"board:old{i}", svg="<svg/>")
    RenderedChart.objects.create(organisation=other, key="board:theirs", svg="<svg/>")
    RenderedChart.objects.create(organisation=pcn, key=f"{pcn.pk}:an-hna-chart", svg="<svg/>")
    drawn = []
    svg = board_charts._cached_svg(pcn, "new figures", lambda: drawn.append(1) or "<svg>new</svg>")
    assert svg == "<svg>new</svg>" and drawn == [1]
    mine = RenderedChart.objects.filter(organisation=pcn, key__startswith="board:")
    assert mine.count() == board_charts.BOARD_CHARTS_KEPT
    assert mine.filter(svg="<svg>new</svg>").exists()  # the newest is kept
    assert not mine.filter(key="board:old0").exists()  # the oldest went
    assert RenderedChart.objects.filter(key="board:theirs").exists()
    assert RenderedChart.objects.filter(key=f"{pcn.pk}:an-hna-chart").exists()
    # Asked again, the kept chart is served without drawing.
    again = board_charts._cached_svg(pcn, "new figures", lambda: drawn.append(2) or "x")
    assert again == "<svg>new</svg>" and drawn == [1]
