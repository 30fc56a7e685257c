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

import contextlib
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from gpequity.web.assessment import services as assessment
from gpequity.web.audit.models import AuditEvent
from gpequity.web.casestudies import services as casestudies
from gpequity.web.casestudies.models import CaseStudy
from gpequity.web.catalogue.models import OfficialTextImport
from gpequity.web.directory import services as directory
from gpequity.web.engagement import services as engagement
from gpequity.web.engagement.models import Activity, EvaluationPlan
from gpequity.web.feedback import services as feedback
from gpequity.web.feedback.models import Channel, Feedback
from gpequity.web.focus import services as focus
from gpequity.web.hna.models import ReportPdf as HnaReportPdf
from gpequity.web.hna.models import Run as HnaRun
from gpequity.web.network.models import SharingSettings
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Invitation, Membership, Role
from gpequity.web.plans import services as plans
from gpequity.web.plans.models import PlanItem
from gpequity.web.reports.export_json import org_export
from gpequity.web.reports.models import ReportBuild
from gpequity.web.reports.xlsx import export_workbook
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, UserFactory, member
from tests.web.hna import extracts as hna_extracts
from tests.web.hna.world import first_finding, hna_world

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
    # Oversight roles see nothing of a practice's workspace (ADR 0026): only what it shares,
    # in the network views (NETWORK routes below).
    "network_lead": 0,  # of the practice's own PCN
    "analyst": 0,  # of the practice's ICB
    "staff": access.LEVELS[access.MANAGE],
}
STAFF_ONLY = 99  # catalogue import: site staff only
PRACTICE_VIEW = 98  # exact HNA figures: view through a membership of the practice itself, or staff
DIRECT_ROLES = ("viewer", "member", "equity_lead", "staff")
NETWORK_VIEW = 97  # network views of the practice's PCN: its network lead, the ICB's analyst, staff
NETWORK_ROLES = ("network_lead", "analyst", "staff")


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


@pytest.fixture(scope="module")
def _world_once(django_db_setup, django_db_blocker):
    """The world, built once per module inside a transaction that is rolled back at the end.

    Each test then runs inside a savepoint of that transaction (pytest-django's ``db``
    fixture nests its atomic block), so every test sees the world exactly as built and its
    own writes are undone after it: the same isolation as a fresh world per test, without
    building ~650 worlds. Caches (rate limits, lockouts) are cleared per test in ``world``.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_world_once, db) -> World:
    cache.clear()
    return _world_once


def _build_world() -> World:
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
    channel = feedback.channel_get_or_create(organisation=practice)
    for text in ("Signs only in English", "No hearing loop", "Ramp blocked"):
        feedback.feedback_submit(channel=channel, topic="access", role="", text=text)
    feedback.feedback_release_due(organisation=practice)
    w.extra["feedback_id"] = str(Feedback.objects.filter(organisation=practice).first().pk)
    w.extra["feedback_token"] = channel.link_token
    w.extra["hna"] = hna_world(practice, lead)
    # The practice shares its HNA results with its PCN and ICB, so the network views show them.
    SharingSettings.objects.create(organisation=practice, hna_to_pcn=True, hna_to_icb=True)
    w.build_id = str(
        ReportBuild.objects.create(
            organisation=practice, requested_by=lead, status="done", pdf=PDF, size=len(PDF)
        ).pk
    )
    _case_studies(w, lead)
    w.extra.update(_directory_world(practice, lead, users["viewer"]))
    _engagement(w, lead)
    return w


def _case_studies(w: World, lead) -> None:
    """A draft ready to send, and one sent for review (issue 18)."""
    ready = {
        "title": "Evening clinics",
        "action_keys": ["acc_01"],
        "problem": "Shift workers could not come in the day.",
        "what_was_done": "Two evening clinics a week.",
        "outcomes": "More attended.",
        "sponsorship": "None",
        "consent_to_publish": True,
    }
    draft = casestudies.case_study_create(actor=lead, organisation=w.practice, fields=ready)
    sent = casestudies.case_study_create(actor=lead, organisation=w.practice, fields=ready)
    casestudies.case_study_transition(actor=lead, case_study=sent, action="submit")
    w.extra["case_id"], w.extra["sent_id"] = draft.pk, sent.pk


def _directory_world(practice, lead, viewer) -> dict:
    from gpequity.oruk.records import Organisation as Provider
    from gpequity.oruk.records import ServiceRecord

    record = ServiceRecord(
        name="Walk and talk",
        status="active",
        description="Weekly walks",
        organization=Provider(name="Park friends", description="A charity"),
    )
    service = directory.service_save(actor=lead, owner=practice, record=record, public=True)
    report = directory.problem_report_add(
        actor=viewer, service=service, reported_from=practice, description="Old phone number"
    )
    return {"service_id": service.pk, "problem_id": report.pk}


def _service_form(w: World) -> dict:
    from gpequity.web.directory.models import Service

    return {
        "name": "Walk and talk",
        "provider": "Park friends",
        "description": "Weekly walks in the park",
        "status": "active",
        "free": "yes",
        "opens_MO": "10:00",
        "closes_MO": "12:00",
        "version": str(Service.objects.get(pk=w.extra["service_id"]).version),
    }


def _oruk_upload(w: World) -> dict:
    doc = {
        "id": "0f0e6f8a-4b7e-4a4e-9a51-5f3c1f6a2b10",
        "name": "Food bank",
        "status": "active",
        "organization_id": "6a4b1f2e-8c3d-4e5f-9a0b-1c2d3e4f5a6b",
    }
    data = json.dumps({"contents": [doc]}).encode()
    return {"feed": SimpleUploadedFile("feed.json", data, content_type="application/json")}


def _engagement(w: World, lead) -> None:
    """An activity with a count, an answered insight, an evaluation plan with an indicator."""
    a = engagement.activity_create(
        actor=lead,
        organisation=w.practice,
        data={"title": "Drop-in", "start_date": TODAY, "level": "consult"},
    )
    reach = engagement.reach_set(actor=lead, activity=a, grouping="core20", group="Q1", count=3)
    i = engagement.insight_create(
        actor=lead, organisation=w.practice, theme="Parking", raised_on=TODAY, owner=lead
    )
    engagement.insight_respond(actor=lead, insight=i, response="will_act", responded_on=TODAY)
    p = engagement.evaluation_plan_create(
        actor=lead, organisation=w.practice, data={"title": "Drop-ins", "activities": [a]}
    )
    ind = engagement.indicator_add(
        actor=lead, plan=p, data={"name": "Visitors", "kind": "process", "source": "count"}
    )
    w.extra.update(activity=a.pk, reach=reach.pk, insight=i.pk, plan=p.pk, indicator=ind.pk)


def _eng(w: World, tail: str = "") -> str:
    return base(w) + "engagement/" + tail


def _activity_post(w: World) -> dict:
    return {
        "title": "Walk and talk",
        "start_date": "2026-10-01",
        "level": "involve",
        "payment": "none",
        "version": str(Activity.objects.get(pk=w.extra["activity"]).version),
    }


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
        # Denials and downloads are audited too (issue 22): they read, they change nothing.
        "audit": AuditEvent.objects.exclude(entity__in=("access", "download")).count(),
        "imports": OfficialTextImport.objects.count(),
        "report_builds": ReportBuild.objects.count(),
        "feedback": sorted(
            (str(f.pk), f.status, f.we_did, f.show_to_team, f.messages.count())
            for f in Feedback.objects.filter(organisation=w.practice)
        ),
        "feedback_channel": list(
            Channel.objects.filter(organisation=w.practice).values_list(
                "link_token", "min_batch", "max_wait_days", "readers"
            )
        ),
        "case_studies": sorted(CaseStudy.objects.values_list("id", "state", "version")),
        "hna_runs": sorted(
            HnaRun.objects.values_list("status", "attempt", "upload_folder", "drop_bad_rows")
        ),
        "sharing": [s.as_dict() for s in SharingSettings.objects.order_by("pk")],
        "hna_report_pdfs": HnaReportPdf.objects.count(),
    }
    return json.dumps(state, sort_keys=True, default=str)


@dataclass(frozen=True)
class Route:
    path: Callable[[World], str]
    get: int | None = None  # level needed to GET, None when GET is not part of the route
    post: int | None = None  # level needed to POST, None when POST is not part of the route
    data: Callable[[World], dict] | None = None
    api: bool = False
    method: str = "post"  # for API writes: "put", or "multipart" for a file upload


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
    "directory:import",
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
    # Staff feedback, the practice's side (reading: equity leads only by default)
    "feedback:inbox": Route(lambda w: base(w) + "feedback/", get=M),
    "feedback:item": Route(lambda w: base(w) + f"feedback/{w.extra['feedback_id']}/", get=M),
    "feedback:reply": Route(
        lambda w: base(w) + f"feedback/{w.extra['feedback_id']}/reply/",
        post=M,
        data=lambda w: {"text": "Thank you, we are looking into it."},
    ),
    "feedback:update": Route(
        lambda w: base(w) + f"feedback/{w.extra['feedback_id']}/update/",
        post=M,
        data=lambda w: {
            "status": "acted_on",
            "plan_items": [str(w.item_id)],
            "we_did": "Added Polish signs",
            "show_to_team": "on",
            "version": str(Feedback.objects.get(pk=w.extra["feedback_id"]).version),
        },
    ),
    "feedback:settings": Route(
        lambda w: base(w) + "feedback/settings/",
        get=M,
        post=M,
        data=lambda w: {"readers": "team", "min_batch": "4", "max_wait_days": "21"},
    ),
    "feedback:link": Route(lambda w: base(w) + "feedback/address/", get=M),
    "feedback:link_replace": Route(
        lambda w: base(w) + "feedback/address/replace/", post=M, data=lambda w: {}
    ),
    "feedback:poster": Route(lambda w: base(w) + "feedback/address/poster/", get=M),
    "feedback:you_said": Route(lambda w: base(w) + "feedback/you-said-we-did/", get=V),
    # Directory of local services
    "directory:search": Route(lambda w: base(w) + "directory/", get=V),
    "directory:service_new": Route(
        lambda w: base(w) + "directory/services/new/", get=E, post=E, data=_service_form
    ),
    "directory:service": Route(
        lambda w: base(w) + f"directory/services/{w.extra['service_id']}/", get=V
    ),
    "directory:service_edit": Route(
        lambda w: base(w) + f"directory/services/{w.extra['service_id']}/edit/",
        get=E,
        post=E,
        data=_service_form,
    ),
    "directory:service_checked": Route(
        lambda w: base(w) + f"directory/services/{w.extra['service_id']}/checked/", post=E
    ),
    "directory:service_print": Route(
        lambda w: base(w) + f"directory/services/{w.extra['service_id']}/print/", get=V
    ),
    "directory:problem_new": Route(
        lambda w: base(w) + f"directory/services/{w.extra['service_id']}/report/",
        get=V,
        post=V,
        data=lambda w: {"description": "The phone number has changed"},
    ),
    "directory:shortlist_toggle": Route(
        lambda w: base(w) + f"directory/services/{w.extra['service_id']}/shortlist/", post=V
    ),
    "directory:shortlist": Route(lambda w: base(w) + "directory/shortlist/", get=V),
    "directory:problems": Route(lambda w: base(w) + "directory/problems/", get=V),
    "directory:problem_close": Route(
        lambda w: base(w) + f"directory/problems/{w.extra['problem_id']}/close/",
        post=E,
        data=lambda w: {"resolution": "Fixed the number"},
    ),
    "directory:import": Route(
        lambda w: base(w) + "directory/import/", get=E, post=E, data=_oruk_upload
    ),
    "directory:import_apply": Route(lambda w: base(w) + "directory/import/apply/", post=E),
    "directory:export_json": Route(lambda w: base(w) + "directory/export.json", get=V),
    "directory:export_csv": Route(lambda w: base(w) + "directory/export.csv", get=V),
    "directory:export_xlsx": Route(lambda w: base(w) + "directory/export.xlsx", get=V),
    # Engagement
    "engagement:dashboard": Route(lambda w: _eng(w), get=V),
    "engagement:activities": Route(lambda w: _eng(w, "activities/"), get=V),
    "engagement:activity_new": Route(
        lambda w: _eng(w, "activities/new/"), get=E, post=E, data=_activity_post
    ),
    "engagement:activity": Route(lambda w: _eng(w, f"activities/{w.extra['activity']}/"), get=V),
    "engagement:activity_edit": Route(
        lambda w: _eng(w, f"activities/{w.extra['activity']}/edit/"),
        get=E,
        post=E,
        data=_activity_post,
    ),
    "engagement:reach_new": Route(
        lambda w: _eng(w, f"activities/{w.extra['activity']}/reach/new/"),
        get=E,
        post=E,
        data=lambda w: {"group": "language:", "language": "Polish", "count": "4", "target": ""},
    ),
    "engagement:reach_remove": Route(
        lambda w: _eng(w, f"activities/{w.extra['activity']}/reach/{w.extra['reach']}/remove/"),
        post=E,
        data=lambda w: {},
    ),
    "engagement:activity_review": Route(
        lambda w: _eng(w, f"activities/{w.extra['activity']}/review/"),
        get=E,
        post=E,
        data=lambda w: {"went_well": "Good turnout", "reviewed_on": "2026-11-03"},
    ),
    "engagement:partners": Route(
        lambda w: _eng(w, "partners/"),
        get=V,
        post=E,
        data=lambda w: {"name": "Riverside Foodbank", "kind": "vcse"},
    ),
    "engagement:insights": Route(lambda w: _eng(w, "insights/"), get=V),
    "engagement:insight_new": Route(
        lambda w: _eng(w, "insights/new/"),
        get=E,
        post=E,
        data=lambda w: {
            "theme": "Hearing loop broken",
            "times_raised": "2",
            "raised_on": "2026-11-01",
        },
    ),
    "engagement:insight": Route(lambda w: _eng(w, f"insights/{w.extra['insight']}/"), get=V),
    "engagement:insight_respond": Route(
        lambda w: _eng(w, f"insights/{w.extra['insight']}/respond/"),
        get=E,
        post=E,
        data=lambda w: {
            "response": "partly",
            "response_reason": "Council land",
            "responded_on": "2026-11-05",
        },
    ),
    "engagement:insight_close": Route(
        lambda w: _eng(w, f"insights/{w.extra['insight']}/close/"),
        get=E,
        post=E,
        data=lambda w: {"loop_closed_on": "2026-11-06", "loop_methods": ["text", "website"]},
    ),
    "engagement:evaluations": Route(lambda w: _eng(w, "evaluation/"), get=V),
    "engagement:evaluation_new": Route(
        lambda w: _eng(w, "evaluation/new/"), get=E, post=E, data=lambda w: {"title": "Walks"}
    ),
    "engagement:evaluation": Route(lambda w: _eng(w, f"evaluation/{w.extra['plan']}/"), get=V),
    "engagement:evaluation_edit": Route(
        lambda w: _eng(w, f"evaluation/{w.extra['plan']}/edit/"),
        get=E,
        post=E,
        data=lambda w: {
            "title": "Drop-ins, evaluated",
            "impact": "Fewer missed appointments",
            "version": str(EvaluationPlan.objects.get(pk=w.extra["plan"]).version),
        },
    ),
    "engagement:indicator_new": Route(
        lambda w: _eng(w, f"evaluation/{w.extra['plan']}/indicators/new/"),
        get=E,
        post=E,
        data=lambda w: {"name": "Felt listened to", "kind": "experience", "source": "survey"},
    ),
    "engagement:measurement_new": Route(
        lambda w: _eng(
            w, f"evaluation/{w.extra['plan']}/indicators/{w.extra['indicator']}/measurements/new/"
        ),
        get=E,
        post=E,
        data=lambda w: {"measured_on": "2026-11-01", "value": "12", "note": ""},
    ),
    "engagement:activities_csv": Route(lambda w: _eng(w, "activities.csv"), get=V),
    "engagement:reach_csv": Route(lambda w: _eng(w, "reach.csv"), get=V),
    "engagement:insights_csv": Route(lambda w: _eng(w, "you-said-we-did.csv"), get=V),
    "engagement:xlsx": Route(lambda w: _eng(w, "engagement.xlsx"), get=V),
    "engagement:evidence": Route(lambda w: _eng(w, "evidence/"), get=V),
    "engagement:import": Route(
        lambda w: _eng(w, "import/"),
        get=E,
        post=E,
        data=lambda w: {
            "file": SimpleUploadedFile(
                "export.json", json.dumps(org_export(w.practice)).encode("utf-8")
            ),
            "confirm": "on",
        },
    ),
    # Catalogue import (site staff only)
    "catalogue:import_upload": Route(lambda w: "/toolkit/import/", get=STAFF_ONLY),
    "catalogue:import_preview": Route(lambda w: "/toolkit/import/preview/", get=STAFF_ONLY),
    "catalogue:import_history": Route(lambda w: "/toolkit/import/history/", get=STAFF_ONLY),
    # Case studies (issue 18): the organisation's own, and the reviewers' pages
    "casestudies:org_list": Route(lambda w: base(w) + "case-studies/", get=V),
    "casestudies:new": Route(
        lambda w: base(w) + "case-studies/new/",
        get=C,
        post=C,
        data=lambda w: {"version": "0", "title": "Carers' drop-in"},
    ),
    "casestudies:from_plan": Route(
        lambda w: base(w) + f"case-studies/from-plan/{w.item_id}/", post=C, data=lambda w: {}
    ),
    "casestudies:own": Route(lambda w: base(w) + f"case-studies/{w.extra['case_id']}/", get=V),
    "casestudies:edit": Route(
        lambda w: base(w) + f"case-studies/{w.extra['case_id']}/edit/",
        get=C,
        post=C,
        data=lambda w: {"version": "1", "title": "Evening clinics for shift workers"},
    ),
    "casestudies:transition": Route(
        lambda w: base(w) + f"case-studies/{w.extra['case_id']}/transition/",
        post=E,
        data=lambda w: {"action": "submit"},
    ),
    "casestudies:note": Route(
        lambda w: base(w) + f"case-studies/{w.extra['case_id']}/notes/",
        post=C,
        data=lambda w: {"note": "Shall we add the costs?"},
    ),
    "casestudies:queue": Route(lambda w: "/case-studies/review/", get=STAFF_ONLY),
    "casestudies:review": Route(
        lambda w: f"/case-studies/review/{w.extra['sent_id']}/",
        get=STAFF_ONLY,
        post=STAFF_ONLY,
        data=lambda w: {"action": "start_review"},
    ),
    "casestudies:reviewers": Route(
        lambda w: "/case-studies/reviewers/",
        get=STAFF_ONLY,
        post=STAFF_ONLY,
        data=lambda w: {"username": w.users["outsider"].username},
    ),
    "api:list_org_case_studies": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/case-studies", get=V, api=True
    ),
    "api:get_org_case_study": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/case-studies/{w.extra['case_id']}",
        get=V,
        api=True,
    ),
    "api:submit_case_study": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/case-studies/{w.extra['case_id']}/submit",
        post=E,
        api=True,
        data=lambda w: {},
    ),
    "api:review_queue": Route(lambda w: "/api/case-studies/review-queue", get=STAFF_ONLY, api=True),
    "api:review_case_study": Route(
        lambda w: f"/api/case-studies/{w.extra['sent_id']}/review",
        post=STAFF_ONLY,
        api=True,
        data=lambda w: {"action": "start_review"},
    ),
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
    "api:list_feedback": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/feedback", get=M, api=True
    ),
    "api:list_engagement_activities": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/activities", get=V, api=True
    ),
    "api:create_engagement_activity": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/activities",
        post=E,
        api=True,
        data=lambda w: {
            "title": "Stall at the fun day",
            "start_date": "2026-08-01",
            "level": "inform",
            "methods": ["event"],
            "hours": "3",
        },
    ),
    "api:get_engagement_activity": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/activities/{w.extra['activity']}",
        get=V,
        api=True,
    ),
    "api:list_engagement_reach": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/reach", get=V, api=True
    ),
    "api:set_engagement_reach": Route(
        lambda w: (
            f"/api/orgs/{w.practice.ods_code}/engagement/activities/{w.extra['activity']}/reach"
        ),
        post=E,
        api=True,
        data=lambda w: {"grouping": "age_band", "group": "80+", "count": 6, "target": 10},
    ),
    "api:list_engagement_insights": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/insights", get=V, api=True
    ),
    "api:create_engagement_insight": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/insights",
        post=E,
        api=True,
        data=lambda w: {"theme": "Signs too small", "raised_on": "2026-10-10"},
    ),
    "api:get_engagement_insight": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/insights/{w.extra['insight']}",
        get=V,
        api=True,
    ),
    "api:respond_engagement_insight": Route(
        lambda w: (
            f"/api/orgs/{w.practice.ods_code}/engagement/insights/{w.extra['insight']}/response"
        ),
        post=E,
        api=True,
        data=lambda w: {
            "response": "cannot_act",
            "responded_on": "2026-11-04",
            "response_reason": "The car park is not ours",
        },
    ),
    "api:close_engagement_insight_loop": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/insights/{w.extra['insight']}/loop",
        post=E,
        api=True,
        data=lambda w: {"loop_closed_on": "2026-11-07", "loop_methods": ["noticeboard"]},
    ),
    "api:list_evaluation_plans": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/evaluation-plans", get=V, api=True
    ),
    "api:get_evaluation_plan": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/evaluation-plans/{w.extra['plan']}",
        get=V,
        api=True,
    ),
    "api:create_evaluation_plan": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/evaluation-plans",
        post=E,
        api=True,
        data=lambda w: {"title": "Walks", "logic_model": {"impact": "Fitter"}},
    ),
    "api:add_evaluation_indicator": Route(
        lambda w: (
            f"/api/orgs/{w.practice.ods_code}/engagement/evaluation-plans/"
            f"{w.extra['plan']}/indicators"
        ),
        post=E,
        api=True,
        data=lambda w: {"name": "Walkers", "kind": "process", "source": "count"},
    ),
    "api:add_evaluation_measurement": Route(
        lambda w: (
            f"/api/orgs/{w.practice.ods_code}/engagement/evaluation-plans/"
            f"{w.extra['plan']}/indicators/{w.extra['indicator']}/measurements"
        ),
        post=E,
        api=True,
        data=lambda w: {"measured_on": "2026-11-01", "value": "14"},
    ),
    "api:get_engagement_dashboard": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/engagement/dashboard", get=V, api=True
    ),
    "api:export_json": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/export.json", get=V, api=True
    ),
    # Sharing with the network (ADR 0026): the practice's people read it, its lead changes it
    "network:sharing": Route(
        lambda w: base(w) + "sharing/",
        get=V,
        post=M,
        data=lambda w: {"pcn": ["progress", "hna"], "icb": ["progress"], "version": "0"},
    ),
    "api:get_sharing": Route(lambda w: f"/api/orgs/{w.practice.ods_code}/sharing", get=V, api=True),
    "api:put_sharing": Route(
        lambda w: f"/api/orgs/{w.practice.ods_code}/sharing",
        post=M,
        api=True,
        method="put",
        data=lambda w: {"hna_to_pcn": True, "engagement_to_icb": False, "expected_version": 0},
    ),
}


def _run(w: World, state: str = "done") -> str:
    return base(w) + f"hna/runs/{w.extra['hna'][state]}/"


def _hna_pdf(w: World) -> str:
    return _run(w) + f"pdf-builds/{w.extra['hna']['pdf']}/"


def _api_run(w: World, tail: str = "") -> str:
    return f"/api/orgs/{w.practice.ods_code}/hna/runs/{w.extra['hna']['done']}{tail}"


def _hna_upload(w: World) -> dict:
    day = hna_extracts.AS_OF
    return {
        "extract": SimpleUploadedFile("extract.zip", hna_extracts.extract_zip()),
        "as_of_day": str(day.day),
        "as_of_month": str(day.month),
        "as_of_year": str(day.year),
        "focus": "saved",
    }


PV = PRACTICE_VIEW
ROUTES.update(
    {
        # Health needs assessment: exact figures for the practice's own members only
        "hna:list": Route(lambda w: base(w) + "hna/", get=PV),
        "hna:run_new": Route(lambda w: base(w) + "hna/runs/new/", post=E, data=_hna_upload),
        "hna:trends": Route(lambda w: base(w) + "hna/trends/", get=PV),
        "hna:run": Route(lambda w: _run(w, "invalid"), get=PV),
        "hna:run_status": Route(lambda w: _run(w, "failed") + "status/", get=PV),
        "hna:run_drop": Route(lambda w: _run(w, "invalid") + "drop-bad-rows/", post=E),
        "hna:run_retry": Route(lambda w: _run(w, "failed") + "retry/", post=E),
        "hna:run_discard": Route(lambda w: _run(w, "invalid") + "discard/", post=E),
        "hna:run_delete": Route(lambda w: _run(w, "failed") + "delete/", get=E, post=E),
        "hna:report": Route(lambda w: _run(w) + "report/", get=PV),
        "hna:export_html": Route(lambda w: _run(w) + "report.html", get=PV),
        "hna:export_xlsx": Route(lambda w: _run(w) + "results.xlsx", get=PV),
        "hna:export": Route(lambda w: _run(w) + "files/indicators.csv", get=PV),
        "hna:add_to_plan": Route(
            lambda w: _run(w) + "add-to-plan/",
            post=E,
            data=lambda w: first_finding(w.extra["hna"]["done"]),
        ),
        "hna:indicator": Route(lambda w: _run(w) + "indicators/dna_rate/", get=PV),
        "hna:pdf_build_new": Route(lambda w: _run(w) + "pdf-builds/", post=PV),
        "hna:pdf_build": Route(lambda w: _hna_pdf(w), get=PV),
        "hna:pdf_build_status": Route(lambda w: _hna_pdf(w) + "status/", get=PV),
        "hna:pdf_build_download": Route(lambda w: _hna_pdf(w) + "download/", get=PV),
        "hna:indicator_csv": Route(
            lambda w: _run(w) + "indicators/dna_rate.csv?grouping=sex", get=PV
        ),
        "api:create_run": Route(
            lambda w: f"/api/orgs/{w.practice.ods_code}/hna/runs",
            post=E,
            api=True,
            method="multipart",
            data=lambda w: {
                "extract": SimpleUploadedFile("extract.zip", hna_extracts.extract_zip()),
                "as_of": hna_extracts.AS_OF.isoformat(),
            },
        ),
        "api:list_runs": Route(
            lambda w: f"/api/orgs/{w.practice.ods_code}/hna/runs", get=PV, api=True
        ),
        "api:get_run": Route(lambda w: _api_run(w), get=PV, api=True),
        "api:run_indicators": Route(lambda w: _api_run(w, "/indicators"), get=PV, api=True),
        "api:run_gradients": Route(lambda w: _api_run(w, "/gradients"), get=PV, api=True),
    }
)


def _pcn(w: World, tail: str = "") -> str:
    return f"/orgs/{w.practice.parent.ods_code}/network/" + tail


def _api_pcn(w: World, tail: str) -> str:
    return f"/api/orgs/{w.practice.parent.ods_code}/network/" + tail


NV = NETWORK_VIEW
ROUTES.update(
    {
        # Network views (ADR 0026): what the PCN's practices share, for the PCN and the ICB
        "network:dashboard": Route(lambda w: _pcn(w), get=NV),
        "network:needs": Route(lambda w: _pcn(w, "needs/"), get=NV),
        "network:benchmarks": Route(lambda w: _pcn(w, "benchmarks/"), get=NV),
        "api:network_hna": Route(lambda w: _api_pcn(w, "hna"), get=NV, api=True),
        "api:network_progress": Route(lambda w: _api_pcn(w, "progress"), get=NV, api=True),
        "network:benchmark": Route(lambda w: _pcn(w, "benchmarks/dna_rate/?view=q1"), get=NV),
        "network:benchmark_csv": Route(lambda w: _pcn(w, "benchmarks/dna_rate.csv"), get=NV),
        # The board assurance report and its PDF through the background build (ADR 27)
        "network:board": Route(lambda w: _pcn(w, "board/"), get=NV),
        "network:board_pdf_build_new": Route(lambda w: _pcn(w, "board/pdf-builds/"), post=NV),
    }
)

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
    "casestudies:library",  # published case studies only (tests/web/casestudies)
    "casestudies:detail",
    "casestudies:print",
    "casestudies:pdf",
    "casestudies:export_json",
    "casestudies:export_csv",
    "api:list_case_studies",
    "api:get_case_study",
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
    # The open ORUK feed: public services only (tests/web/directory/test_oruk_api.py)
    "oruk:root",
    "oruk:openapi",
    "oruk:services",
    "oruk:service",
    "oruk:service_at_locations",
    "oruk:service_at_location",
    "oruk:taxonomies",
    "oruk:taxonomy",
    "oruk:taxonomy_terms",
    "oruk:taxonomy_term",
    # The signed-in user's own settings: API tokens and reminders (tests/web/accounts)
    "accounts:settings",
    "accounts:token_new",
    "accounts:token_revoke",
    "accounts:reminders",
    "help:index",  # help pages: no organisation data
    "help:page",
    "",  # /assets/: the design system's icons
    # The writer's side of staff feedback: public on purpose, outside sessions (ADR 22);
    # the form needs the practice's secret link token, a thread needs its receipt code
    # (tested in tests/web/feedback).
    "staff_feedback:protects",
    "staff_feedback:write",
    "staff_feedback:receipt",
    "staff_feedback:answer",
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
    if needed == PRACTICE_VIEW:
        return role in DIRECT_ROLES
    if needed == NETWORK_VIEW:
        return role in NETWORK_ROLES
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
QUEUED_WRITES = {"hna:pdf_build_new"}
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.parametrize("role", list(ROLES))
def test_read(world, role):
    """Every readable route, as one role."""
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
    if name == "directory:import_apply" and _allowed(role, route.post):
        # Apply acts on a feed previewed in this session.
        preview = client.post(base(world) + "directory/import/", _oruk_upload(world))
        assert preview.status_code == 200
    if name in ("staff:bulk_apply", "staff:bulk_cancel") and _allowed(role, route.post):
        assert client.post("/staff/organisations/load/", _orgs_csv(world)).status_code == 302
        html = client.get("/staff/organisations/load/check/").content.decode()
        data = {"fingerprint": html.split('name="fingerprint" value="')[1].split('"')[0]}
    before = fingerprint(world)
    # An HNA report PDF takes minutes to build: here it is only queued for the worker.
    queued = name in QUEUED_WRITES
    with override_settings(TASKS=DB_TASKS) if queued else contextlib.nullcontext():
        if route.method == "multipart":
            response = client.post(path, data)
        elif route.api:
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
