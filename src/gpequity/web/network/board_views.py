"""The board assurance report of a PCN or ICB: the page, and asking for its PDF through the
reports area's background build (ADR 27). For whoever may view the network: its network
lead, the ICB's analysts, site staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gpequity.web.orgs import access
from gpequity.web.orgs.models import OrgKind
from gpequity.web.reports import builds
from gpequity.web.reports.models import ReportBuild

from . import board


def _network(user, ods_code: str):
    org = access.get_org(user, ods_code, access.VIEW)
    if org.kind not in (OrgKind.PCN, OrgKind.ICB):
        raise Http404("Board reports are for PCNs and ICBs")
    return org


@login_required
def board_page(request, ods_code: str):
    org = _network(request.user, ods_code)
    ctx = board.report_context(request.user, org)
    ctx.update(
        web=True,
        new_url=reverse("network:board_pdf_build_new", args=[org.ods_code]),
        recent_builds=ReportBuild.objects.filter(organisation=org, kind="board").defer("pdf")[:5],
        breadcrumbs=[(org.name, reverse("orgs:dashboard", args=[org.ods_code]))],
    )
    return render(request, "network/board.html", ctx)


@login_required
@require_POST
def pdf_build_new(request, ods_code: str):
    org = _network(request.user, ods_code)
    try:
        build = builds.request_build(actor=request.user, organisation=org, kind="board")
    except builds.BuildRefused as exc:
        messages.error(request, str(exc))
        return redirect("network:board", ods_code=org.ods_code)
    return redirect("reports:pdf_build", ods_code=org.ods_code, build_id=build.pk)
