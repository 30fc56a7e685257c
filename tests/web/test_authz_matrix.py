"""The role x endpoint matrix for the whole web app (marker ``authz``).

Every URL pattern and API operation of the app is listed here with the permission it needs
(see gpequity.web.orgs.access). Each is requested as every role; a role below the needed
permission must not get the page (404 when it cannot see the organisation at all, so its
existence is not revealed; 403 or 404 when it can see but not change; sign-in or 401 when
anonymous), and a refused write must change nothing: the organisation's full JSON export,
its memberships and invitations, the audit log and the stored imports are compared before and
after. The same write by a role that is allowed must change something, which shows the
payloads are real. ``test_every_route_is_in_the_matrix`` fails when a new view is added
without an entry here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from gpequity.web.assessment import services as assessment
from gpequity.web.audit.models import AuditEvent
from gpequity.web.catalogue.models import OfficialTextImport
from gpequity.web.focus import services as focus
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Invitation, Membership, Role
from gpequity.web.plans import services as plans
from gpequity.web.plans.models import PlanItem
from gpequity.web.reports.export_json import org_export
from gpequity.web.reports.models import ReportBuild
from gpequity.web.reports.xlsx import export_workbook
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, UserFactory, member

pytestmark = [pytest.mark.django_db, pytest.mark.authz]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TODAY = dt.date(2026, 11, 2)

# Each role's permission level at the practice under test (0 = cannot see it at all).
ROLES = {
    "anonymous": 0,
    "outsider": 0,  # equity lead of a practice in another PCN
    "other_network_lead": 0,  # network lead of another PCN
    "viewer": access.LEVELS[access.VIEW],
    "member": access.LEVELS[access.CONTRIBUTE],
    "equity_lead": access.LEVELS[access.MANAGE],
    "network_lead": access.LEVELS[access.VIEW],  # of the practice's own PCN
    "analyst": access.LEVELS[access.VIEW],  # of the practice's ICB
    "staff": access.LEVELS[access.MANAGE],
}
STAFF_ONLY = 99  # catalogue import: site staff only


@dataclass
class World:
    practice: object
    users: dict
    evidence_id: int = 0
    removed_evidence_id: int = 0
    snapshot_id: int = 0
    item_id: int = 0
    member_item_id: int = 0
    membership_id: int = 0
    build_id: str = ""
    extra: dict = field(default_factory=dict)


@pytest.fixture
def world() -> World:
    icb = ICBFactory()
    pcn = PCNFactory(parent=icb)
    practice = PracticeFactory(parent=pcn, ods_code="A11111")
    lead = member(practice, Role.EQUITY_LEAD)
    users = {
        "anonymous": None,
        "outsider": member(PracticeFactory(parent=PCNFactory(parent=icb)), Role.EQUITY_LEAD),
        "other_network_lead": member(PCNFactory(parent=ICBFactory()), Role.NETWORK_LEAD),
        "viewer": member(practice, Role.VIEWER),
        "member": member(practice, Role.MEMBER),
        "equity_lead": lead,
        "network_lead": member(pcn, Role.NETWORK_LEAD),
        "analyst": member(icb, Role.ANALYST),
        "staff": UserFactory(is_staff=True),
    }
    w = World(practice=practice, users=users)
    evidence = assessment.evidence_add(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        kind="file",
        upload=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
    )
    w.evidence_id = evidence.pk
    removed = assessment.evidence_add(
        actor=lead, organisation=practice, action_key="acc_01", kind="text", text="Old rota"
    )
    assessment.evidence_remove(actor=lead, organisation=practice, evidence_id=removed.pk)
    w.removed_evidence_id = removed.pk
    w.snapshot_id = assessment.snapshot_take(actor=lead, organisation=practice, name="Base").pk
    focus.focus_group_save(
        actor=lead,
        organisation=practice,
        criteria={"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]},
        based_on=0,
    )
    item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="miss_01")
    w.item_id = item.pk
    mine = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="acc_03")
    plans.plan_item_update(
        actor=lead, item=mine, expected_version=mine.version, changes={"owner": users["member"]}
    )
    w.member_item_id = mine.pk
    m = plans.measurement_add(actor=lead, item=item, measured_on=TODAY, value=Decimal("5"))
    c = plans.cycle_add(actor=lead, item=item, plan="Call patients before their appointment.")
    w.extra.update(measurement_id=m.pk, cycle_id=c.pk)
    w.membership_id = Membership.objects.get(user=users["viewer"]).pk
    w.build_id = str(
        ReportBuild.objects.create(
            organisation=practice, requested_by=lead, status="done", pdf=PDF, size=len(PDF)
        ).pk
    )
    return w


def _edited_workbook(practice) -> bytes:
    data = export_workbook(practice)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheet = wb["Tier 1"]
    header_row = next(r for r in range(1, 10) if "Status" in [c.value for c in sheet[r] if c.value])
    headers = [c.value for c in sheet[header_row]]
    status_col = headers.index("Status") + 1
    key_col = headers.index("Action Key") + 1
    for row in range(header_row + 1, sheet.max_row + 1):
        if sheet.cell(row, key_col).value == "well_01":
            sheet.cell(row, status_col).value = "In progress"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fingerprint(w: World) -> str:
    """Everything a write could change, as one comparable string."""
    export = org_export(w.practice, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    state = {
        "export": export,
        "memberships": sorted(
            Membership.objects.filter(organisation=w.practice).values_list("user_id", "role")
        ),
        "invitations": Invitation.objects.count(),
        "audit": AuditEvent.objects.count(),
        "imports": OfficialTextImport.objects.count(),
        "report_builds": ReportBuild.objects.count(),
    }
    return json.dumps(state, sort_keys=True, default=str)


@dataclass(frozen=True)
class Route:
    path: Callable[[World], str]
    get: int | None = None  # level needed to GET, None when GET is not part of the route
    post: int | None = None  # level needed to POST, None when POST is not part of the route
    data: Callable[[World], dict] | None = None
    api: bool = False
    method: str = "post"  # for API writes: "put"


V, C, E, M = (
    access.LEVELS[p] for p in (access.VIEW, access.CONTRIBUTE, access.EDIT, access.MANAGE)
)


def base(w: World) -> str:
    return f"/orgs/{w.practice.ods_code}/"


def _plan_edit(w: World) -> dict:
    return {
        "title": "Reduce missed appointments",
        "owner": str(w.users["equity_lead"].pk),
        "start_date": "",
        "due_date": "",
        "objective": "Fewer missed appointments",
        "measure_indicator": "",
        "measure_text": "",
        "baseline": "",
        "target": "",
        "unit": "",
        "status": "in_progress",
        "version": str(PlanItem.objects.get(pk=w.item_id).version),
    }


def _focus_edit(w: World) -> dict:
    return {
        "mode": "any",
        "rationale": "Deprivation",
        "data_sources": "Practice extract",
        "based_on": "1",
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "1",
        "cond-MIN_NUM_FORMS": "0",
        "cond-MAX_NUM_FORMS": "1000",
        "cond-0-column": "homeless",
        "cond-0-op": "true",
        "cond-0-value": "",
        "save": "1",
    }


def _workbook_upload(w: World) -> dict:
    return {
        "workbook": SimpleUploadedFile(
            "workbook.xlsx",
            _edited_workbook(w.practice),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    }


def _orgs_csv(w: World) -> dict:
    pcn = w.practice.parent.ods_code
    text = f"ods_code,name,kind,parent_ods_code\nB33333,Loaded Surgery,practice,{pcn}\n"
    return {"file": SimpleUploadedFile("orgs.csv", text.encode(), content_type="text/csv")}


# Writes that only stage or drop an upload in the session: allowed, but change nothing stored.
STAGING_WRITES = {
    "reports:import",
    "reports:import_cancel",
    "staff:bulk_upload",
    "staff:bulk_cancel",
}


ROUTES: dict[str, Route] = {
    # Organisation pages
    "orgs:dashboard": Route(lambda w: base(w), get=V),
    "orgs:members": Route(lambda w: base(w) + "members/", get=V),
    "orgs:invite": Route(
        lambda w: base(w) + "members/invite/",
        get=M,
        post=M,
        data=lambda w: {"email": "new@example.org", "role": "member"},
    ),
    "orgs:remove_member": Route(
        lambda w: base(w) + f"members/{w.membership_id}/remove/", post=M, data=lambda w: {}
    ),
    # Assessment
    "assessment:overview": Route(lambda w: base(w) + "assessment/", get=V),
    "assessment:action": Route(
        lambda w: base(w) + "assessment/actions/acc_02/",
        get=V,
        post=C,
        data=lambda w: {"status": "in_place", "notes": "Done", "version": "0"},
    ),
    "assessment:evidence_remove": Route(
        lambda w: base(w) + f"assessment/actions/acc_01/evidence/{w.evidence_id}/remove/",
        post=C,
        data=lambda w: {},
    ),
    "assessment:evidence_restore": Route(
        lambda w: base(w) + f"assessment/actions/acc_01/evidence/{w.removed_evidence_id}/restore/",
        post=C,
        data=lambda w: {},
    ),
    "assessment:evidence_download": Route(
        lambda w: base(w) + f"assessment/evidence/{w.evidence_id}/download/", get=V
    ),
    "assessment:history": Route(lambda w: base(w) + "assessment/history/", get=V),
    "assessment:snapshots": Route(
        lambda w: base(w) + "assessment/snapshots/", get=V, post=E, data=lambda w: {"name": "Y2"}
    ),
    "assessment:compare": Route(
        lambda w: base(w) + f"assessment/snapshots/compare/?a={w.snapshot_id}&b={w.snapshot_id}",
        get=V,
    ),
    # Focus group
    "focus:detail": Route(lambda w: base(w) + "focus/", get=V),
    "focus:edit": Route(lambda w: base(w) + "focus/edit/", get=E, post=E, data=_focus_edit),
    "focus:download": Route(lambda w: base(w) + "focus/criteria.json", get=V),
    "focus:version": Route(lambda w: base(w) + "focus/versions/1/", get=V),
    # Plan
    "plans:list": Route(lambda w: base(w) + "plan/", get=V),
    "plans:mine": Route(lambda w: base(w) + "plan/mine/", get=V),
    "plans:due": Route(lambda w: base(w) + "plan/due/", get=V),
    "plans:choose": Route(lambda w: base(w) + "plan/adopt/", get=E),
    "plans:adopt": Route(lambda w: base(w) + "plan/adopt/care_02/", post=E, data=lambda w: {}),
    "plans:item": Route(lambda w: base(w) + f"plan/{w.item_id}/", get=V),
    "plans:edit": Route(
        lambda w: base(w) + f"plan/{w.item_id}/edit/", get=E, post=E, data=_plan_edit
    ),
    "plans:cycle_new": Route(
        lambda w: base(w) + f"plan/{w.item_id}/cycles/new/",
        get=E,
        post=E,
        data=lambda w: {"plan": "Try evening reminder calls."},
    ),
    "plans:measurement_new": Route(
        lambda w: base(w) + f"plan/{w.item_id}/measurements/new/",
        get=E,
        post=E,
        data=lambda w: {"measured_on": "2026-10-01", "value": "4.5", "note": ""},
    ),
    "plans:cycle_edit": Route(
        lambda w: base(w) + f"plan/{w.item_id}/cycles/{w.extra['cycle_id']}/edit/",
        get=E,
        post=E,
        data=lambda w: {"plan": "Call patients the day before.", "do": "Called 40 patients"},
    ),
    "plans:cycle_delete": Route(
        lambda w: base(w) + f"plan/{w.item_id}/cycles/{w.extra['cycle_id']}/delete/",
        get=E,
        post=E,
        data=lambda w: {},
    ),
    "plans:measurement_edit": Route(
        lambda w: base(w) + f"plan/{w.item_id}/measurements/{w.extra['measurement_id']}/edit/",
        get=E,
        post=E,
        data=lambda w: {
            "measured_on-day": "2",
            "measured_on-month": "11",
            "measured_on-year": "2026",
            "value": "6",
            "note": "Recounted",
        },
    ),
    "plans:measurement_delete": Route(
        lambda w: base(w) + f"plan/{w.item_id}/measurements/{w.extra['measurement_id']}/delete/",
        get=E,
        post=E,
        data=lambda w: {},
    ),
    # Reports and exports
    "reports:index": Route(lambda w: base(w) + "reports/", get=V),
    "reports:report": Route(lambda w: base(w) + "reports/equity-report/", get=V),
    "reports:pdf": Route(lambda w: base(w) + "reports/equity-report.pdf", get=V),
    "reports:pdf_build_new": Route(lambda w: base(w) + "reports/pdf-builds/", post=V),
    "reports:pdf_build": Route(lambda w: base(w) + f"reports/pdf-builds/{w.build_id}/", get=V),
    "reports:pdf_build_status": Route(
        lambda w: base(w) + f"reports/pdf-builds/{w.build_id}/status/", get=V
    ),
    "reports:pdf_build_download": Route(
        lambda w: base(w) + f"reports/pdf-builds/{w.build_id}/download/", get=V
    ),
    "reports:xlsx": Route(lambda w: base(w) + "reports/workbook.xlsx", get=V),
    "reports:assessment_csv": Route(lambda w: base(w) + "reports/assessment.csv", get=V),
    "reports:plan_csv": Route(lambda w: base(w) + "reports/plan.csv", get=V),
    "reports:json": Route(lambda w: base(w) + "reports/export.json", get=V),
    "reports:import": Route(lambda w: base(w) + "reports/import/", get=E, post=E),
    "reports:import_preview": Route(lambda w: base(w) + "reports/import/preview/", get=E),
    "reports:import_apply": Route(lambda w: base(w) + "reports/import/apply/", post=E),
    "reports:import_cancel": Route(lambda w: base(w) + "reports/import/cancel/", post=E),
    # Catalogue import (site staff only)
    "catalogue:import_upload": Route(lambda w: "/toolkit/import/", get=STAFF_ONLY),
    "catalogue:import_preview": Route(lambda w: "/toolkit/import/preview/", get=STAFF_ONLY),
    "catalogue:import_history": Route(lambda w: "/toolkit/import/history/", get=STAFF_ONLY),
    # Site staff area (organisations and their first leads)
    "staff:index": Route(lambda w: "/staff/", get=STAFF_ONLY),
    "staff:org_new": Route(
        lambda w: "/staff/organisations/new/",
        get=STAFF_ONLY,
        post=STAFF_ONLY,
        data=lambda w: {
            "kind": "practice",
            "ods_code": "B22222",
            "name": "New Surgery",
            "parent": w.practice.parent.ods_code,
            "lead_email": "first.lead@example.org",
        },
    ),
    "staff:bulk_upload": Route(
        lambda w: "/staff/organisations/load/", get=STAFF_ONLY, post=STAFF_ONLY, data=_orgs_csv
    ),
    "staff:bulk_preview": Route(lambda w: "/staff/organisations/load/check/", get=STAFF_ONLY),
    "staff:bulk_apply": Route(lambda w: "/staff/organisations/load/apply/", post=STAFF_ONLY),
    "staff:bulk_cancel": Route(lambda w: "/staff/organisations/load/cancel/", post=STAFF_ONLY),
    # API
    "api:get_org": Route(lambda w: f"/api/orgs/{w.practice.ods_code}", get=V, api=True),
    "api:get_assessment": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/assessment", get=V, api=True
    ),
    "api:get_history": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/assessment/history", get=V, api=True
    ),
    "api:get_entry": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/assessment/acc_01", get=V, api=True
    ),
    "api:put_entry": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/assessment/acc_02",
        post=C,
        api=True,
        method="put",
        data=lambda w: {"status": "planned", "notes": "Soon", "expected_version": 0},
    ),
    "api:get_focus": Route(lambda w: f"/api/orgs/{w.practice.ods_code}/focus", get=V, api=True),
    "api:list_plan": Route(lambda w: f"/api/orgs/{w.practice.ods_code}/plan", get=V, api=True),
    "api:get_plan_item": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/plan/{w.item_id}", get=V, api=True
    ),
    "api:export_json": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/export.json", get=V, api=True
    ),
}

# Open to everyone (no organisation data), or scoped to the user themself.
PUBLIC = {
    "home",
    "about",
    "accessibility",
    "healthz",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "catalogue:index",
    "catalogue:tier",
    "catalogue:theme",
    "catalogue:action",
    "catalogue:export",
    "orgs:list",  # lists only the user's own organisations (tested in tests/web/orgs)
    "orgs:accept_invitation",  # needs the secret token (tested in tests/web/orgs)
    "api:openapi-json",
    "api_docs",
    "api:api-root",
    "api:list_frameworks",
    "api:get_framework",
    "api:list_tiers",
    "api:list_themes",
    "api:list_actions",
    "api:get_action",
    "api:list_orgs",  # the user's own organisations only
    # The signed-in user's own settings: API tokens and reminders (tests/web/accounts)
    "accounts:settings",
    "accounts:token_new",
    "accounts:token_revoke",
    "accounts:reminders",
    "help:index",  # help pages: no organisation data
    "help:page",
    "",  # /assets/: the design system's icons
}


def _names(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _names(p.url_patterns, ns + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield ns + (p.name or "")


def test_every_route_is_in_the_matrix():
    names = set(_names(get_resolver().url_patterns))
    missing = sorted(names - set(ROUTES) - PUBLIC)
    assert not missing, f"add these routes to the authz matrix: {missing}"
    stale = sorted(set(ROUTES) - names)
    assert not stale, f"the matrix lists routes that no longer exist: {stale}"


def _client(w: World, role: str) -> Client:
    c = Client()
    if w.users[role] is not None:
        c.force_login(w.users[role])
    return c


def _allowed(role: str, needed: int) -> bool:
    if needed == STAFF_ONLY:
        return role == "staff"
    return ROLES[role] >= needed


def _assert_refused(response, role: str, *, api: bool, needed: int) -> None:
    status = response.status_code
    if role == "anonymous":
        if api:
            assert status == 401, status
        else:
            assert status == 302 and "/sign-in/" in response["Location"], status
    elif ROLES[role] == 0 or needed == STAFF_ONLY:
        assert status == 404, status
    else:
        assert status in (403, 404), status


CASES = [(name, role) for name in ROUTES for role in ROLES]


@pytest.mark.parametrize("role", list(ROLES))
def test_read(world, role):
    """Every readable route, as one role (one world per role keeps the matrix fast)."""
    client = _client(world, role)
    failures = []
    for name, route in ROUTES.items():
        if route.get is None:
            continue
        response = client.get(route.path(world))
        try:
            if _allowed(role, route.get):
                assert response.status_code in (200, 302), response.status_code
                if response.status_code == 302:
                    assert "/sign-in/" not in response["Location"], response["Location"]
            else:
                _assert_refused(response, role, api=route.api, needed=route.get)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, f"{role}: " + "; ".join(failures)


@pytest.mark.parametrize(("name", "role"), [c for c in CASES if ROUTES[c[0]].post is not None])
def test_write(world, name, role):
    route = ROUTES[name]
    client = _client(world, role)
    path = route.path(world)
    data = route.data(world) if route.data else {}
    if name in ("reports:import_apply", "reports:import_cancel") and _allowed(role, route.post):
        # Apply and cancel act on an upload previewed in this session.
        preview = client.post(base(world) + "reports/import/", _workbook_upload(world))
        assert preview.status_code in (200, 302)
        data = _apply_data(client, world)
    if name == "reports:import":
        data = _workbook_upload(world)
    if name in ("staff:bulk_apply", "staff:bulk_cancel") and _allowed(role, route.post):
        assert client.post("/staff/organisations/load/", _orgs_csv(world)).status_code == 302
        html = client.get("/staff/organisations/load/check/").content.decode()
        data = {"fingerprint": html.split('name="fingerprint" value="')[1].split('"')[0]}
    before = fingerprint(world)
    if route.api:
        response = getattr(client, route.method)(
            path, data=json.dumps(data), content_type="application/json"
        )
    else:
        response = client.post(path, data)
    after = fingerprint(world)
    if _allowed(role, route.post):
        assert response.status_code < 400, response.status_code
        if name not in STAGING_WRITES:
            assert after != before, "an allowed write changed nothing: is the payload valid?"
    else:
        _assert_refused(response, role, api=route.api, needed=route.post)
        assert after == before, "a refused write changed the organisation's data"


def _apply_data(client: Client, w: World) -> dict:
    """The hidden fields of the preview page's apply form."""
    import re

    html = client.get(base(w) + "reports/import/preview/").content.decode()
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
