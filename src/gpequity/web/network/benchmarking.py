"""Benchmarking practices on one indicator: every figure through disclosure control.

For each practice that shares its HNA results with the person looking, its latest finished
run's rows of the indicator go through ``gpequity.disclosure`` (per practice, so secondary
suppression sees the practice's whole breakdown) before anything is shown. The funnel
limits come from ``gpequity.benchmark`` around the network's pooled value; where a practice
falls is worked out from its exact counts (the statistics stay right) but only the disclosed
figures are shown: rounded counts, and the value only when neither count is suppressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gpequity import disclosure
from gpequity.benchmark import classify, mean_limits, proportion_limits
from gpequity.benchmark.funnel import pooled_mean, sd_from_interval, z_for
from gpequity.hna.indicators import Indicator
from gpequity.stats import wilson_interval

NO_PATIENTS = "No patients in this group"
CANNOT = "Cannot be calculated"
SUPPRESSED = "Suppressed"

# The three comparisons asked for: everyone, the most deprived fifth, the Focus group.
VIEWS: dict[str, dict[str, str]] = {
    "overall": {
        "grouping": "overall",
        "group": "all",
        "label": "All patients",
        "about": "each practice's value for all its patients",
    },
    "q1": {
        "grouping": "imd_quintile",
        "group": "Q1",
        "label": "Most deprived fifth (IMD Q1)",
        "about": "each practice's value for its patients living in the most deprived fifth of "
        "areas in England (IMD quintile 1), and whether they differ from its other patients",
    },
    "focus": {
        "grouping": "focus_group",
        "group": "in",
        "label": "Focus group",
        "about": "each practice's value for its Focus group (the patients it chose to "
        "prioritise), and whether they differ from its other patients",
    },
}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


@dataclass
class Entry:
    """One practice on one indicator and view, as shown beyond the practice."""

    practice: Any
    as_of: Any
    state: str  # "shown", "suppressed", "no_patients", "cannot"
    numerator: int | None = None
    denominator: int | None = None
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    compared_with_rest: str | None = None
    position: Any = None  # gpequity.benchmark.Position, for shown proportions

    @property
    def words(self) -> str:
        return {
            "suppressed": SUPPRESSED,
            "no_patients": NO_PATIENTS,
            "cannot": CANNOT,
        }.get(self.state, "")


@dataclass
class Benchmark:
    definition: Indicator
    view: str
    entries: list[Entry]
    target: float | None  # the network's pooled value, or None
    network: dict[str, Any] = field(default_factory=dict)  # disclosed network figures
    not_sharing: int = 0
    without_run: int = 0
    sd: float | None = None  # means: the spread of patients' scores within practices

    @property
    def shown(self) -> list[Entry]:
        return [e for e in self.entries if e.state == "shown"]

    def outliers(self) -> list[Entry]:
        """Practices beyond the 99.8% limits, largest denominator first."""
        far = [e for e in self.shown if e.position is not None and e.position.level == 0.998]
        return sorted(far, key=lambda e: (-(e.denominator or 0), e.practice.name))

    def beyond_95(self) -> list[Entry]:
        return [e for e in self.shown if e.position is not None and e.position.level == 0.95]


def benchmark(
    definition: Indicator,
    view: str,
    practices: list,
    runs: dict[int, Any],
    figures: dict[int, tuple[dict, dict]],
    *,
    not_sharing: int = 0,
) -> Benchmark:
    """Each practice with a run on ``definition`` and ``view``, disclosed, against the
    network's pooled value with funnel limits. ``figures`` hold each practice's
    ``practice_figures`` for this indicator; the exact ones never leave this function."""
    spec = VIEWS[view]
    key = (spec["grouping"], spec["group"])
    mean = definition.kind == "mean"
    entries: list[Entry] = []
    exact: dict[int, tuple[int, int]] = {}
    spread: dict[int, tuple[float, int, float | None]] = {}  # means: sum, n, sd
    without_run = 0
    for p in practices:
        run = runs.get(p.pk)
        if run is None:
            without_run += 1
            continue
        shown, raw = figures.get(p.pk, ({}, {}))
        row = shown.get(key)
        if row is None:
            entries.append(Entry(p, run.as_of, "no_patients"))
            continue
        if row["suppressed"]:
            entries.append(Entry(p, run.as_of, "suppressed"))
            _keep_exact(raw[key], p.pk, mean, exact, spread)
            continue
        if _missing(row["value"]):
            entries.append(Entry(p, run.as_of, "cannot", denominator=row["denominator"]))
            continue
        entries.append(
            Entry(
                p,
                run.as_of,
                "shown",
                numerator=row["numerator"],
                denominator=row["denominator"],
                value=row["value"],
                lower=None if _missing(row["lower"]) else row["lower"],
                upper=None if _missing(row["upper"]) else row["upper"],
                compared_with_rest=row.get("compared_with_rest") if view != "overall" else None,
            )
        )
        _keep_exact(raw[key], p.pk, mean, exact, spread)
    if mean:
        return _mean_benchmark(definition, view, entries, spread, not_sharing, without_run)
    target = None
    network: dict[str, Any] = {}
    total_n = sum(n for _, n in exact.values())
    if not mean and total_n > 0:
        total_x = sum(x for x, _ in exact.values())
        target = total_x / total_n
        num = disclosure.suppress_count(total_x)
        den = disclosure.suppress_count(total_n)
        network = {"numerator": num, "denominator": den, "suppressed": num is None or den is None}
        if not network["suppressed"]:
            network["value"] = target
            network["lower"], network["upper"] = wilson_interval(total_x, total_n)
        for e in entries:
            if e.state != "shown":
                continue
            x, n = exact[e.practice.pk]
            (lim,) = proportion_limits(target, [n])
            e.position = classify(x / n, lim, higher_is_better=definition.higher_is_better)
    return Benchmark(
        definition=definition,
        view=view,
        entries=entries,
        target=target if network.get("value") is not None else None,
        network=network,
        not_sharing=not_sharing,
        without_run=without_run,
    )


def practice_figures(definition: Indicator, rows: list[dict[str, Any]]) -> tuple[dict, dict]:
    """One practice's rows of one indicator, by (grouping, group): disclosed, and exact.

    This is the costly part of a benchmark (disclosure control over each practice's table)
    and depends only on one finished run and one indicator, which never change, so callers
    may keep it (``presenters.benchmark_context`` does, by run and indicator)."""
    means = disclosure.DEFAULT_MEAN_INDICATORS | (
        {definition.id} if definition.kind == "mean" else set()
    )
    own = [r for r in rows if r["indicator"] == definition.id]
    shown = {
        (r["grouping"], r["group"]): r
        for r in disclosure.apply_to_indicators(own, mean_indicators=means)
    }
    return shown, {(r["grouping"], r["group"]): r for r in own}


def _keep_exact(raw: dict, pk: int, mean: bool, exact: dict, spread: dict) -> None:
    """A practice's exact figures, kept for the network's value and the funnel limits."""
    n = int(raw["denominator"] or 0)
    if not mean:
        exact[pk] = (int(raw["numerator"]), n)
        return
    if n < 1 or _missing(raw["numerator"]):
        return
    sd = None
    if n >= 2 and not _missing(raw["lower"]) and not _missing(raw["upper"]):
        sd = sd_from_interval(float(raw["lower"]), float(raw["upper"]), n)
    spread[pk] = (float(raw["numerator"]), n, sd)


def _mean_benchmark(definition, view, entries, spread, not_sharing, without_run) -> Benchmark:
    """A mean (a continuity index) against the network: the network's mean of all its
    patients' scores, and funnel limits target +/- z sd / sqrt(n) from the spread of
    patients' scores within practices (pooled from each practice's exact interval)."""
    total_n = sum(n for _, n, _ in spread.values())
    network: dict[str, Any] = {}
    target = sd = None
    pooled = pooled_mean(list(spread.values()))
    if pooled is not None:
        target, sd = pooled.mean, pooled.within_sd
        den = disclosure.suppress_count(total_n)
        network = {"numerator": None, "denominator": den, "suppressed": den is None}
        if pooled.total_sd is not None:
            if not network["suppressed"]:
                half = z_for(0.95) * pooled.total_sd / math.sqrt(total_n)
                network |= {"value": target, "lower": target - half, "upper": target + half}
        elif not network["suppressed"]:
            network |= {"value": target, "lower": None, "upper": None}
    if sd is not None and sd > 0:
        for e in entries:
            if e.state != "shown" or e.practice.pk not in spread:
                continue
            total, n, _ = spread[e.practice.pk]
            (lim,) = mean_limits(target, sd, [n])
            e.position = classify(total / n, lim, higher_is_better=definition.higher_is_better)
    else:
        sd = None
    return Benchmark(
        definition=definition,
        view=view,
        entries=entries,
        target=target if network.get("value") is not None else None,
        network=network,
        not_sharing=not_sharing,
        without_run=without_run,
        sd=sd,
    )
