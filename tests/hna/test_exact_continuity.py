"""Continuity sums in whole units of 1e-18: the 64-bit SQL steps against Python's integers."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import duckdb
import pytest

from gpequity.hna.columns import APPOINTMENTS_SCHEMA, PATIENTS_SCHEMA
from gpequity.hna.engine import _BIG, SCALE, _score_sql, _square_sql, compute_counts
from gpequity.hna.indicators import default_indicators
from gpequity.hna.twin import rows_to_table

AS_OF = date(2024, 3, 31)


def gp_visits(
    rng: random.Random, n: int, visits: tuple[int, int], clinician: Callable[[], int]
) -> list[dict[str, Any]]:
    """Attended GP appointments in the year: patients p0..p(n-1), each a random number of
    times in ``visits``, each time with clinician ``c{clinician()}``."""
    return [
        {
            "patient_id": f"p{k}",
            "date": AS_OF - timedelta(days=rng.randint(0, 300)),
            "status": "attended",
            "clinician_id": f"c{clinician()}",
            "clinician_role": "gp",
        }
        for k in range(n)
        for _ in range(rng.randint(*visits))
    ]


def _pairs() -> list[tuple[int, int]]:
    """(numerator, denominator) with 0 <= numerator <= denominator: small, around 1e9 (where
    the long division changes step), around the 64-bit limit and past it (128-bit)."""
    rng = random.Random(7)
    pairs = [(0, 1), (1, 1), (1, 3), (2, 3), (5, 7), (999_999_999, 1_000_000_000)]
    pairs += [(_BIG - 1, _BIG - 1), (_BIG - 2, _BIG - 1), (1, _BIG - 1)]
    pairs += [(_BIG, _BIG), (_BIG - 1, _BIG + 7), (3 * 10**15 + 1, 7 * 10**15 + 3)]
    for top in (10, 10**5, 10**9, _BIG - 1, 10**14):
        for _ in range(300):
            den = rng.randint(1, top)
            pairs.append((rng.randint(0, den), den))
    return pairs


def test_scores_and_squares_are_python_integer_floors():
    pairs = _pairs()
    con = duckdb.connect()
    con.execute("CREATE TABLE c (_gp_max BIGINT, _gp_n BIGINT)")
    con.executemany("INSERT INTO c VALUES (?, ?)", pairs)
    score = _score_sql("c._gp_max", "c._gp_n")
    got = con.execute(
        f"SELECT _gp_max, _gp_n, s, {_square_sql('s')} FROM (SELECT *, {score} AS s FROM c)"
    ).fetchall()
    for num, den, s, sq in got:
        want = num * SCALE // den
        assert (s, sq) == (want, want * want // SCALE), (num, den)
        assert Fraction(num, den) - Fraction(s, SCALE) < Fraction(1, SCALE)


def test_continuity_means_are_the_exact_sums_rounded_once():
    """Thousands of scores like 2/3 and 4/7: the engine's numerator is the exact sum of the
    truncated scores, correctly rounded, and within 1e-18 a patient of the true sum."""
    rng = random.Random(11)
    n = 3000
    patients = [{"patient_id": f"p{k}", "age": 50, "sex": "female"} for k in range(n)]
    appointments = gp_visits(rng, n, (3, 9), lambda: rng.randint(1, rng.randint(1, 5)))
    rows, _ = compute_counts(
        rows_to_table(patients, PATIENTS_SCHEMA),
        rows_to_table(appointments, APPOINTMENTS_SCHEMA),
        as_of=AS_OF,
        indicators=[i for i in default_indicators() if i.id.startswith("continuity")],
    )
    seen: dict[str, dict[str, int]] = {}
    for a in appointments:
        seen.setdefault(a["patient_id"], {}).setdefault(a["clinician_id"], 0)
        seen[a["patient_id"]][a["clinician_id"]] += 1
    exact = {"continuity_upc": [], "continuity_coc": []}
    for counts in seen.values():
        total = sum(counts.values())
        exact["continuity_upc"].append((max(counts.values()), total))
        ss = sum(c * c for c in counts.values())
        exact["continuity_coc"].append((ss - total, total * (total - 1)))
    overall = {r.indicator: r for r in rows if r.grouping == "overall"}
    for indicator, ratios in exact.items():
        row = overall[indicator]
        assert row.denominator == n
        scores = [num * SCALE // den for num, den in ratios]
        assert row.numerator == sum(scores) / SCALE  # one correct rounding
        assert row.sum_sq == sum(s * s // SCALE for s in scores) / SCALE
        true = sum(Fraction(num, den) for num, den in ratios)
        assert abs(Fraction(row.numerator) - true) <= Fraction(n, SCALE) + Fraction(
            row.numerator
        ) * Fraction(1, 2**52)


@pytest.mark.parametrize("seed", [1, 2])
def test_same_sums_whatever_the_appointment_order(seed):
    """Shuffled appointments give identical continuity sums (no floating-point order)."""
    rng = random.Random(seed)
    patients = [{"patient_id": f"p{k}", "age": 70, "sex": "male"} for k in range(500)]
    appointments = gp_visits(rng, 500, (2, 8), lambda: rng.randint(1, 4))
    results = []
    for _ in range(2):
        rng.shuffle(appointments)
        rows, _ = compute_counts(
            rows_to_table(patients, PATIENTS_SCHEMA),
            rows_to_table(appointments, APPOINTMENTS_SCHEMA),
            as_of=AS_OF,
            indicators=default_indicators(),
        )
        results.append(sorted(rows, key=lambda r: (r.indicator, r.grouping, r.group)))
    assert results[0] == results[1]
