"""System runs stored per practice (ADR 28).

An HNA over a system extract (DATA.md "System extracts": patients with ``practice_code``)
gives each practice's ``indicators`` and ``gradients`` rows exactly as a run over that
practice alone would. ``system_run_store`` stores them as one finished ``Run`` per practice,
with the same fields and rows an uploaded run gets, so the report pages, trends, plan
measures and network views read them as they read any other run. Each is marked as coming
from the system run (``kind`` "system", the shared ``system_run_id`` and the PCN or ICB).

All or nothing: a practice code that is not a practice below the PCN or ICB refuses the
whole store, naming the codes, and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gpequity import __version__
from gpequity.web.audit.services import audit_record
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Organisation, OrgKind

from .models import GradientResult, IndicatorResult, Run, RunKind, RunStatus
from .runs import gradient_objects, indicator_objects


def practices_below(organisation: Organisation) -> dict[str, Organisation]:
    """The practices of a PCN, or of every PCN of an ICB (and any directly under it), by
    upper-case ODS code."""
    below = Organisation.objects.filter(kind=OrgKind.PRACTICE).filter(
        Q(parent=organisation) | Q(parent__parent=organisation)
    )
    return {p.ods_code.upper(): p for p in below}


def _check(actor, organisation: Organisation) -> None:
    if organisation.kind not in (OrgKind.PCN, OrgKind.ICB):
        raise ValidationError(
            f"{organisation.ods_code} is a practice: a system run is stored for a PCN or an "
            "ICB, one run for each of its practices"
        )
    if not access.can_direct(actor, organisation, access.EDIT):
        raise PermissionDenied(
            "Only the PCN's network lead or the ICB's analysts can store a system run"
        )


def match_practices(organisation: Organisation, codes: list[str]) -> dict[str, Organisation]:
    """Each practice code of the extract matched to a practice below ``organisation``;
    ``ValidationError`` naming every code that is not one."""
    known = practices_below(organisation)
    unknown = sorted({c for c in codes if c.upper() not in known})
    if unknown:
        shown = ", ".join(unknown[:20]) + (
            f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        )
        raise ValidationError(
            f"The extract has {len(unknown)} practice code{'s' if len(unknown) != 1 else ''} "
            f"that {'are not practices' if len(unknown) != 1 else 'is not a practice'} of "
            f"{organisation.name} ({organisation.ods_code}): {shown}. Nothing was stored: add "
            "the practices to the organisation (gpequity org create) or correct the codes, "
            "then run it again."
        )
    return {c: known[c.upper()] for c in codes}


def _by_practice(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["practice_code"], []).append(
            {k: v for k, v in r.items() if k != "practice_code"}
        )
    return out


def system_run_store(
    *,
    actor,
    organisation: Organisation,
    result: Any,
    files: str = "",
    size: int = 0,
    progress: Callable[[int, int], None] | None = None,
    system_run: Run | None = None,
) -> list[Run]:
    """Store a system run's results (``gpequity.hna.HNAResult`` of a system extract) as one
    finished run per practice of ``organisation`` (a PCN or ICB), all or nothing.

    ``files`` names the extract's files (kept on each run as an upload's are) and ``size``
    their size; ``progress(done, total)`` is told after each practice. Returns the runs in
    practice-code order. Raises ``ValidationError`` (nothing stored) for an extract that is
    not a system extract or has practice codes not below ``organisation``. ``system_run`` is
    the PCN's or ICB's own run of an upload from the web, whose id the practices' runs share.
    """
    _check(actor, organisation)
    if result.practices is None:
        raise ValidationError(
            "This extract has no practice_code column, so it is one practice's extract: "
            "upload it on that practice's health needs assessment page instead"
        )
    indicators = _by_practice(result.practices.indicators)
    gradients = _by_practice(result.practices.gradients)
    codes = sorted(set(indicators) | set(gradients))
    practices = match_practices(organisation, codes)
    info = result.run_info.to_dict() if result.run_info is not None else None
    focus = info.get("focus") if info else None
    focus_description = ""
    if focus is not None:
        from gpequity.web.focus.services import normalise_criteria

        focus, focus_description = normalise_criteria(focus)
    definitions = info.get("indicators", []) if info else []
    own_notes: dict[str, list[str]] = {}
    for note in result.practices.notes:
        code, _, text = note.partition(": ")
        own_notes.setdefault(code, []).append(text)
    # The whole extract's notes on gradients ("<indicator>: no <grouping> gradient (...)")
    # are about the system, not the practice: each practice gets the other notes (skipped
    # indicators, no appointments file) and its own gradient notes.
    shared_notes = [n for n in result.notes if " gradient (" not in n]
    system_id = system_run.pk if system_run is not None else uuid.uuid4()
    names = f"System extract of {organisation.name}" + (f": {files}" if files else "")
    now = timezone.now()
    runs: list[Run] = []
    with transaction.atomic():
        for n, code in enumerate(codes, 1):
            practice = practices[code]
            run = Run.objects.create(
                organisation=practice,
                status=RunStatus.DONE,
                progress=1.0,
                message="Finished",
                as_of=result.run_info.as_of if result.run_info else timezone.localdate(),
                drop_bad_rows=bool(info and info.get("drop_bad_rows")),
                upload_names=names[:300],
                upload_size=size,
                fingerprint=(info or {}).get("extract_fingerprint") or "",
                focus_criteria=focus,
                focus_description=focus_description,
                definitions=definitions,
                run_info=info,
                gpequity_version=__version__,
                notes=[*shared_notes, *own_notes.get(code, [])],
                warnings=list(result.warnings),
                imd_attribution=result.imd_attribution or "",
                kind=RunKind.SYSTEM,
                system_run_id=system_id,
                system_organisation=organisation,
                created_by=actor,
                started_at=now,
                heartbeat_at=now,
                finished_at=now,
            )
            IndicatorResult.objects.bulk_create(
                indicator_objects(run, indicators.get(code, [])), batch_size=500
            )
            GradientResult.objects.bulk_create(
                gradient_objects(run, gradients.get(code, [])), batch_size=500
            )
            audit_record(
                actor=actor,
                organisation=practice,
                entity="hna_run",
                entity_id=run.pk,
                verb="created",
                after={
                    "as_of": run.as_of.isoformat(),
                    "status": run.status,
                    "files": run.upload_names,
                    "fingerprint": run.fingerprint,
                    "kind": RunKind.SYSTEM,
                    "system_run_id": str(system_id),
                    "system_organisation": organisation.ods_code,
                },
                note=f"From a system run for {organisation.ods_code}",
            )
            runs.append(run)
            if progress is not None:
                progress(n, len(codes))
        # What benchmarking shows of each run, disclosed once now rather than at views.
        from gpequity.web.network.figures import store_for_runs

        store_for_runs(runs)
        audit_record(
            actor=actor,
            organisation=organisation,
            entity="hna_system_run",
            entity_id=system_id,
            verb="created",
            after={
                "as_of": runs[0].as_of.isoformat() if runs else None,
                "files": names,
                "practices": codes,
            },
        )
    if system_run is None:  # from the web, the task feeds the plans after its commit
        from .services import feed_plan

        for run in runs:
            feed_plan(run)
    return runs


def finish_system_run(run: Run, attempt: int, result: Any) -> str:
    """The end of a PCN's or ICB's uploaded run (the background task's, ``runs.run_body``):
    the practices' runs stored and this run marked done, in one transaction; or, when the
    extract cannot be stored (no practice codes, or codes not below the organisation), this
    run marked invalid with the reason and nothing stored. Returns the run's status."""
    from .models import ACTIVE
    from .runs import _update, scrub

    def progress(done: int, total: int) -> None:
        _update(
            run.pk,
            attempt,
            progress=min(0.99, 0.95 + 0.04 * done / max(total, 1)),
            message=f"Storing each practice's results: {done} of {total}",
            heartbeat_at=timezone.now(),
        )

    try:
        with transaction.atomic():
            locked = Run.objects.select_for_update().filter(pk=run.pk, attempt=attempt).first()
            if locked is None or locked.status not in ACTIVE:
                return locked.status if locked is not None else run.status
            stored = system_run_store(
                actor=run.created_by,
                organisation=run.organisation,
                result=result,
                files=run.upload_names,
                size=run.upload_size,
                progress=progress,
                system_run=run,
            )
            info = result.run_info.to_dict() if result.run_info is not None else None
            now = timezone.now()
            _update(
                run.pk,
                attempt,
                status=RunStatus.DONE,
                progress=1.0,
                message=f"Stored for {len(stored)} practice{'s' if len(stored) != 1 else ''}",
                definitions=(info or {}).get("indicators", []),
                run_info=info,
                fingerprint=(info or {}).get("extract_fingerprint") or run.fingerprint,
                validation=scrub(result.validation) if result.validation else None,
                notes=list(result.notes),
                warnings=list(result.warnings),
                upload_folder="",
                droppable_rows=None,
                finished_at=now,
                heartbeat_at=now,
            )
    except (ValidationError, PermissionDenied) as exc:
        text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        _update(
            run.pk,
            attempt,
            status=RunStatus.INVALID,
            progress=1.0,
            message=text if len(text) <= 300 else text[:297] + "...",
            notes=[text],
            finished_at=timezone.now(),
            upload_folder="",
        )
        return RunStatus.INVALID
    from .services import feed_plan

    for practice_run in stored:
        feed_plan(practice_run)
    return RunStatus.DONE


def stored_practices(run: Run) -> list[Run]:
    """The practices' runs stored from a PCN's or ICB's run, in practice-code order."""
    return list(
        Run.objects.filter(system_run_id=run.pk)
        .exclude(pk=run.pk)
        .select_related("organisation")
        .order_by("organisation__ods_code")
    )
