"""Writes of the directory: import a feed, save a service, mark it checked, report a problem,
keep a shortlist. Keyword-only, each in one transaction with an audit event, each checking
the actor's rights at the owning organisation (gpequity.web.orgs.access)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from gpequity.oruk import ImportPlan, Problem, from_oruk, plan_import, service_problems, to_oruk
from gpequity.oruk.listings import DirectoryPart, Listing, PersonRef, ReportItem, ShortlistItem
from gpequity.oruk.records import ServiceRecord
from gpequity.oruk.sync import Change, PartCounts
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

    def fill(service: Service, sid: str) -> None:
        record = plan.records[sid]
        service.document = to_oruk(record)
        service.checked_by = ""
        index_columns(service, record)
        service.changed_at, service.changed_by = now, person(actor)
        service.source = source[:300]

    _write_services(owner, plan, fill)
    _audit_import(actor, owner, plan, source, note=f"Imported {plan.summary()} from {source}")
    return plan


def _write_services(owner: Organisation, plan: ImportPlan, fill) -> None:
    """Save the services ``plan`` adds or changes: ``fill(service, oruk_id)`` sets a service's
    document, search columns and our own fields; one already stored gets its next version.
    Then the categories they use."""
    existing = {s.oruk_id: s for s in Service.objects.filter(owner=owner)}
    touched = [c.id for c in plan.added] + [c.id for c in plan.changed]
    for sid in touched:
        service = existing.get(sid) or Service(owner=owner)
        fill(service, sid)
        if service.pk:
            service.version += 1
        service.save()
    _store_terms(plan.records[sid] for sid in touched)


def _audit_import(actor, owner: Organisation, plan: ImportPlan, source: str, *, note: str, **more):
    audit_record(
        actor=actor,
        organisation=owner,
        entity="directory_import",
        verb="import",
        after={
            "source": source[:300],
            **more,
            "added": [c.id for c in plan.added],
            "changed": {c.id: c.fields for c in plan.changed},
            "unchanged": len(plan.unchanged),
        },
        note=note,
    )


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
PERSON_SALT = "gpequity.web.directory.export-person"


def person_ref(org_code: str, user) -> str:
    """The opaque name of someone outside ``org_code`` in that organisation's export (ADR 30):
    stable, specific to the organisation and this installation (it is keyed with the secret
    key), so the export does not give their username away but an import here finds them."""
    return salted_hmac(PERSON_SALT, f"{org_code}:{user.pk}").hexdigest()[:24]


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


@dataclass
class _Extras:
    """Shortlist entries and problem reports of an export, matched with this installation:
    each pending write is (item, what it refers to, the stored row or None)."""

    shortlists: list[tuple[ShortlistItem, Any, tuple[str, Any], ShortlistEntry | None]] = field(
        default_factory=list
    )
    reports: list[tuple[ReportItem, dict[str, Any], ProblemReport | None]] = field(
        default_factory=list
    )
    problems: list[Problem] = field(default_factory=list)


class _People:
    """Finds the people an export names: by username, or by the opaque ref of ADR 30."""

    def __init__(self, section_owner: str):
        self.section_owner = section_owner
        self._refs: dict[str, Any] | None = None

    def find(self, ref: PersonRef):
        User = get_user_model()
        if ref.username:
            return User.objects.filter(username=ref.username).first()
        if self._refs is None:
            self._refs = (
                {person_ref(self.section_owner, u): u for u in User.objects.all()}
                if self.section_owner
                else {}
            )
        return self._refs.get(ref.ref)


def _match_extras(owner: Organisation, part: DirectoryPart) -> _Extras:
    """Check what the shortlists and problem reports refer to (people, organisations,
    services) and pair each with what is stored; nothing is written."""
    from .selectors import can_read, services_for

    out = _Extras()
    if not (part.shortlists or part.reports):
        return out
    people = _People(part.owner)
    own_codes = {part.owner, owner.ods_code} - {""}
    stored = {s.oruk_id: s for s in Service.objects.filter(owner=owner)}
    own_ids = set(stored) | {x.id for x in part.listings}
    here = f"{owner.name}'s directory"

    def problem(rid: str, at: str, value: str, message: str) -> None:
        out.problems.append(Problem(rid, at, value, message))

    for item in part.shortlists:
        rid = item.service.id
        user = people.find(item.user)
        if user is None:
            problem(
                rid,
                f"{item.at}.user",
                str(item.user),
                "has no account here (take this entry out of the file to import the rest)",
            )
        elif not can_read(user, owner):
            problem(rid, f"{item.at}.user", str(item.user), f"cannot use {here}")
        code = item.service.owner
        target: tuple[str, Any]
        if not code or code in own_codes:
            target = ("own", rid)
            if rid not in own_ids:
                problem(
                    rid, f"{item.at}.service.id", rid, f"is not a service in the file or {here}"
                )
        else:
            other = services_for(owner).filter(owner__ods_code=code, oruk_id=rid).first()
            target = ("other", other)
            if other is None:
                problem(rid, f"{item.at}.service", f"{code} {rid}", f"is not a service in {here}")
        if out.problems:
            continue
        service = stored.get(rid) if target[0] == "own" else target[1]
        entry = (
            ShortlistEntry.objects.filter(user=user, organisation=owner, service=service).first()
            if service is not None
            else None
        )
        out.shortlists.append((item, user, target, entry))

    for item in part.reports:
        rid = item.service_id
        found: dict[str, Any] = {}
        if rid not in own_ids:
            problem(rid, f"{item.at}.service", rid, f"is not a service in the file or {here}")
        for key in ("reported_by", "closed_by"):
            ref = getattr(item, key)
            found[key] = people.find(ref) if ref is not None else None
            if ref is not None and found[key] is None:
                problem(
                    rid,
                    f"{item.at}.{key}",
                    str(ref),
                    "has no account here (set it to null to keep the report without the name)",
                )
        code = item.reported_from
        if not code:
            found["reported_from"] = None
        elif code in own_codes:
            found["reported_from"] = owner
        else:
            found["reported_from"] = Organisation.objects.filter(ods_code=code).first()
            if found["reported_from"] is None:
                problem(
                    rid,
                    f"{item.at}.reported_from.ods_code",
                    code,
                    "is not an organisation here (set reported_from to null to keep the "
                    "report without it)",
                )
        if out.problems:
            continue
        report = (
            ProblemReport.objects.filter(
                owner=owner,
                service=stored[rid],
                reported_at=item.reported_at,
                description=item.description,
            ).first()
            if rid in stored
            else None
        )
        out.reports.append((item, found, report))
    return out


def _report_diff(report: ProblemReport, item: ReportItem, found: dict[str, Any]) -> list[str]:
    now = {
        "reported_by": report.reported_by_id,
        "reported_from": report.reported_from_id,
        "closed_at": report.closed_at,
        "closed_by": report.closed_by_id,
        "resolution": report.resolution,
    }
    new = {
        "reported_by": getattr(found["reported_by"], "pk", None),
        "reported_from": getattr(found["reported_from"], "pk", None),
        "closed_at": item.closed_at,
        "closed_by": getattr(found["closed_by"], "pk", None),
        "resolution": item.resolution,
    }
    return [k for k in now if now[k] != new[k]]


def _counts(extras: _Extras, part: DirectoryPart) -> list[PartCounts]:
    lists = PartCounts("shortlist entries")
    for item, _user, _target, entry in extras.shortlists:
        if entry is None:
            lists.added += 1
        elif entry.added_at != item.added_at:
            lists.changed += 1
        else:
            lists.unchanged += 1
    reports = PartCounts("problem reports")
    for item, found, report in extras.reports:
        if report is None:
            reports.added += 1
        elif _report_diff(report, item, found):
            reports.changed += 1
        else:
            reports.unchanged += 1
    return [c for c, items in ((lists, part.shortlists), (reports, part.reports)) if items]


def preview_directory(*, owner: Organisation, part: DirectoryPart) -> ImportPlan:
    """What importing the directory of an organisation export would change: services, and
    the shortlists and problem reports that travel with them. Nothing is written."""
    plan, _extras = _preview_directory(owner, part)
    return plan


def _preview_directory(owner: Organisation, part: DirectoryPart) -> tuple[ImportPlan, _Extras]:
    plan = preview_listings(owner=owner, listings=part.listings)
    if not plan.ok:
        return plan, _Extras()
    extras = _match_extras(owner, part)
    if extras.problems:
        return ImportPlan(problems=extras.problems), extras
    plan.parts = _counts(extras, part)
    return plan, extras


@transaction.atomic
def import_listings(
    *, actor, owner: Organisation, listings: list[Listing], source: str, dry_run: bool = False
) -> ImportPlan:
    """The services of an organisation export alone (see ``import_directory``)."""
    return import_directory(
        actor=actor,
        owner=owner,
        part=DirectoryPart(listings=listings),
        source=source,
        dry_run=dry_run,
    )


@transaction.atomic
def import_directory(
    *, actor, owner: Organisation, part: DirectoryPart, source: str, dry_run: bool = False
) -> ImportPlan:
    """Import the directory of an organisation export all or nothing, keeping what was typed:
    each service's document, whether it is published, last checked (and by whom) apart from
    last changed (and by whom), and where it came from; the shortlists people keep in this
    directory (when each service was added); the problems reported with its listings, open or
    closed, with who reported them from where, and who closed them with what resolution.
    Services are matched by ORUK id, shortlist entries by person and service, reports by
    service, time and words; what is not in the file is left alone. Raises ``FeedRefused``
    on any problem, naming its place in the file and its value."""
    _require(actor, owner, access.EDIT)
    plan, extras = _preview_directory(owner, part)
    if not plan.ok:
        raise FeedRefused(plan)
    if dry_run or not plan.has_changes:
        return plan
    by_id = {x.id: x for x in part.listings}

    def fill(service: Service, sid: str) -> None:
        listing = by_id[sid]
        service.document = listing.document
        index_columns(service, plan.records[sid])
        for name, value in listing.own_fields().items():
            setattr(service, name, value)

    _write_services(owner, plan, fill)
    _write_extras(owner, extras)
    _audit_import(
        actor,
        owner,
        plan,
        source,
        kind="organisation export",
        **{c.label.replace(" ", "_"): [c.added, c.changed, c.unchanged] for c in plan.parts},
        note=f"Imported {plan.summary()} from the organisation export {source}",
    )
    return plan


def _write_extras(owner: Organisation, extras: _Extras) -> None:
    """Write the shortlist entries and problem reports ``extras`` pairs with the file, with
    their times as in the file (``added_at`` and ``reported_at`` are set on creation, so they
    are put back with an update)."""
    own = {s.oruk_id: s for s in Service.objects.filter(owner=owner)}
    for item, user, (kind, target), entry in extras.shortlists:
        if entry is None:
            service = own[target] if kind == "own" else target
            entry = ShortlistEntry.objects.create(user=user, organisation=owner, service=service)
        if entry.added_at != item.added_at:
            ShortlistEntry.objects.filter(pk=entry.pk).update(added_at=item.added_at)
    for item, found, report in extras.reports:
        values = {
            "reported_by": found["reported_by"],
            "reported_from": found["reported_from"],
            "closed_at": item.closed_at,
            "closed_by": found["closed_by"],
            "resolution": item.resolution,
        }
        if report is None:
            report = ProblemReport.objects.create(
                service=own[item.service_id], owner=owner, description=item.description, **values
            )
            ProblemReport.objects.filter(pk=report.pk).update(reported_at=item.reported_at)
        elif _report_diff(report, item, found):
            ProblemReport.objects.filter(pk=report.pk).update(**values)
