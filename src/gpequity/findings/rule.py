"""DATA.md "Findings: the largest gaps": which indicator rows are findings, and their order.

Works on the DATA.md ``indicators`` rows (dicts, as ``HNAResult.indicator_rows`` gives them)
and the indicator definitions; nothing here reads an extract or imports Django. The verdict
(lower / higher than the rest) is the row's own ``compared_with_rest``, the one the engine
wrote; the gap's interval is worked out with the same ``gpequity.stats`` functions on the
same counts, so the two always agree.

Readings of the rule, recorded in docs/adr/0016-findings.md:

- ``imd_decile`` rows are left out: that grouping is there for the gradients (DATA.md
  "Windows and groups"), and its deciles repeat the ``imd_quintile`` fifths.
- A row whose grouping is built from a column the indicator itself reads (ethnicity
  recorded, by ethnic group) is left out: its gap is true by definition.
- In a yes/no or in/out grouping the finding is named by the smaller group whichever of the
  two is the worse; the 20-patient floor therefore applies to the smaller group.
- Patients to act on are rounded up to a whole number (a count of people to reach).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from gpequity import stats
from gpequity.findings import labels

if TYPE_CHECKING:
    from gpequity.catalogue import Pack

MIN_GROUP_SIZE = 20
"""DATA.md: groups of fewer than 20 (in the denominator) give no finding."""

SKIPPED_GROUPINGS = frozenset({"overall", "imd_decile"})

GROUPING_SOURCE = {
    "ethnic_group": "ethnicity",
    "imd_quintile": "imd_decile",
    "imd_decile": "imd_decile",
    "age_band": "age",
}
"""The column each grouping is built from: a gap in an indicator that reads that very column
(ethnicity recorded, by ethnic group) is true by definition and not a finding."""

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class RecommendedAction:
    """A toolkit action the framework pack tags with the finding's indicator."""

    key: str
    code: str
    title: str
    tier: str
    tier_name: str


@dataclass(frozen=True)
class Finding:
    """One finding: a group doing worse than the rest on an indicator with a direction.

    ``group`` names the finding (the smaller group of a yes/no or in/out pair); ``value``,
    ``numerator`` and ``denominator`` are that group's, the ``rest_*`` fields everyone else's
    in the indicator's denominator. ``difference`` is group minus rest, with its 95% interval
    (Newcombe for proportions, Welch for means). ``group_is_worse`` is False only when the
    larger group of a pair is the worse one; ``worse_group`` is the group whose row is worse
    (``group`` itself, or the other group of the pair), the one to measure progress on.
    ``patients_to_act_on`` counts the worse side's patients (or appointments, see ``unit``)
    that would have to move for it to match the other side. ``sentence`` says it all in
    plain English.
    """

    indicator: str
    indicator_title: str
    kind: str
    unit: str
    higher_is_better: bool
    grouping: str
    group: str
    grouping_label: str
    group_label: str
    rest_label: str
    comparison: str
    group_is_worse: bool
    worse_group: str
    worse_group_label: str
    value: float
    rest_value: float
    difference: float
    difference_lower: float
    difference_upper: float
    numerator: float
    denominator: int
    rest_numerator: float
    rest_denominator: int
    patients_to_act_on: int
    actions: tuple[RecommendedAction, ...]
    sentence: str

    @property
    def gap(self) -> float:
        """The size of the gap (the difference without its sign)."""
        return abs(self.difference)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): every field, actions as a list of dicts."""
        data = asdict(self)
        data["actions"] = [asdict(a) for a in self.actions]
        return data


@dataclass(frozen=True)
class _Definition:
    id: str
    title: str
    kind: str
    unit: str
    higher_is_better: bool | None
    reads: frozenset[str]


def _definition(d: Any) -> _Definition:
    """An ``Indicator`` (hna.indicators), its data (a dict, as ``RunInfo.indicators`` keeps
    it) or an ``IndicatorInfo`` (hna.results)."""
    if isinstance(d, Mapping):
        from gpequity.hna.indicators import Indicator

        d = Indicator.model_validate(d)
    if hasattr(d, "referenced"):
        reads = frozenset(d.referenced())
    else:
        reads = frozenset(getattr(d, "reads", ()) or ())
    unit = getattr(d, "unit", None) or (
        "appointments" if getattr(d, "level", "patient") == "appointment" else "patients"
    )
    return _Definition(d.id, d.title or d.id, d.kind, unit, d.higher_is_better, reads)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _actions_by_indicator(pack: Pack | str | None) -> dict[str, tuple[RecommendedAction, ...]]:
    from gpequity.catalogue import DEFAULT_PACK, load_pack

    chosen = load_pack(pack or DEFAULT_PACK) if pack is None or isinstance(pack, str) else pack
    tiers = {t.key: (i, t.name) for i, t in enumerate(chosen.tiers)}
    found: dict[str, list[tuple[int, int, RecommendedAction]]] = {}
    for order, a in enumerate(chosen.actions):
        rank, name = tiers.get(a.tier, (len(tiers), a.tier))
        rec = RecommendedAction(a.key, a.code, a.title, a.tier, name)
        for ind in a.indicators:
            found.setdefault(ind, []).append((rank, order, rec))
    return {ind: tuple(r for *_, r in sorted(recs)) for ind, recs in found.items()}


def _sums_sq(n: int, mean: float, lower: float, upper: float) -> float:
    """Sum of squares of a mean's values, from its DATA.md row: the row's interval is
    mean +/- 1.959964 sd / sqrt(n), so sd, and with it the sum of squares, follow."""
    sd = 0.0 if n < 2 or _missing(lower) else (upper - lower) / 2 / _Z95 * math.sqrt(n)
    return sd * sd * (n - 1) + n * mean * mean


def _difference_interval(kind: str, group: Mapping, total: Mapping) -> tuple[float, float]:
    """95% interval of group minus rest, as the engine's comparison works it out."""
    ng, nt = int(group["denominator"]), int(total["denominator"])
    if kind == "mean":
        mg, mt = float(group["value"]), float(total["value"])
        sq_g = _sums_sq(ng, mg, group["lower"], group["upper"])
        sq_t = _sums_sq(nt, mt, total["lower"], total["upper"])
        sum_g, sum_t = float(group["numerator"]), float(total["numerator"])
        return stats.welch_difference_from_sums(
            ng, sum_g, sq_g, nt - ng, sum_t - sum_g, max(sq_t - sq_g, 0.0)
        )
    xg, xt = int(group["numerator"]), int(total["numerator"])
    return stats.newcombe_difference(xg, ng, xt - xg, nt - ng)


def _to_act_on(kind: str, higher_is_better: bool, worse: tuple, other: tuple) -> int:
    """How many of the worse side would have to move for it to match the other side.

    Proportion: ``other_rate * worse_n - worse_x`` more in the numerator (or that many fewer
    when lower is better), worked out exactly and rounded up. Mean: the gap times the
    worse side's size, rounded up.
    """
    (xw, nw), (xo, no) = worse, other
    if kind == "mean":
        gap = abs(float(xo) / no - float(xw) / nw) * nw
        return math.ceil(round(gap, 9))
    matched = Fraction(int(xo) * nw, no)
    needed = matched - int(xw) if higher_is_better else int(xw) - matched
    return max(math.ceil(needed), 0)


def _sentence(
    d: _Definition,
    grouping: str,
    worse_group: str | None,
    better_group: str | None,
    worse_value: float,
    better_value: float,
    gap_interval: tuple[float, float],
    worse_n: int,
    to_act_on: int,
) -> str:
    """The finding in plain English, from the worse side's point of view."""
    where = (
        labels.group_phrase(grouping, worse_group)
        if worse_group is not None
        else "for everyone else"
    )
    against = (
        labels.group_phrase(grouping, better_group)
        if better_group is not None
        else "for everyone else"
    )
    direction = "lower" if d.higher_is_better else "higher"
    gap = abs(worse_value - better_value)
    lo, hi = gap_interval
    text = (
        f"{d.title} is {direction} {where}: {labels.format_value(worse_value, d.kind)} "
        f"against {labels.format_value(better_value, d.kind)} {against}, a gap of "
        f"{labels.format_difference(gap, d.kind)} (95% CI {labels.format_number(lo, d.kind)} "
        f"to {labels.format_number(hi, d.kind)})."
    )
    if d.kind == "mean":
        verb = "raising" if d.higher_is_better else "lowering"
        noun = "patient" if worse_n == 1 else "patients"
        text += (
            f" Closing it means {verb} the average by {labels.format_number(gap, d.kind)} "
            f"across the {worse_n:,} {noun} in this group, about {to_act_on:,} in all."
        )
    else:
        unit = d.unit if to_act_on != 1 else d.unit.rstrip("s")
        if d.higher_is_better:
            text += (
                f" Closing it means about {to_act_on:,} more {unit} in this group "
                "meeting this indicator."
            )
        else:
            text += (
                f" Closing it means about {to_act_on:,} fewer {unit} in this group "
                "counted by this indicator."
            )
    return text


def _candidate(
    d: _Definition,
    row: Mapping,
    rows: Mapping[tuple[str, str, str], Mapping],
    total: Mapping,
    actions: tuple[RecommendedAction, ...],
) -> Finding | None:
    grouping, group = row["grouping"], row["group"]
    other_group = labels.mirror(grouping, group)
    named = row
    if other_group is not None:
        other = rows.get((d.id, grouping, other_group))
        if other is None:
            return None
        # The smaller group names the finding; on a tie, "yes" / "in" (the pair's first).
        pair = sorted(
            (row, other),
            key=lambda r: (r["denominator"], 0 if r["group"] in ("yes", "in") else 1),
        )
        named = pair[0]
    cells = (named["numerator"], named["denominator"], total["numerator"], total["denominator"])
    if named.get("suppressed") or any(_missing(c) for c in cells):
        return None  # withheld by disclosure control
    ng, nt = int(named["denominator"]), int(total["denominator"])
    nr = nt - ng
    if ng < MIN_GROUP_SIZE or nr <= 0:
        return None
    xg, xt = named["numerator"], total["numerator"]
    xr = xt - xg
    value, rest_value = xg / ng, xr / nr
    group_is_worse = named is row
    lo, hi = _difference_interval(d.kind, named, total)
    diff = value - rest_value
    # The sentence speaks of the worse row (``row``) against the other side.
    if group_is_worse:
        worse, better, worse_v, better_v, worse_n = (xg, ng), (xr, nr), value, rest_value, ng
    else:  # the larger group of a pair is the worse one
        worse, better, worse_v, better_v, worse_n = (xr, nr), (xg, ng), rest_value, value, nr
    # The gap (its size) has the interval of group minus rest, turned positive.
    flip = 1.0 if diff >= 0 else -1.0
    gap_interval = (min(flip * lo, flip * hi), max(flip * lo, flip * hi))
    to_act_on = _to_act_on(d.kind, bool(d.higher_is_better), worse, better)
    return Finding(
        indicator=d.id,
        indicator_title=d.title,
        kind=d.kind,
        unit=d.unit,
        higher_is_better=bool(d.higher_is_better),
        grouping=grouping,
        group=named["group"],
        grouping_label=labels.grouping_label(grouping),
        group_label=labels.group_label(grouping, named["group"]),
        rest_label=labels.rest_label(grouping, named["group"]),
        comparison=str(named["compared_with_rest"]),
        group_is_worse=group_is_worse,
        worse_group=group,
        worse_group_label=labels.group_label(grouping, group),
        value=value,
        rest_value=rest_value,
        difference=diff,
        difference_lower=lo,
        difference_upper=hi,
        numerator=xg,
        denominator=ng,
        rest_numerator=xr,
        rest_denominator=nr,
        patients_to_act_on=to_act_on,
        actions=actions,
        sentence=_sentence(
            d, grouping, group, other_group, worse_v, better_v, gap_interval, worse_n, to_act_on
        ),
    )


def find(
    indicator_rows: Iterable[Mapping[str, Any]],
    *,
    definitions: Sequence[Any],
    pack: Pack | str | None = None,
    limit: int | None = None,
) -> list[Finding]:
    """The findings of a run, ranked: most patients to act on first, then the larger gap.

    ``definitions`` are the run's indicator definitions (``HNAResult.definitions``, their
    data as ``RunInfo.indicators`` keeps them, or ``IndicatorInfo`` records); an indicator
    without ``higher_is_better`` gives none.
    ``pack`` is the framework pack (or its id) whose action cross-walk gives each finding's
    recommended actions; the default pack when not given. ``limit`` keeps the first few.
    """
    defs = {d.id: d for d in map(_definition, definitions)}
    rows = [r for r in indicator_rows if r["indicator"] in defs]
    by_key = {(r["indicator"], r["grouping"], r["group"]): r for r in rows}
    totals = {r["indicator"]: r for r in rows if r["grouping"] == "overall"}
    actions = _actions_by_indicator(pack)
    found: list[tuple[int, float, int, Finding]] = []
    seen: set[tuple[str, str, str]] = set()
    for order, row in enumerate(rows):
        d = defs[row["indicator"]]
        grouping = row["grouping"]
        if d.higher_is_better is None or grouping in SKIPPED_GROUPINGS:
            continue
        if GROUPING_SOURCE.get(grouping, grouping) in d.reads or d.id not in totals:
            continue
        if row["compared_with_rest"] != ("lower" if d.higher_is_better else "higher"):
            continue
        finding = _candidate(d, row, by_key, totals[d.id], actions.get(d.id, ()))
        if finding is None:
            continue
        key = (finding.indicator, finding.grouping, finding.group)
        if key in seen:  # the pair's other row (cannot happen when both sides are worse)
            continue
        seen.add(key)
        found.append((-finding.patients_to_act_on, -finding.gap, order, finding))
    found.sort(key=lambda item: item[:3])
    ranked = [f for *_, f in found]
    return ranked if limit is None else ranked[:limit]
