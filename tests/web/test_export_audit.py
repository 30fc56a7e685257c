"""Every export and download is audited, once (issue 22): walked over every route of the
authz matrix, so a new export that is not audited fails here.

A response is an export when it hands out data rather than a page: an attachment, or any
body that is not an HTML page (CSV, XLSX, JSON, PDF), by page or by API. Each must leave
exactly one ``download`` event naming the route, the person and the organisation, with the
path only (no query string) and no patient data. The few JSON answers that are not exports
(a progress poller, one record read by a script) are listed below with the reason; every
other route must leave no download event, so nothing is counted twice. Routes whose address
looks like a file (``.csv``, ``.json``, ``download``, ``export``) must be walked here, so an
open route (the catalogue's, the case study library's) cannot slip by either.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from gpequity.web.audit.models import AuditEvent
from tests.factories import UserFactory
from tests.web import test_authz_matrix as matrix
from tests.web.test_authz_matrix import ROUTES, World, _allowed

# The matrix's world of every kind of record, built once for this module.
_world_once = matrix._world_once
world = matrix.world

pytestmark = [pytest.mark.django_db, pytest.mark.authz]

# JSON a page or script polls or reads record by record: not an export of the organisation's
# data, so not a download (the reason for each).
NOT_EXPORTS = {
    "reports:pdf_build_status": "a build's progress, polled by its page",
    "hna:pdf_build_status": "a build's progress, polled by its page",
    "hna:run_status": "a run's progress, polled by its page",
    "api:get_org": "the organisation's name and kind",
    "api:get_assessment": "the workspace as the pages show it, read by a script",
    "api:get_history": "the workspace as the pages show it, read by a script",
    "api:get_entry": "one action's status, read by a script",
    "api:get_focus": "the Focus criteria as the page shows them",
    "api:list_plan": "the plan as the page shows it",
    "api:get_plan_item": "one plan item",
    "api:list_feedback": "released feedback as the inbox shows it",
    "api:list_org_case_studies": "the organisation's case studies as the page lists them",
    "api:get_org_case_study": "one case study",
    "api:review_queue": "staff's review queue",
    "api:list_engagement_activities": "engagement records as the pages show them",
    "api:get_engagement_activity": "one activity",
    "api:list_engagement_reach": "counts as the page shows them",
    "api:list_engagement_insights": "engagement records as the pages show them",
    "api:get_engagement_insight": "one insight",
    "api:list_evaluation_plans": "engagement records as the pages show them",
    "api:get_evaluation_plan": "one evaluation plan",
    "api:get_engagement_dashboard": "the dashboard's figures",
    "api:list_runs": "the runs' status, as the list page shows it",
    "api:get_run": "one run's progress, polled by a script",
    "api:get_sharing": "what the practice shares, as its page shows it",
}

# Open routes that hand out files: walked as a signed-in person (who is audited).
OPEN_EXPORTS = {
    "catalogue:export": lambda w: "/toolkit/download/csv/",
    "casestudies:pdf": lambda w: f"/case-studies/{w.extra['published_id']}/case-study.pdf",
    "casestudies:export_json": lambda w: "/case-studies/export.json",
    "casestudies:export_csv": lambda w: "/case-studies/export.csv",
}
# Open addresses that look like files but are the API's own description.
NOT_DATA = {"api:openapi-json", "oruk:openapi"}

PREFERRED = ("viewer", "member", "equity_lead", "network_lead", "analyst", "staff")
FILE_LIKE = re.compile(r"\.(csv|json|xlsx|pdf|html|zip)\b|download|export", re.I)
QUERY_VALUE = "nhs-9434765919"


def _role_for(needed: int) -> str:
    return next(r for r in PREFERRED if _allowed(r, needed))


def _published(w: World) -> int:
    from tests.web.casestudies.factories import make

    return make(w.practice, w.users["equity_lead"], "published", title="Open one").pk


def _fetch(client: Client, path: str):
    glue = "&" if "?" in path else "?"
    return client.get(f"{path}{glue}secret={QUERY_VALUE}")


def _is_export(response) -> bool:
    disposition = response.get("Content-Disposition", "")
    kind = response.get("Content-Type", "").split(";")[0]
    return response.status_code == 200 and (
        disposition.startswith("attachment") or kind != "text/html"
    )


def _check(name: str, path: str, client: Client, user, org_id) -> str | None:
    """None when the route is audited as it should be, else what is wrong."""
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = _fetch(client, path)
    assert response.status_code in (200, 302), (name, response.status_code)
    events = list(AuditEvent.objects.filter(id__gt=before, entity="download"))
    if not _is_export(response) or name in NOT_EXPORTS:
        return f"{name}: not an export, yet {len(events)} download events" if events else None
    if len(events) != 1:
        return f"{name}: an export ({response['Content-Type']}) with {len(events)} audit events"
    e = events[0]
    bare = path.split("?")[0]
    problems = [
        (e.verb, e.entity_id) != ("downloaded", name) and f"recorded as {e.verb} {e.entity_id}",
        e.actor_id != user.pk and "not the person",
        org_id is not None and e.organisation_id != org_id and "not the organisation",
        bare not in e.note and f"path missing from {e.note!r}",
        ("?" in e.note or QUERY_VALUE in e.note or "secret" in e.note) and "query string kept",
    ]
    problems = [p for p in problems if p]
    return f"{name}: {', '.join(problems)}" if problems else None


def test_every_export_and_download_is_audited_once(world):
    failures, audited = [], set()
    clients = {}
    for name, route in ROUTES.items():
        if route.get is None:
            continue
        role = _role_for(route.get)
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(world.users[role])
        path = route.path(world)
        org_id = None if path.startswith("/api/case-studies") else _org_id(path)
        problem = _check(name, path, clients[role], world.users[role], org_id)
        if problem:
            failures.append(problem)
        elif AuditEvent.objects.filter(entity="download", entity_id=name).exists():
            audited.add(name)
    world.extra["published_id"] = _published(world)
    someone = UserFactory(username="reader")
    client = Client()
    client.force_login(someone)
    for name, path in OPEN_EXPORTS.items():
        problem = _check(name, path(world), client, someone, None)
        if problem:
            failures.append(problem)
        else:
            audited.add(name)
    assert not failures, "\n".join(failures)
    # The walk found the exports (so an empty walk cannot pass): files by page and JSON by API.
    assert {
        "hna:pdf_build_download",
        "reports:pdf_build_download",
        "reports:xlsx",
        "hna:export",
        "api:export_json",
        "api:run_indicators",
        "api:run_gradients",
        "api:network_hna",
        "catalogue:export",
    } <= audited


def _org_id(path: str) -> int | None:
    from gpequity.web.orgs.models import Organisation

    match = re.match(r"/(?:api/)?orgs/([^/]+)", path)
    found = Organisation.objects.filter(ods_code=match.group(1)).first() if match else None
    return found.pk if found else None


def _patterns(patterns, ns="", prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ns + (f"{p.namespace}:" if p.namespace else "")
            yield from _patterns(p.url_patterns, inner, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield ns + (p.name or ""), prefix + str(p.pattern)


def test_every_route_that_looks_like_a_file_is_walked_above():
    walked = {n for n, r in ROUTES.items() if r.get is not None} | set(OPEN_EXPORTS) | NOT_DATA
    file_like = {n for n, p in _patterns(get_resolver().url_patterns) if FILE_LIKE.search(p)}
    assert file_like, "no route looks like a file: is the pattern right?"
    missing = sorted(file_like - walked)
    assert not missing, f"add these to the export audit walk: {missing}"
    assert set(NOT_EXPORTS) <= set(ROUTES), "NOT_EXPORTS lists routes that no longer exist"
