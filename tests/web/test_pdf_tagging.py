"""Every PDF the app makes is tagged for screen readers, as the accessibility statement says:
the practice equity report, the board report, the HNA report and a case study, each checked
with poppler's ``pdfinfo`` (the tool a reviewer would use) and for its language and title."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from pypdf import PdfReader

from gpequity.web.hna import report_pdf as hna_pdf
from gpequity.web.hna.models import Run
from gpequity.web.network import board
from gpequity.web.orgs.models import Role
from gpequity.web.reports import services as reports
from tests.factories import member
from tests.web.casestudies.factories import make
from tests.web.reports.factories import filled_practice

pytestmark = pytest.mark.django_db


def _pdfinfo(pdf: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "file.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdfinfo", str(path)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def _roles(node, found: list) -> list[tuple[str, object]]:
    """Every structure element under ``node`` as (role, alt text)."""
    node = node.get_object()
    if not hasattr(node, "get"):
        return found
    if node.get("/S") is not None:
        found.append((str(node["/S"]), node.get("/Alt")))
    kids = node.get("/K")
    for kid in (kids if isinstance(kids, list) else [kids]) if kids is not None else []:
        if hasattr(kid, "get_object"):
            _roles(kid, found)
    return found


def _assert_tagged(pdf: bytes, tmp_path, title: str) -> set[str]:
    info = _pdfinfo(pdf, tmp_path)
    assert info["Tagged"] == "yes", info
    assert info["Title"].startswith(title), info
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    elements = _roles(root["/StructTreeRoot"], [])
    assert {"/H1", "/P"} <= {role for role, _ in elements}, title
    assert all(alt for role, alt in elements if role == "/Figure"), (
        f"{title}: a figure without text"
    )
    return {role for role, _ in elements}


def test_every_pdf_the_app_makes_is_tagged(client, tmp_path):
    org, lead, _, _ = filled_practice()
    _assert_tagged(reports.report_pdf(org), tmp_path, "Practice equity report")

    network_lead = member(org.parent, Role.NETWORK_LEAD)
    roles = _assert_tagged(
        board.board_pdf(network_lead, org.parent), tmp_path, "Board assurance report"
    )
    assert "/Table" in roles

    day = dt.date(2026, 10, 1)
    run = Run.objects.create(organisation=org, as_of=day, status="done", created_by=lead)
    _assert_tagged(hna_pdf.render(run), tmp_path, "Health needs assessment")

    case = make(org, lead, "published", title="Evening clinics")
    response = client.get(f"/case-studies/{case.pk}/case-study.pdf")
    _assert_tagged(response.content, tmp_path, "Evening clinics")


def test_the_accessibility_statement_says_pdfs_are_tagged(client):
    page = " ".join(client.get("/accessibility/").content.decode().split())
    assert "may not be tagged" not in page
    assert "PDF reports are tagged" in page
