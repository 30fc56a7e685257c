"""Asking for the HNA report PDF in Chromium, by keyboard, with axe-core: the report's
button, the waiting page with its progress, and the ready page; no sideways scroll at 375 px."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from gpequity.web.hna.models import ReportPdf
from tests.conftest import assert_accessible, sign_in

from .extracts import AS_OF
from .test_hna_browser import _no_sideways_scroll, _press
from .test_report_pdf import DB_TASKS, _stored_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(TASKS=DB_TASKS)  # queued for a worker, so the waiting page is seen
def test_the_lead_asks_for_the_report_pdf_by_keyboard(page, live_server, practice, lead, tmp_path):
    run = _stored_run(practice, lead, AS_OF)
    page.set_default_timeout(60_000)
    sign_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/hna/runs/{run.pk}/report/")
    button = page.get_by_role("button", name="Download the report (PDF)")
    assert button.is_visible()
    page.screenshot(path=str(tmp_path / "report-desktop.png"), full_page=True)
    _press(page, button)
    build = ReportPdf.objects.get(run=run)
    assert page.url.endswith(f"/pdf-builds/{build.pk}/")
    assert page.get_by_role("heading", name="Waiting to start").is_visible()
    assert page.get_by_role("status").is_visible()
    assert_accessible(page, context="HNA report PDF, waiting")
    _no_sideways_scroll(page, "HNA report PDF, waiting")
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(tmp_path / "waiting-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    ReportPdf.objects.filter(pk=build.pk).update(
        status="done",
        step=3,
        stage="Ready",
        pdf=b"%PDF-1.7",
        size=8,
        finished_at=timezone.now() - dt.timedelta(seconds=1),
    )  # fmt: skip  (what the worker writes when it ends; the build itself is tested elsewhere)
    page.reload()
    link = page.get_by_role("link", name="Download the report PDF")
    assert link.is_visible()
    assert_accessible(page, context="HNA report PDF, ready")
    _no_sideways_scroll(page, "HNA report PDF, ready")
    page.screenshot(path=str(tmp_path / "ready-desktop.png"), full_page=True)
    page.goto(f"{live_server.url}/orgs/{practice.ods_code}/hna/runs/{run.pk}/report/")
    assert page.get_by_role("link", name="Download the report (PDF)").is_visible()
    assert page.get_by_role("button", name="Make the PDF again").is_visible()
    assert_accessible(page, context="HNA report with a PDF ready")
