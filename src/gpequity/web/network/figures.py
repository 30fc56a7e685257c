"""Each practice's disclosed figures of an indicator, kept in the database with its run.

Benchmarking an indicator across an ICB's 200 practices meant reading some 8,000 exact rows
and running disclosure control 200 times; the first view of each indicator took seconds in
every server process. A finished run's rows never change (only a failed or invalid run is
run again), so what benchmarking needs of each run and indicator is worked out once, when
the run is stored (``store_for_runs``), or at the first view of a run stored before this
existed, and kept in ``DisclosedFigures``: the three rows benchmarking can show (all
patients, IMD Q1, the Focus group) after disclosure control over the practice's whole
breakdown of the indicator, and the exact counts of those rows that the network's value
and the funnel limits are worked out from (never shown).

Who may see them is decided at every read, not here: the pages ask only for the runs of the
practices that share with the person looking, so withdrawing sharing takes effect at once.
These rows are derived data (like a cache), not a user's change, so they are not audited.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from .benchmarking import VIEWS, practice_figures
from .models import DisclosedFigures

# The rows benchmarking shows: (grouping, group) of each view.
KEYS = {view: (spec["grouping"], spec["group"]) for view, spec in VIEWS.items()}
# The exact fields benchmarking reads (network value, funnel limits, a mean's spread).
EXACT_FIELDS = ("numerator", "denominator", "lower", "upper")
NUMBERS = frozenset({"numerator", "denominator", "value", "lower", "upper"})
_NOT_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _encode(row: dict[str, Any] | None, fields: Iterable[str] | None = None) -> dict | None:
    """A row as JSON can hold it: a NaN (or infinite) number as text, which JSON lacks."""
    if row is None:
        return None
    out = {}
    for key, value in row.items():
        if fields is not None and key not in fields:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)  # "nan", "inf", "-inf"
        out[key] = value
    return out


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: _NOT_FINITE[v] if k in NUMBERS and isinstance(v, str) else v for k, v in row.items()}


def to_stored(figures: tuple[dict, dict]) -> dict[str, Any]:
    """``benchmarking.practice_figures``'s (disclosed, exact) as stored: the view rows only."""
    shown, exact = figures
    return {
        view: {
            "shown": _encode(shown.get(key)),
            "exact": _encode(exact.get(key), EXACT_FIELDS),
        }
        for view, key in KEYS.items()
    }


def from_stored(stored: dict[str, Any]) -> tuple[dict, dict]:
    """Back to (disclosed, exact) by (grouping, group), as ``benchmarking.benchmark`` reads."""
    shown, exact = {}, {}
    for view, key in KEYS.items():
        part = stored.get(view) or {}
        if part.get("shown") is not None:
            shown[key] = _decode(part["shown"])
        if part.get("exact") is not None:
            exact[key] = _decode(part["exact"])
    return shown, exact


def _kinds(run) -> dict[str, bool]:
    """Whether each indicator of the run is a mean, from its definitions."""
    return {d["id"]: d.get("kind", "proportion") == "mean" for d in run.definitions or []}


def _made(runs: dict[int, Any], definition) -> dict[int, tuple[dict, dict]]:
    from . import selectors

    rows = selectors.run_rows(runs, definition.id)
    return {pk: practice_figures(definition, rows.get(pk, [])) for pk in runs}


def for_indicator(definition, runs: dict[int, Any]) -> dict[int, tuple[dict, dict]]:
    """Each practice's (disclosed, exact) figures of ``definition`` from its run in ``runs``
    (practice id -> run): read from the database (one query), worked out and kept for any
    run that has none yet. The caller passes only the runs of practices that share."""
    mean = definition.kind == "mean"
    by_run = {run.pk: pk for pk, run in runs.items()}
    figures: dict[int, tuple[dict, dict]] = {}
    for run_id, stored in DisclosedFigures.objects.filter(
        run_id__in=by_run, indicator=definition.id, mean=mean
    ).values_list("run_id", "figures"):
        figures[by_run[run_id]] = from_stored(stored)
    missing = {pk: run for pk, run in runs.items() if pk not in figures}
    if missing:
        made = _made(missing, definition)
        DisclosedFigures.objects.bulk_create(
            [
                DisclosedFigures(
                    run_id=run.pk, indicator=definition.id, mean=mean, figures=to_stored(made[pk])
                )
                for pk, run in missing.items()
            ],
            ignore_conflicts=True,  # another request may have kept the same a moment ago
        )
        # Read back through the same path as stored figures, so a first view shows
        # exactly what every later view will.
        figures.update({pk: from_stored(to_stored(f)) for pk, f in made.items()})
    return figures


@transaction.atomic
def store_for_runs(runs: Iterable[Any]) -> int:
    """Work out and keep every indicator's figures of these finished runs (called as they
    are stored; one query of their rows per 50 runs). Returns how many were kept."""
    from gpequity.hna.indicators import Indicator

    from . import selectors

    runs = list(runs)
    kept = 0
    for start in range(0, len(runs), 50):
        batch = {run.pk: run for run in runs[start : start + 50]}
        DisclosedFigures.objects.filter(run_id__in=batch).delete()
        rows = selectors.run_rows(batch)
        objects = []
        for run_id, run in batch.items():
            own: dict[str, list[dict]] = {}
            for row in rows.get(run_id, []):
                own.setdefault(row["indicator"], []).append(row)
            for d in run.definitions or []:
                definition = Indicator.model_validate(d)
                objects.append(
                    DisclosedFigures(
                        run_id=run_id,
                        indicator=definition.id,
                        mean=definition.kind == "mean",
                        figures=to_stored(practice_figures(definition, own.get(definition.id, []))),
                    )
                )
        DisclosedFigures.objects.bulk_create(objects, batch_size=500)
        kept += len(objects)
    return kept
