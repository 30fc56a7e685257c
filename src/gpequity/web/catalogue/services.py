"""Writes of the catalogue area: storing an import of the official toolkit text.

Called by the staff import page (after the preview) and by ``gpequity catalogue import``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from gpequity.catalogue import DEFAULT_PACK, load_pack
from gpequity.catalogue.importer import ImportResult, diff_imports
from gpequity.web.audit.services import audit_record

from . import selectors
from .models import OfficialText, OfficialTextImport


@transaction.atomic
def import_official_text(
    *, result: ImportResult, user=None, pack_id: str | None = None
) -> OfficialTextImport:
    """Store ``result`` as the next version of the pack's official text, all or nothing.

    Refuses a result that carries errors or matched nothing (raising ValidationError with the
    messages), so a broken file can never replace good text. The diff against the previous
    applied version is kept with the new version, for the history page.
    """
    pack_id = pack_id or result.pack_id or DEFAULT_PACK
    _check(result, pack_id)
    previous = selectors.current_import(pack_id)
    diff = None
    if previous is not None:
        old = {t.action_key: selectors.as_core_text(t) for t in previous.texts.all()}
        diff = diff_imports(old, result.entries).to_json()
    # Lock the pack's versions so two imports at once cannot take the same number.
    list(OfficialTextImport.objects.select_for_update().filter(pack_id=pack_id).values("pk"))
    last = OfficialTextImport.objects.filter(pack_id=pack_id).aggregate(v=Max("version"))["v"]
    report = result.to_json()
    imported = OfficialTextImport.objects.create(
        pack_id=pack_id,
        version=(last or 0) + 1,
        source_name=result.source_name[:255],
        sha256=result.sha256,
        uploaded_by=user if getattr(user, "pk", None) else None,
        report={
            "rows_read": result.rows_read,
            "matched": result.matched,
            "actions_in_pack": len(load_pack(pack_id).actions),
            "warnings": report["warnings"],
        },
        tier_names=dict(result.tier_names),
        applied=True,
        diff=diff,
    )
    OfficialText.objects.bulk_create(
        OfficialText(
            official_import=imported,
            action_key=key,
            code=text.code,
            title=text.title,
            descriptor=text.descriptor,
            supporting_information=text.supporting_information,
            supporting_resources=text.supporting_resources,
            links=list(text.links),
            sheet=text.sheet[:255],
            row=text.row,
        )
        for key, text in result.entries.items()
    )
    audit_record(
        actor=user if getattr(user, "pk", None) else None,
        organisation=None,
        entity="catalogue_import",
        entity_id=imported.pk,
        verb="imported",
        after={
            "pack": pack_id,
            "version": imported.version,
            "source": imported.source_name,
            "sha256": imported.sha256,
            "matched": result.matched,
            "warnings": len(result.warnings),
            "added": len(diff["added"]) if diff else result.matched,
            "removed": len(diff["removed"]) if diff else 0,
            "changed": len(diff["changed"]) if diff else 0,
        },
    )
    return imported


def _check(result: ImportResult, pack_id: str) -> None:
    try:
        pack = load_pack(pack_id)
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None
    if result.errors:
        raise ValidationError([str(issue) for issue in result.errors])
    if result.pack_id and result.pack_id != pack_id:
        raise ValidationError(
            f"this import was read against pack {result.pack_id!r}, not {pack_id!r}"
        )
    if not result.entries:
        raise ValidationError(f"{result.source_name}: no action of {pack.name} was found")
    unknown = sorted(set(result.entries) - {a.key for a in pack.actions})
    if unknown:
        raise ValidationError(f"actions not in pack {pack_id!r}: {', '.join(unknown)}")
