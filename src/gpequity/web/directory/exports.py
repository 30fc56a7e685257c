"""The directory as an ORUK feed (JSON), CSV and XLSX, and its part of the organisation's
JSON export."""

from __future__ import annotations

import csv
import io
from typing import Any

from gpequity.oruk import from_oruk, page_envelope
from gpequity.oruk.listings import SECTION_VERSION
from gpequity.oruk.records import ACCESS_ROUTES, STATUSES
from gpequity.web.orgs.models import Membership, Organisation

from . import presenters, selectors
from .models import ProblemReport, Service, ShortlistEntry
from .services import person, person_ref


def own_services(org: Organisation):
    return Service.objects.filter(owner=org).order_by("name", "pk")


def oruk_page(org: Organisation) -> dict[str, Any]:
    """Every service the organisation owns, in full, in the standard's page envelope: the
    file `gpequity directory import` reads back."""
    docs = [s.document for s in own_services(org)]
    return page_envelope(docs, total=len(docs), page=1, per_page=max(1, len(docs)))


def org_export_part(org: Organisation) -> dict[str, Any]:
    """The directory in the organisation's JSON export: ORUK documents plus our own fields,
    the shortlists people keep in this directory and the problems reported with its listings
    (read back by gpequity.oruk.listings and services.import_directory). Who is named how:
    ADR 30."""
    members = set(Membership.objects.filter(organisation=org).values_list("user_id", flat=True))

    def who(user) -> dict[str, str] | None:
        if user is None:
            return None
        if user.pk in members:
            return {"username": user.get_username(), "name": person(user)}
        return {"name": person(user), "ref": person_ref(org.ods_code, user)}

    return {
        "version": SECTION_VERSION,
        "owner": org.ods_code,
        "services": [
            {
                "oruk": s.document,
                "public": s.public,
                "checked_on": s.checked_on.isoformat() if s.checked_on else None,
                "checked_by": s.checked_by,
                "changed_at": s.changed_at.isoformat(),
                "changed_by": s.changed_by,
                "source": s.source,
            }
            for s in own_services(org)
        ],
        "shortlists": [
            {
                "user": who(e.user),
                "service": {"id": e.service.oruk_id}
                if e.service.owner_id == org.pk
                else {"id": e.service.oruk_id, "owner": e.service.owner.ods_code},
                "added_at": e.added_at.isoformat(),
            }
            for e in ShortlistEntry.objects.filter(
                organisation=org, service__in=selectors.services_for(org)
            )
            .select_related("user", "service__owner")
            .order_by("added_at", "user__username", "service__oruk_id", "pk")
        ],
        "problem_reports": [
            {
                "service": r.service.oruk_id,
                "description": r.description,
                "reported_at": r.reported_at.isoformat(),
                "reported_by": who(r.reported_by),
                "reported_from": {
                    "ods_code": r.reported_from.ods_code,
                    "name": r.reported_from.name,
                }
                if r.reported_from_id
                else None,
                "closed_at": r.closed_at.isoformat() if r.closed_at else None,
                "closed_by": who(r.closed_by),
                "resolution": r.resolution,
            }
            for r in ProblemReport.objects.filter(owner=org)
            .select_related("service", "reported_by", "reported_from", "closed_by")
            .order_by("reported_at", "service__oruk_id", "pk")
        ],
    }


COLUMNS = (
    "ORUK id",
    "Name",
    "Provided by",
    "Status",
    "Description",
    "How to access",
    "Referral route",
    "Ages",
    "Who it is for",
    "Cost",
    "Languages",
    "Opening times",
    "Wait",
    "Phone",
    "Email",
    "Website",
    "Address",
    "Postcode",
    "Categories",
    "Last checked",
    "Checked by",
    "Last changed",
    "Public",
)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Escape a spreadsheet formula (OWASP CSV injection guidance)."""
    return "'" + value if value.startswith(DANGEROUS) else value


def rows(org: Organisation) -> list[list[str]]:
    out = []
    for s in own_services(org):
        r = from_oruk(s.document)
        p = presenters.contact_lines(r)
        loc = presenters.address(r)
        out.append(
            [
                r.id,
                r.name,
                r.organisation_name,
                STATUSES.get(r.status, r.status),
                r.description,
                "; ".join(ACCESS_ROUTES.get(x, x) for x in r.access_routes),
                r.application_process,
                presenters.ages(r),
                r.eligibility_description,
                presenters.cost(r),
                ", ".join(presenters.languages(r)),
                "; ".join(presenters.opening_times(r)),
                r.wait_time,
                p.get("phone", ""),
                p.get("email", ""),
                p.get("website", ""),
                loc[0],
                loc[1],
                ", ".join(t.name for t in r.terms),
                s.checked_on.isoformat() if s.checked_on else "",
                s.checked_by,
                s.changed_at.date().isoformat(),
                "yes" if s.public else "no",
            ]
        )
    return out


def csv_bytes(org: Organisation) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for row in rows(org):
        w.writerow([_cell(c) for c in row])
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(org: Organisation) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Directory"
    ws.append(list(COLUMNS))
    for row in rows(org):
        ws.append([_cell(c) for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
