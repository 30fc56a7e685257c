"""Combining practices' results into the network's table."""

from __future__ import annotations

import csv
import math
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity import benchmark, hna
from gpequity.benchmark import CombineError
from gpequity.hna.results import GroupCount, IndicatorInfo, gradient_rows, indicator_rows
from gpequity.synth import generate

INFO = [IndicatorInfo("screened", "proportion"), IndicatorInfo("upc", "mean")]
GROUPS = {
    "overall": ["all"],
    "sex": ["female", "male"],
    "imd_decile": [str(d) for d in range(1, 11)],
}


@st.composite
def practice_tables(draw):
    """One practice's indicators rows, made by the real statistics from random counts.

    Cells are sex x IMD decile; every grouping's counts are sums of the cells, as in a run."""
    cells = {}
    for sex in GROUPS["sex"]:
        for decile in GROUPS["imd_decile"]:
            n = draw(st.integers(1, 60))
            total = draw(st.floats(0, n, allow_nan=False))
            cells[sex, decile] = (n, draw(st.integers(0, n)), total)
    members = {
        ("overall", "all"): list(cells),
        **{("sex", s): [k for k in cells if k[0] == s] for s in GROUPS["sex"]},
        **{("imd_decile", d): [k for k in cells if k[1] == d] for d in GROUPS["imd_decile"]},
    }
    counts = []
    for (grouping, group), keys in members.items():
        n = sum(cells[k][0] for k in keys)
        x = sum(cells[k][1] for k in keys)
        total = math.fsum(cells[k][2] for k in keys)
        counts.append(GroupCount("screened", grouping, group, x, n))
        counts.append(GroupCount("upc", grouping, group, total, n, sum_sq=total))
    return indicator_rows(counts, INFO)


def _proportion_rows(rows):
    return [r for r in rows if r["indicator"] != "upc"]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for k in x:
            if isinstance(x[k], float) and math.isnan(x[k]):
                assert math.isnan(y[k]), k
            else:
                assert x[k] == y[k], (k, x, y)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=practice_tables())
def test_combining_one_practice_gives_its_own_table_back(table):
    combined = benchmark.combine([table], info=INFO)
    assert combined.practices == 1
    _same(_proportion_rows(combined.indicator_rows), _proportion_rows(table))
    means = [r for r in combined.indicator_rows if r["indicator"] == "upc"]
    own = [r for r in table if r["indicator"] == "upc"]
    assert [(r["group"], r["numerator"], r["denominator"], r["value"]) for r in means] == [
        (r["group"], r["numerator"], r["denominator"], r["value"]) for r in own
    ]
    # Means: no interval or comparison from rows without sums of squares, and a note says so.
    assert all(math.isnan(r["lower"]) and r["compared_with_rest"] == "not_compared" for r in means)
    assert any(n.startswith("upc: values combined") for n in combined.notes)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=st.lists(practice_tables(), min_size=2, max_size=4), data=st.data())
def test_combining_is_order_independent(tables, data):
    order = data.draw(st.permutations(range(len(tables))))
    a = benchmark.combine(tables, info=INFO)
    b = benchmark.combine([tables[i] for i in order], info=INFO)
    _same(a.indicator_rows, b.indicator_rows)
    _same(a.gradient_rows, b.gradient_rows)
    assert a.notes == b.notes


def test_counts_are_added_and_statistics_worked_out_again():
    one = indicator_rows(
        [
            GroupCount("screened", "overall", "all", 30, 100),
            GroupCount("screened", "sex", "female", 20, 50),
            GroupCount("screened", "sex", "male", 10, 50),
        ],
        INFO,
    )
    two = indicator_rows(
        [
            GroupCount("screened", "overall", "all", 50, 100),
            GroupCount("screened", "sex", "female", 40, 60),
            GroupCount("screened", "sex", "male", 10, 40),
        ],
        INFO,
    )
    combined = benchmark.combine([one, two], info=INFO)
    by_group = {r["group"]: r for r in combined.indicator_rows}
    assert (by_group["all"]["numerator"], by_group["all"]["denominator"]) == (80, 200)
    assert (by_group["female"]["numerator"], by_group["female"]["denominator"]) == (60, 110)
    # The same rows as the statistics make from those sums directly.
    direct = indicator_rows(
        [
            GroupCount("screened", "overall", "all", 80, 200),
            GroupCount("screened", "sex", "female", 60, 110),
            GroupCount("screened", "sex", "male", 20, 90),
        ],
        INFO,
    )
    _same(combined.indicator_rows, direct)
    # 60/110 against 20/90: clearly higher than the rest.
    assert by_group["female"]["compared_with_rest"] == "higher"


def test_practice_rows_are_grouped_by_practice_code():
    rows = indicator_rows([GroupCount("screened", "overall", "all", 3, 10)], INFO)
    practice_rows = [{"practice_code": c, **r} for c in ("A1", "B2") for r in rows]
    combined = benchmark.combine_practice_rows(practice_rows, info=INFO)
    assert combined.practices == 2
    assert combined.indicator_rows[0]["numerator"] == 6
    assert combined.indicator_rows[0]["denominator"] == 20


def test_suppressed_or_unknown_rows_are_refused():
    rows = indicator_rows([GroupCount("screened", "overall", "all", 3, 10)], INFO)
    with pytest.raises(CombineError, match="suppressed"):
        benchmark.combine([[{**rows[0], "suppressed": True}]], info=INFO)
    with pytest.raises(CombineError, match="'other' is not among"):
        benchmark.combine([[{**rows[0], "indicator": "other"}]], info=INFO)


# --------------------------------------------------- against the engine, on real extracts

AS_OF = date(2025, 3, 31)


def _rename(src: Path, dst: Path, prefix: str) -> None:
    """Copy an extract with every patient id prefixed (two synthetic extracts share ids)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("patients.csv", "appointments.csv"):
        with (src / name).open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        col = rows[0].index("patient_id")
        for row in rows[1:]:
            row[col] = prefix + row[col]
        with (dst / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)


def _concatenate(parts: list[Path], dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("patients.csv", "appointments.csv"):
        lines: list[str] = []
        for part in parts:
            text = (part / name).read_text(encoding="utf-8").splitlines()
            lines += text if not lines else text[1:]
        (dst / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.tuples(st.integers(150, 400), st.integers(150, 400)),
    seed=st.integers(1, 10_000),
)
def test_combining_practices_equals_running_over_their_patients_together(sizes, seed):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        parts = []
        for k, n in enumerate(sizes):
            raw = root / f"raw{k}"
            generate(n, seed=seed + k, as_of=AS_OF, out=raw, appointments_per_patient=2.0)
            _rename(raw, root / f"practice{k}", f"X{k}")
            parts.append(root / f"practice{k}")
        _concatenate(parts, root / "together")
        runs = [hna.run(p, as_of=AS_OF) for p in parts]
        together = hna.run(root / "together", as_of=AS_OF)
    info = together.info()
    combined = benchmark.combine([r.indicator_rows for r in runs], info=info)
    means = {i.id for i in info if i.kind == "mean"}

    def proportions(rows):
        return [r for r in rows if r["indicator"] not in means]

    _same(proportions(combined.indicator_rows), proportions(together.indicator_rows))
    _same(
        [g for g in combined.gradient_rows if g["indicator"] not in means],
        [g for g in together.gradient_rows if g["indicator"] not in means],
    )
    # Means: the same value from the same sums (up to the last bits of the addition).
    got = {(r["indicator"], r["grouping"], r["group"]): r for r in combined.indicator_rows}
    for r in together.indicator_rows:
        if r["indicator"] in means:
            mine = got[(r["indicator"], r["grouping"], r["group"])]
            assert mine["denominator"] == r["denominator"]
            assert mine["value"] == pytest.approx(r["value"], rel=1e-12)


def test_gradients_of_combined_counts_come_from_the_same_fit():
    counts = [GroupCount("screened", "imd_decile", str(d), 10 + 3 * d, 100) for d in range(1, 11)]
    counts.append(GroupCount("screened", "overall", "all", sum(c.numerator for c in counts), 1000))
    rows = indicator_rows(counts, INFO)
    combined = benchmark.combine([rows], info=INFO)
    expected, _ = gradient_rows(counts, INFO)
    _same(combined.gradient_rows, expected)
    assert combined.gradient_rows[0]["sii"] > 0
