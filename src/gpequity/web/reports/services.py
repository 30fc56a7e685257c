"""Reports, exports and the workbook import of one organisation.

The import is all or nothing: ``preview_import`` works out every change a workbook would make
and tries them inside a transaction that is always rolled back, so the preview shows the
same errors the real import would hit; ``apply_import`` repeats that for real in one
transaction. Every change goes through the assessment and plan services, so each is
permission-checked, validated and audited exactly as if it were made on the web page.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string

from gpequity.catalogue import vocab
from gpequity.spreadsheets import csv_row
from gpequity.web.assessment import services as assessment_services
from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.assessment.models import Status as AssessmentStatus
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation
from gpequity.web.plans import services as plan_services
from gpequity.web.plans.models import PlanItem
from gpequity.web.plans.models import Status as PlanStatus

from . import selectors, xlsx
from .xlsx import Issue, WorkbookError

SYSTEM_USERNAME = "gpequity-system"
NEED_EDIT = "You need permission to edit this practice's workspace to import a workbook."
PLAN_FIELDS = tuple(dict.fromkeys([*xlsx.PLAN_COLUMNS.values(), *xlsx.TIER_PLAN_COLUMNS.values()]))

# --------------------------------------------------------------------------- reports


def report_context(org: Organisation) -> dict[str, Any]:
    from gpequity.web.engagement.presenters import report_section

    return {"org": org, "report": selectors.report_for(org), "engagement": report_section(org)}


def report_html(org: Organisation) -> str:
    """The print version of the practice equity report (what WeasyPrint turns into the PDF)."""
    return render_to_string("reports/report_print.html", report_context(org))


def report_pdf(org: Organisation, on_stage: Callable[[int, int], None] | None = None) -> bytes:
    """The practice equity report as a tagged PDF (PDF/UA-1: headings, lists, tables, the
    document language and title, for screen readers; WeasyPrint, a few seconds for a large
    plan).

    ``on_stage(step, pages)`` is called as each of the three stages ends: 1 once the HTML
    is rendered, 2 once the pages are laid out (``pages`` is then their number).
    """
    from weasyprint import HTML

    html = report_html(org)
    if on_stage:
        on_stage(1, 0)
    document = HTML(string=html, base_url=None).render(pdf_variant="pdf/ua-1")
    if on_stage:
        on_stage(2, len(document.pages))
    return document.write_pdf(pdf_variant="pdf/ua-1")


# --------------------------------------------------------------------------- CSV and JSON


def _csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    buf = io.StringIO(newline="")
    # CRLF line ends (RFC 4180): the csv module then also quotes a value holding a lone
    # carriage return, which would otherwise split the row for every reader.
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow(csv_row("" if v is None else v for v in row))
    # A BOM so Excel opens the file as UTF-8.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


ASSESSMENT_CSV_HEADER = (
    "Tier",
    "Theme",
    "Action Code",
    "Action Key",
    "Action Title",
    "Status",
    "Notes",
    "Updated by",
    "Updated at",
)


def assessment_csv(org: Organisation) -> bytes:
    """Every action of the framework with the practice's status and notes."""
    pack = selectors.load_pack_for(org)
    entries = selectors.entries(org)
    rows = []
    for action in pack.actions:
        e = entries.get(action.key)
        rows.append(
            [
                pack.tier(action.tier).name,
                pack.theme(action.theme).name,
                action.code,
                action.key,
                action.title,
                AssessmentStatus(e.status if e else "not_started").label,
                e.notes if e else "",
                selectors.user_label(e.updated_by) if e else "",
                e.updated_at.isoformat(timespec="seconds") if e and e.updated_at else "",
            ]
        )
    return _csv(ASSESSMENT_CSV_HEADER, rows)


def plan_csv(org: Organisation) -> bytes:
    """Every plan item, with the same columns as the workbook's Plan sheet."""
    pack = selectors.load_pack_for(org)
    rows = []
    for i in selectors.plan_items(org):
        try:
            code = pack.action(i.action_key).code
        except KeyError:
            code = ""
        rows.append(
            [
                i.action_key,
                code,
                i.title,
                selectors.user_label(i.owner) if i.owner else "",
                i.start_date.isoformat() if i.start_date else "",
                i.due_date.isoformat() if i.due_date else "",
                PlanStatus(i.status).label,
                i.objective,
                vocab.INDICATORS.get(i.measure_indicator, i.measure_indicator),
                i.measure_text,
                selectors.as_number(i.baseline),
                selectors.as_number(i.target),
                i.unit,
                # Ids for machines, after the words people read.
                i.owner.get_username() if i.owner else "",
                i.measure_indicator,
            ]
        )
    return _csv(PLAN_CSV_HEADER, rows)


PLAN_CSV_HEADER = (*xlsx.PLAN_HEADER, "Owner username", "Measure indicator key")


# --------------------------------------------------------------------------- import

FIELD_LABELS = {
    "status": "status",
    "notes": "notes",
    "title": "title",
    "owner": "owner",
    "start_date": "start date",
    "due_date": "due date",
    "objective": "objective",
    "measure_indicator": "measure indicator",
    "measure_text": "measure",
    "baseline": "baseline",
    "target": "target",
    "unit": "unit",
    "created": "new plan item",
}


@dataclass(frozen=True)
class Change:
    """One value the import changes. ``before``/``after`` are shown to people as text."""

    entity: str
    key: str
    field: str
    before: str
    after: str
    sheet: str = ""
    row: int | None = None
    column: str = ""

    @property
    def label(self) -> str:
        area = "Assessment" if self.entity == "assessment" else "Plan"
        return f"{area}: {FIELD_LABELS.get(self.field, self.field)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "key": self.key,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
        }


@dataclass
class ImportPreview:
    """What an uploaded workbook would change, or why it cannot be imported."""

    changes: list[Change] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # Internal: the typed new values, per action.
    assessment: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    plan: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    cells: dict[tuple[str, str, str], xlsx.Cell] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def fingerprint(self) -> str:
        """Identifies exactly this set of changes, so a confirmed preview can be checked."""
        blob = json.dumps([c.to_dict() for c in self.changes], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "changes": [c.to_dict() for c in self.changes],
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }


class ImportFailed(Exception):
    """The import was refused; nothing was changed."""

    def __init__(self, preview: ImportPreview):
        super().__init__("; ".join(str(e) for e in preview.errors[:5]))
        self.preview = preview


def _show(value: Any, field_name: str = "") -> str:
    if value is None:
        return ""
    if hasattr(value, "get_username"):
        return selectors.user_label(value)
    if field_name == "measure_indicator":
        return xlsx.indicator_title(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(selectors.as_number(value))
    if field_name == "status:assessment":
        return AssessmentStatus(value).label
    if field_name == "status:plan":
        return PlanStatus(value).label
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if hasattr(a, "pk") or hasattr(b, "pk"):
        return getattr(a, "pk", None) == getattr(b, "pk", None)
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


def _plan_current(item: PlanItem | None, fname: str) -> Any:
    if item is None:
        return {"status": PlanStatus.NOT_STARTED.value}.get(fname)
    return getattr(item, fname)


def _read(org: Organisation, data: bytes, name: str) -> xlsx.ParsedWorkbook | ImportPreview:
    try:
        return xlsx.read_workbook(data, org, name=name)
    except WorkbookError as exc:
        return ImportPreview(errors=[exc.issue])


def preview_import(
    org: Organisation, data: bytes, *, actor=None, name: str = "upload"
) -> ImportPreview:
    """Every change the workbook ``data`` would make at ``org``, and every error.

    With an ``actor`` the changes are also tried for real in a transaction that is then
    rolled back, so permission and service-level validation errors show up in the preview.
    """
    if actor is not None and not access.can(actor, org, access.EDIT):
        return ImportPreview(errors=[Issue("", None, "", "", NEED_EDIT)])
    parsed = _read(org, data, name)
    if isinstance(parsed, ImportPreview):
        return parsed
    preview = ImportPreview(errors=list(parsed.issues), warnings=list(parsed.warnings))
    _diff_assessment(org, parsed, preview)
    _diff_plan(org, parsed, preview)
    _compare_read_only(org, parsed, preview)
    if preview.errors:
        preview.changes = []
        return preview
    if actor is not None and preview.changes:
        _trial(actor, org, preview)
    return preview


def _diff_assessment(org, parsed: xlsx.ParsedWorkbook, preview: ImportPreview) -> None:
    entries = selectors.entries(org)
    for key, row in parsed.tier_rows.items():
        entry = entries.get(key)
        now = {
            "status": entry.status if entry else AssessmentStatus.NOT_STARTED.value,
            "notes": entry.notes if entry else "",
        }
        new = dict(now)
        for fname, cell in (("status", row.status), ("notes", row.notes)):
            if cell is None or _same(cell.value, now[fname]):
                continue
            new[fname] = cell.value
            kind = "status:assessment" if fname == "status" else ""
            preview.changes.append(
                Change(
                    "assessment",
                    key,
                    fname,
                    _show(now[fname], kind),
                    _show(cell.value, kind),
                    cell.sheet,
                    cell.row,
                    cell.column,
                )
            )
            preview.cells[("assessment", key, fname)] = cell
        if new != now:
            preview.assessment[key] = new


def _diff_plan(org, parsed: xlsx.ParsedWorkbook, preview: ImportPreview) -> None:
    items = selectors.plan_item_by_action(org)
    keys = list(dict.fromkeys([*parsed.tier_rows, *parsed.plan_rows]))
    for key in keys:
        item = items.get(key)
        sources = [r for r in (parsed.tier_rows.get(key), parsed.plan_rows.get(key)) if r]
        new: dict[str, Any] = {}
        for fname in PLAN_FIELDS:
            cells = [r.plan[fname] for r in sources if fname in r.plan]
            current = _plan_current(item, fname)
            changed = [c for c in cells if not _same(c.value, current)]
            if not changed:
                continue
            first = changed[0]
            clash = next((c for c in changed[1:] if not _same(c.value, first.value)), None)
            if clash is not None:
                preview.errors.append(
                    Issue(
                        clash.sheet,
                        clash.row,
                        clash.column,
                        clash.raw,
                        f"This differs from {first.sheet} row {first.row} ({first.raw!r}); "
                        "change the plan item in one place only.",
                    )
                )
                continue
            new[fname] = first.value
            kind = {"status": "status:plan", "measure_indicator": fname}.get(fname, "")
            preview.changes.append(
                Change(
                    "plan_item",
                    key,
                    fname,
                    _show(current, kind),
                    _show(first.value, kind),
                    first.sheet,
                    first.row,
                    first.column,
                )
            )
            preview.cells[("plan_item", key, fname)] = first
        if new:
            if item is None:
                preview.changes.append(
                    Change(
                        "plan_item",
                        key,
                        "created",
                        "",
                        "added to the plan",
                        sources[0].sheet,
                        sources[0].row,
                        "",
                    )
                )
            preview.plan[key] = new


def _compare_read_only(org, parsed: xlsx.ParsedWorkbook, preview: ImportPreview) -> None:
    current = xlsx.read_only_texts(org)
    for sheet, rows in parsed.read_only.items():
        if rows != current.get(sheet, []):
            preview.warnings.append(
                Issue(
                    sheet,
                    None,
                    "",
                    "",
                    "Changes on this sheet are not imported: record "
                    "them in gpequity itself. Everything else in the workbook can still be "
                    "imported.",
                )
            )


class _Rollback(Exception):
    pass


def _trial(actor, org: Organisation, preview: ImportPreview) -> None:
    try:
        with transaction.atomic():
            _apply(actor, org, preview)
            raise _Rollback
    except _Rollback:
        pass
    except ImportFailed as exc:
        preview.errors.extend(exc.preview.errors)
        preview.changes = []


def _apply(actor, org: Organisation, preview: ImportPreview) -> None:
    """Make the previewed changes through the area services; raise ImportFailed on the first
    refusal, naming the cell that caused it (the caller's transaction undoes the rest)."""
    entries = selectors.entries(org)
    for key, new in preview.assessment.items():
        entry = (
            entries.get(key)
            or AssessmentEntry.objects.filter(organisation=org, action_key=key).first()
        )
        with _blame(preview, "assessment", key, ("status", "notes")):
            assessment_services.assessment_update(
                actor=actor,
                organisation=org,
                action_key=key,
                status=new["status"],
                notes=new["notes"],
                expected_version=entry.version if entry else 0,
            )
    items = selectors.plan_item_by_action(org)
    for key, new in preview.plan.items():
        fields = tuple(new)
        with _blame(preview, "plan_item", key, fields):
            item = items.get(key)
            if item is None:
                item = plan_services.plan_item_adopt(actor=actor, organisation=org, action_key=key)
            plan_services.plan_item_update(
                actor=actor, item=item, expected_version=item.version, changes=dict(new)
            )


class _blame:
    """Turn a service's refusal into an Issue pointing at the workbook cell responsible."""

    def __init__(self, preview: ImportPreview, entity: str, key: str, fields: Iterable[str]):
        self.preview, self.entity, self.key, self.fields = preview, entity, key, tuple(fields)

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            return False
        if isinstance(exc, ImportFailed):
            return False
        if not isinstance(
            exc,
            ValidationError
            | PermissionDenied
            | assessment_services.ConflictError
            | plan_services.PlanConflict,
        ):
            return False
        field_hint = None
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            field_hint = next(iter(exc.error_dict), None)
            if field_hint == "owner_id":
                field_hint = "owner"
        cell = self.preview.cells.get((self.entity, self.key, field_hint)) if field_hint else None
        if cell is None:
            cell = next(
                (
                    self.preview.cells[(self.entity, self.key, f)]
                    for f in self.fields
                    if (self.entity, self.key, f) in self.preview.cells
                ),
                None,
            )
        message = _message(exc)
        issue = (
            Issue(cell.sheet, cell.row, cell.column, cell.raw, message)
            if cell
            else Issue("", None, "Action Key", self.key, message)
        )
        raise ImportFailed(ImportPreview(errors=[issue])) from exc


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or "You may not make this change."
    return "Someone changed this while the import ran; upload the workbook again."


@transaction.atomic
def apply_import(
    *,
    actor,
    organisation: Organisation,
    data: bytes,
    name: str = "upload",
    expected_fingerprint: str | None = None,
) -> ImportPreview:
    """Apply a workbook all or nothing; raise ``ImportFailed`` (nothing changed) on any error.

    ``expected_fingerprint`` is the preview the person confirmed: if the practice's data has
    moved on since, the changes differ and the import is refused rather than surprising them.
    """
    if not access.can(actor, organisation, access.EDIT):
        raise PermissionDenied(NEED_EDIT)
    preview = preview_import(organisation, data, name=name)
    if not preview.ok:
        raise ImportFailed(preview)
    if expected_fingerprint is not None and preview.fingerprint != expected_fingerprint:
        preview.errors.append(
            Issue(
                "",
                None,
                "",
                "",
                "The practice's data changed after you previewed this "
                "import. Upload the workbook again to see the new changes.",
            )
        )
        raise ImportFailed(preview)
    if not preview.changes:
        return preview
    _apply(actor, organisation, preview)
    audit_record(
        actor=actor,
        organisation=organisation,
        entity="import",
        verb="imported",
        after={"file": name[:200], "changes": len(preview.changes)},
        note=f"Workbook import: {len(preview.changes)} changes",
    )
    return preview


def system_actor():
    """The account the CLI acts as when no --as user is given: staff, but cannot sign in."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "gpequity", "last_name": "system", "is_staff": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
