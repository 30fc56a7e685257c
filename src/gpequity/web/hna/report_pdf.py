"""A run's report as a tagged PDF, built in the background (ADR 9's builds, ADR 25).

The PDF holds the run's record (as-of date, extract fingerprint, Focus criteria), every
finding in plain English with the patients to act on and the toolkit actions, each
indicator's charts with their data tables, and the trends over the practice's runs up to
this one. It is rendered from HTML by WeasyPrint as PDF/UA (tagged: headings, tables,
figures with their descriptions, the document language and title), from the same presenters
and the same charts (kept in ``RenderedChart``) as the pages, so page, PDF and CLI list the
same findings.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone

from gpequity.web.orgs import access
from gpequity.web.reports import builds

from . import presenters, selectors
from .models import ReportPdf, Run, RunStatus

STAGES = (
    "Gathering the results, findings and charts",
    "Laying out the pages",
    "Writing the PDF",
)
KEEP_FOR = builds.KEEP_FOR


# Groupings drawn as charts in the PDF; the yes/no groups (homeless, interpreter needed and
# the rest) share one table per indicator instead, so the PDF stays a readable length.
CHARTED = ("imd_quintile", "ethnic_group", "age_band", "sex", "focus_group")
_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_LABEL = re.compile(r'aria-label="([^"]*)"')


def as_image(svg: str) -> str:
    """A chart as a PNG ``<img>`` with its description as alt text (WeasyPrint lays out a
    picture far faster than Vega's SVG, and tags it as a figure with that text)."""
    import vl_convert as vlc

    if not svg:
        return ""
    match = _LABEL.search(svg)
    label = match.group(1) if match else "Chart"
    data = base64.b64encode(vlc.svg_to_png(svg, scale=2)).decode()
    return f'<img class="chart-image" alt="{label}" src="data:image/png;base64,{data}">'


def _indicator(run: Run, d) -> dict[str, Any]:
    sections = presenters.grouping_tables(run, d)
    charted = [s for s in sections if s["grouping"] in CHARTED]
    flags = [
        {**row, "label": s["label"]}
        for s in sections
        if s["grouping"] not in CHARTED
        for row in s["rows"]
        if row["group"] == "yes"
    ]
    for s in charted:
        s["image"] = as_image(s["chart"])
    gradient = presenters.gradient_section(run, d)
    if gradient:
        gradient["image"] = as_image(gradient["chart"])
    return {
        "d": d,
        "direction": presenters.direction(d),
        "overall": presenters.overall_line(run, d),
        "sections": charted,
        "flags": flags,
        "gradient": gradient,
    }


def earlier_runs(run: Run) -> list[Run]:
    """The practice's finished runs up to and including ``run``, oldest first."""
    return [
        r
        for r in selectors.done_runs(run.organisation)
        if (r.as_of, r.created_at) <= (run.as_of, run.created_at)
    ]


def context(run: Run) -> dict[str, Any]:
    """Everything the PDF shows, from the presenters the pages use."""
    org = run.organisation
    defs = presenters.definitions(run)
    upto = earlier_runs(run)
    trend_items = (
        presenters.trends(org, [str(r.pk) for r in upto], defs, only=True) if len(upto) >= 2 else []
    )
    for t in trend_items:
        t["image"] = as_image(t["chart"])
    info = run.run_info or {}
    return {
        "org": org,
        "run": run,
        "o": presenters.overview(run, all_findings=True),
        "details": [_indicator(run, d) for d in defs],
        "trend_runs": upto,
        "trends": trend_items,
        "indicators_fingerprint": info.get("indicators_fingerprint", ""),
        "focus_json": json.dumps(run.focus_criteria, sort_keys=True) if run.focus_criteria else "",
        "generated_on": timezone.localdate(),
    }


def report_html(run: Run) -> str:
    return render_to_string("hna/report_print.html", context(run))


def render(run: Run, on_stage: Callable[[int, int], None] | None = None) -> bytes:
    """The report as a tagged PDF (PDF/UA-1). ``on_stage(step, pages)`` as in the practice
    report: 1 once the HTML is ready, 2 once the pages are laid out."""
    from weasyprint import HTML

    html = report_html(run)
    if on_stage:
        on_stage(1, 0)
    document = HTML(string=html, base_url=None).render(pdf_variant="pdf/ua-1")
    if on_stage:
        on_stage(2, len(document.pages))
    return document.write_pdf(pdf_variant="pdf/ua-1")


def request(*, actor, run: Run) -> ReportPdf:
    """Record a request for the run's report PDF and hand it to the background worker, within
    the limits every report build shares (``builds.admit``, ADR 29): raises
    ``builds.BuildRefused`` when the person or the practice has too many builds going.
    Builds of the practice's runs older than ``KEEP_FOR`` are deleted on the way."""
    if run.status != RunStatus.DONE:
        raise PermissionDenied("This run has no results to report.")
    org = run.organisation
    if not access.can_direct(actor, org, access.VIEW):
        raise PermissionDenied("You cannot see this practice's health needs assessment.")
    editor = access.can_direct(actor, org, access.EDIT)
    build = builds.admit(
        actor=actor,
        organisation=org,
        editor=editor,
        create=lambda: ReportPdf.objects.create(
            run=run, requested_by=actor, steps=len(STAGES), stage=STAGES[0]
        ),
    )
    build.enqueue(editor=editor)
    build.refresh_from_db()
    return build


def run_build(build_id: str, attempt: int = 1) -> int:
    """The task's body: render one attempt of a build through the shared stages, holding the
    lease (ADR 29); returns the PDF's size. Builds of any report whose worker died are
    recovered first."""
    builds.recover_dead_builds()
    return builds.carry_out(
        ReportPdf.objects.select_related("run", "run__organisation"),
        build_id,
        lambda build, on_stage: render(build.run, on_stage),
        STAGES,
        attempt=attempt,
    )


def latest_ready(run: Run) -> ReportPdf | None:
    """The newest finished PDF of this run still kept, if any (so it need not be rebuilt)."""
    since = timezone.now() - KEEP_FOR
    return (
        ReportPdf.objects.filter(run=run, status="done", created_at__gte=since).defer("pdf").first()
    )


def file_name(run: Run, built: dt.datetime | None) -> str:
    day = timezone.localtime(built).date() if built else timezone.localdate()
    return f"{run.organisation.ods_code}-hna-{run.as_of:%Y-%m-%d}-report-{day:%Y-%m-%d}.pdf"
