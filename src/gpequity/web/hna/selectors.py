"""Reads of the HNA area, always scoped to one practice (ADR 17)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gpequity.hna import results as core_results
from gpequity.web.orgs.models import Organisation

from .models import GradientResult, IndicatorResult, Run, RunStatus
from .runs import mark_if_dead

_INDICATOR_FIELDS = (
    "indicator",
    "grouping",
    "group",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "compared_with_rest",
    "suppressed",
)
_GRADIENT_FIELDS = core_results.GRADIENT_COLUMNS


def runs(organisation: Organisation) -> QuerySet[Run]:
    return Run.objects.filter(organisation=organisation).select_related("created_by")


def run_list(organisation: Organisation) -> list[Run]:
    """The practice's runs, newest as-of first, any dead worker's run marked failed."""
    return [mark_if_dead(r) for r in runs(organisation).defer("validation")]


def run_get(organisation: Organisation, run_id) -> Run | None:
    """One run of this practice; None for another practice's id (never leak it)."""
    run = runs(organisation).filter(pk=run_id).first()
    return mark_if_dead(run) if run is not None else None


def done_runs(organisation: Organisation) -> QuerySet[Run]:
    return runs(organisation).filter(status=RunStatus.DONE).order_by("as_of", "created_at")


_HEAVY = ("definitions", "run_info", "validation", "droppable_rows", "notes", "warnings")


def latest_done(organisation: Organisation, *, light: bool = False) -> Run | None:
    """The newest finished run; ``light`` leaves its large JSON fields unread until used
    (the dashboard needs only its id and date: the definitions alone are ~100 KB of JSON)."""
    qs = runs(organisation).filter(status=RunStatus.DONE)
    if light:
        qs = qs.defer(*_HEAVY)
    return qs.order_by("-as_of", "-created_at").first()


def _kinds(run: Run) -> dict[str, str]:
    return {d["id"]: d.get("kind", "proportion") for d in run.definitions or []}


def indicator_rows(run: Run, indicator: str | None = None) -> list[dict[str, Any]]:
    """The run's DATA.md ``indicators`` rows, typed as the engine gave them (counts as whole
    numbers for proportions, sums as floats for means), in their stored order."""
    kinds = _kinds(run)
    qs = IndicatorResult.objects.filter(run=run)
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    rows = []
    for r in qs.order_by("position").values(*_INDICATOR_FIELDS):
        if r["numerator"] is not None and kinds.get(r["indicator"], "proportion") != "mean":
            r["numerator"] = int(r["numerator"])
        rows.append(r)
    return rows


def gradient_rows(run: Run, indicator: str | None = None) -> list[dict[str, Any]]:
    qs = GradientResult.objects.filter(run=run)
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    return list(qs.order_by("position").values(*_GRADIENT_FIELDS))


def series(
    organisation: Organisation,
    indicator: str,
    pairs: list[tuple[str, str]],
    run_ids: list[str] | None = None,
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """For trends: each (grouping, group)'s rows over the practice's finished runs (or only
    over ``run_ids``, for a report that shows the runs up to its own)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {p: [] for p in pairs}
    groupings = {g for g, _ in pairs}
    qs = (
        IndicatorResult.objects.filter(
            run__organisation=organisation,
            run__status=RunStatus.DONE,
            indicator=indicator,
            grouping__in=groupings,
            **({"run_id__in": run_ids} if run_ids is not None else {}),
        )
        .order_by("run__as_of", "run__created_at")
        .values(
            "run_id",
            "run__as_of",
            "grouping",
            "group",
            "numerator",
            "denominator",
            "value",
            "lower",
            "upper",
        )
    )
    for r in qs:
        key = (r["grouping"], r["group"])
        if key in out:
            out[key].append(r)
    return out


def series_all(
    organisation: Organisation, pairs: list[tuple[str, str]], run_ids: list[str] | None = None
) -> dict[str, dict[tuple[str, str], list[dict[str, Any]]]]:
    """``series`` for every indicator at once, in one query of only the (grouping, group)
    rows asked for: {indicator: {(grouping, group): rows over the runs}}."""
    from django.db.models import Q

    wanted = Q()
    for grouping, group in pairs:
        wanted |= Q(grouping=grouping, group=group)
    qs = (
        IndicatorResult.objects.filter(
            wanted, run__organisation=organisation, run__status=RunStatus.DONE
        )
        .filter(**({"run_id__in": run_ids} if run_ids is not None else {}))
        .order_by("run__as_of", "run__created_at", "position")
        .values_list(
            "indicator",
            "run_id",
            "run__as_of",
            "grouping",
            "group",
            "numerator",
            "denominator",
            "value",
            "lower",
            "upper",
        )
    )
    names = ("run_id", "run__as_of", "grouping", "group", "numerator", "denominator")
    names += ("value", "lower", "upper")
    out: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
    for indicator, *values in qs:
        row = dict(zip(names, values, strict=True))
        out.setdefault(indicator, {p: [] for p in pairs})[(row["grouping"], row["group"])].append(
            row
        )
    return out
