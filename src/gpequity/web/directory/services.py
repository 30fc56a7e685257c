"""Writes of the directory: import a feed, save a service, mark it checked, report a problem,
keep a shortlist. Keyword-only, each in one transaction with an audit event, each checking
the actor's rights at the owning organisation (gpequity.web.orgs.access)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gpequity.oruk import ImportPlan, from_oruk, plan_import, service_problems, to_oruk
from gpequity.oruk.listings import Listing
from gpequity.oruk.records import ServiceRecord
from gpequity.oruk.sync import Change
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation

from . import categories
from .models import ProblemReport, Service, ShortlistEntry, Taxonomy, TaxonomyTerm


class ServiceConflict(Exception):
    """The service changed since the editor loaded it; nothing was saved."""

    def __init__(self, current: Service):
        super().__init__(f"service {current.pk} is now at version {current.version}")
        self.current = current


class FeedRefused(Exception):
    """A feed with problems: nothing was written."""

    def __init__(self, plan: ImportPlan):
        super().__init__(f"{len(plan.problems)} problem(s) in the feed")
        self.plan = plan


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _require(actor, org: Organisation, perm: str) -> None:
    if not access.can(actor, org, perm):
        raise PermissionDenied(f"You need {perm} rights at {org.name} for this")


POSTCODE = re.compile(r"^([A-Z]{1,2})(\d[A-Z\d]?)\s*(\d[A-Z]{2})?$")


def postcode_keys(postcode: str) -> list[str]:
    """The area ("LS") and district ("LS6") of a UK postcode, for the postcode filter."""
    text = postcode.strip().upper()
    m = POSTCODE.match(text)
    if not m:
        return [text.replace(" ", "")] if text else []
    return [m.group(1), m.group(1) + m.group(2)]


def _key(values) -> str:
    values = [v for v in values if v]
    return "|" + "|".join(values) + "|" if values else ""


def _int(value) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def index_columns(service: Service, record: ServiceRecord) -> None:
    """Fill the search columns of ``service`` from its record."""
    service.oruk_id = record.id
    service.name = record.name[:300]
    service.status = record.status
    service.organisation_name = record.organisation_name[:300]
    words = [
        record.name,
        record.description,
        record.organisation_name,
        record.eligibility_description,
        record.application_process,
        *(t.name for t in record.terms),
        *(loc.name for loc in record.locations),
    ]
    service.search_text = " ".join(w for w in words if w).lower()
    service.languages_key = _key(lang.code.lower() for lang in record.languages)
    service.groups_key = _key(record.groups)
    service.routes_key = _key(record.access_routes)
    service.terms_key = _key(t.id for t in record.terms)
    service.postcodes_key = _key(k for p in record.postcodes for k in postcode_keys(p))
    service.minimum_age = _int(record.minimum_age)
    service.maximum_age = _int(record.maximum_age)
    service.is_free = record.is_free
    service.hours_key = hours_key(record)
    checked = record.assured_date[:10] if record.assured_date else ""
    try:
        service.checked_on = dt.date.fromisoformat(checked) if checked else None
    except ValueError:
        service.checked_on = None
    if not service.checked_on:
        service.checked_by = ""
    elif not service.checked_by:
        service.checked_by = record.assurer_email


def hours_key(record: ServiceRecord) -> str:
    """Weekly opening times as "MO 09:00 17:00 2026-01-01 2026-12-31;..." (dates may be
    empty), so "open now" reads a short string per service instead of its whole document."""
    parts = []
    for s in record.schedules:
        if s.freq not in ("", "WEEKLY") or not (s.opens_at and s.closes_at):
            continue
        for day in s.days:
            parts.append(
                f"{day} {s.opens_at[:5]} {s.closes_at[:5]} {s.valid_from[:10] or '-'} "
                f"{s.valid_to[:10] or '-'}"
            )
    return ";".join(parts)


def _store_terms(records) -> None:
    for record in records:
        for term in record.terms:
            defaults = {
                "name": term.name[:300],
                "description": term.description,
                "taxonomy": term.taxonomy[:300],
                "taxonomy_id": term.taxonomy_id,
                "parent_id": term.parent_id,
                "term_uri": term.term_uri[:500],
            }
            TaxonomyTerm.objects.update_or_create(oruk_id=term.id, defaults=defaults)
            if term.taxonomy_id and not Taxonomy.objects.filter(oruk_id=term.taxonomy_id).exists():
                Taxonomy.objects.create(
                    oruk_id=term.taxonomy_id,
                    name=(term.taxonomy or "Imported categories")[:300],
                    description="Categories that came with an imported feed.",
                )


def ensure_categories() -> None:
    """Our list of needs as an ORUK taxonomy, created the first time it is needed."""
    if TaxonomyTerm.objects.filter(taxonomy_id=categories.TAXONOMY_ID).count() == len(
        categories.NEEDS
    ):
        return
    Taxonomy.objects.get_or_create(
        oruk_id=categories.TAXONOMY_ID,
        defaults={
            "name": categories.TAXONOMY_NAME,
            "description": "The needs a service helps with, as gpequity lists them.",
            "version": "1",
        },
    )
    for name, description in categories.NEEDS.items():
        TaxonomyTerm.objects.get_or_create(
            oruk_id=categories.term_id(name),
            defaults={
                "name": name,
                "description": description,
                "taxonomy": categories.TAXONOMY_NAME,
                "taxonomy_id": categories.TAXONOMY_ID,
            },
        )


def preview_feed(*, owner: Organisation, docs: list[Any]) -> ImportPlan:
    """What importing ``docs`` into ``owner``'s directory would change (nothing written)."""
    existing = dict(Service.objects.filter(owner=owner).values_list("oruk_id", "document"))
    return plan_import(existing, docs)


@transaction.atomic
def import_feed(
    *, actor, owner: Organisation, docs: list[Any], source: str, dry_run: bool = False
) -> ImportPlan:
    """Import a feed all or nothing: new services are added, changed ones updated, the rest
    left alone. Raises ``FeedRefused`` (nothing written) when a record has a problem."""
    _require(actor, owner, access.EDIT)
    plan = preview_feed(owner=owner, docs=docs)
    if not plan.ok:
        raise FeedRefused(plan)
    if dry_run or not (plan.added or plan.changed):
        return plan
    now = timezone.now()
    existing = {s.oruk_id: s for s in Service.objects.filter(owner=owner)}
    touched = [c.id for c in plan.added] + [c.id for c in plan.changed]
    for sid in touched:
        record = plan.records[sid]
        service = existing.get(sid) or Service(owner=owner)
        service.document = to_oruk(record)
        service.checked_by = ""
        index_columns(service, record)
        service.changed_at, service.changed_by = now, person(actor)
        service.source = source[:300]
        if service.pk:
            service.version += 1
        service.save()
    _store_terms(plan.records[sid] for sid in touched)
    audit_record(
        actor=actor,
        organisation=owner,
        entity="directory_import",
        verb="import",
        after={
            "source": source[:300],
            "added": [c.id for c in plan.added],
            "changed": {c.id: c.fields for c in plan.changed},
            "unchanged": len(plan.unchanged),
        },
        note=f"Imported {plan.summary()} from {source}",
    )
    return plan


def _field_errors(problems) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.field, []).append(f"{p.value}: {p.message}")
    return out


@transaction.atomic
def service_save(
    *,
    actor,
    owner: Organisation,
    record: ServiceRecord,
    public: bool,
    service: Service | None = None,
    expected_version: int | None = None,
) -> Service:
    """Create (``service`` None) or update a service from a record; ValidationError names
    the ORUK field of each problem and nothing is saved."""
    if service is not None:
        owner = service.owner
        service = Service.objects.select_for_update().get(pk=service.pk)
        if expected_version is not None and service.version != expected_version:
            raise ServiceConflict(service)
    _require(actor, owner, access.EDIT)
    now = timezone.now()
    if not record.id:
        record.id = str(uuid.uuid4())
    if record.organization is not None and not record.organization.id:
        record.organization.id = str(
            uuid.uuid5(categories.NAMESPACE, f"{owner.ods_code}/{record.organization.name}")
        )
    if record.organization is not None:
        record.organization_id = record.organization.id
    record.last_modified = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = to_oruk(record)
    problems = service_problems(doc)
    if problems:
        raise ValidationError(_field_errors(problems))
    if (
        Service.objects.filter(owner=owner, oruk_id=record.id)
        .exclude(pk=getattr(service, "pk", None))
        .exists()
    ):
        raise ValidationError({"id": [f"{record.id}: is already in this directory"]})
    before = dict(service.document) if service else None
    if service is None:
        service = Service(owner=owner)
    else:
        service.version += 1
    service.document = doc
    service.public = public
    index_columns(service, from_oruk(doc))
    service.changed_at, service.changed_by = now, person(actor)
    service.save()
    _store_terms([record])
    audit_record(
        actor=actor,
        organisation=owner,
        entity="directory_service",
        entity_id=service.pk,
        verb="update" if before else "create",
        before={"name": before.get("name")} if before else None,
        after={"name": service.name, "id": service.oruk_id, "public": public},
    )
    return service


@transaction.atomic
def service_mark_checked(*, actor, service: Service, on: dt.date | None = None) -> Service:
    """Record that someone checked the listing is right (ORUK ``assured_date``); this is
    not a change to the listing, so ``changed_at`` stays."""
    _require(actor, service.owner, access.EDIT)
    service = Service.objects.select_for_update().get(pk=service.pk)
    on = on or timezone.localdate()
    doc = dict(service.document)
    doc["assured_date"] = on.isoformat()
    if getattr(actor, "email", ""):
        doc["assurer_email"] = actor.email
    else:
        doc.pop("assurer_email", None)
    service.document = doc
    service.checked_by = person(actor)
    index_columns(service, from_oruk(doc))
    service.checked_by = person(actor)
    service.save()
    audit_record(
        actor=actor,
        organisation=service.owner,
        entity="directory_service",
        entity_id=service.pk,
        verb="check",
        after={"checked_on": on.isoformat()},
    )
    return service


@transaction.atomic
def problem_report_add(
    *, actor, service: Service, reported_from: Organisation, description: str
) -> ProblemReport:
    """Report a problem with a listing; it goes to the organisation that owns it."""
    from .selectors import can_read

    if not can_read(actor, reported_from):
        raise PermissionDenied("You cannot see this directory")
    text = description.strip()
    if not text:
        raise ValidationError({"description": ["Say what is wrong with this listing"]})
    report = ProblemReport.objects.create(
        service=service,
        owner=service.owner,
        reported_from=reported_from,
        description=text[:5000],
        reported_by=actor,
    )
    audit_record(
        actor=actor,
        organisation=service.owner,
        entity="directory_problem",
        entity_id=report.pk,
        verb="create",
        after={"service": service.oruk_id},
    )
    return report


@transaction.atomic
def problem_report_close(*, actor, report: ProblemReport, resolution: str = "") -> ProblemReport:
    _require(actor, report.owner, access.EDIT)
    report.closed_at = timezone.now()
    report.closed_by = actor
    report.resolution = resolution.strip()[:2000]
    report.save(update_fields=["closed_at", "closed_by", "resolution"])
    audit_record(
        actor=actor,
        organisation=report.owner,
        entity="directory_problem",
        entity_id=report.pk,
        verb="close",
        after={"resolution": report.resolution},
    )
    return report


@transaction.atomic
def shortlist_toggle(*, actor, organisation: Organisation, service: Service) -> bool:
    """Add the service to the user's shortlist, or take it off; True when now on it."""
    from .selectors import can_read

    if not can_read(actor, organisation):
        raise PermissionDenied("You cannot see this directory")
    entry = ShortlistEntry.objects.filter(user=actor, organisation=organisation, service=service)
    on = not entry.exists()
    if on:
        ShortlistEntry.objects.create(user=actor, organisation=organisation, service=service)
    else:
        entry.delete()
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="directory_shortlist",
        entity_id=service.pk,
        verb="add" if on else "remove",
    )
    return on


# --- the directory part of the organisation's JSON export, read back ---------------------

OWN_FIELDS = ("public", "checked_on", "checked_by", "changed_at", "changed_by", "source")


def preview_listings(*, owner: Organisation, listings: list[Listing]) -> ImportPlan:
    """What importing the listings of an organisation export would change: the ORUK fields
    that differ, and our own (published, checked, changed, source) by name."""
    stored = {s.oruk_id: s for s in Service.objects.filter(owner=owner)}
    plan = plan_import({k: s.document for k, s in stored.items()}, [x.document for x in listings])
    if not plan.ok:
        return plan
    by_id = {x.id: x for x in listings}
    still = []
    for sid in plan.unchanged:
        ours = _own_diff(stored[sid], by_id[sid])
        if ours:
            plan.changed.append(Change(sid, by_id[sid].name, ours))
        else:
            still.append(sid)
    plan.unchanged = still
    for change in plan.changed:
        if change.id in stored:
            change.fields = sorted(
                set(change.fields) | set(_own_diff(stored[change.id], by_id[change.id]))
            )
    return plan


def _own_diff(service: Service, listing: Listing) -> list[str]:
    mine = listing.own_fields()
    return [f for f in OWN_FIELDS if getattr(service, f) != mine[f]]


@transaction.atomic
def import_listings(
    *, actor, owner: Organisation, listings: list[Listing], source: str, dry_run: bool = False
) -> ImportPlan:
    """Import the directory of an organisation export all or nothing, keeping what was typed:
    each service's document, whether it is published, last checked (and by whom) apart from
    last changed (and by whom), and where it came from. Services are matched by ORUK id;
    services not in the file are left alone. Raises ``FeedRefused`` on any problem."""
    _require(actor, owner, access.EDIT)
    plan = preview_listings(owner=owner, listings=listings)
    if not plan.ok:
        raise FeedRefused(plan)
    if dry_run or not (plan.added or plan.changed):
        return plan
    existing = {s.oruk_id: s for s in Service.objects.filter(owner=owner)}
    by_id = {x.id: x for x in listings}
    touched = [c.id for c in plan.added] + [c.id for c in plan.changed]
    for sid in touched:
        listing = by_id[sid]
        service = existing.get(sid) or Service(owner=owner)
        service.document = listing.document
        index_columns(service, plan.records[sid])
        for name, value in listing.own_fields().items():
            setattr(service, name, value)
        if service.pk:
            service.version += 1
        service.save()
    _store_terms(plan.records[sid] for sid in touched)
    audit_record(
        actor=actor,
        organisation=owner,
        entity="directory_import",
        verb="import",
        after={
            "source": source[:300],
            "kind": "organisation export",
            "added": [c.id for c in plan.added],
            "changed": {c.id: c.fields for c in plan.changed},
            "unchanged": len(plan.unchanged),
        },
        note=f"Imported {plan.summary()} from the organisation export {source}",
    )
    return plan
