"""The same Ibis code on PySpark gives exactly the DuckDB numbers (a few extracts)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'gpequity[spark]')")

from gpequity.hna.columns import (  # noqa: E402
    APPOINTMENTS_SCHEMA,
    ETHNICITY_CODES,
    LONG_TERM_CONDITIONS,
    PATIENT_DATES,
    PATIENT_FLAGS,
    PATIENTS_SCHEMA,
    SEX,
    SMOKER,
)
from gpequity.hna.criteria import parse_criteria  # noqa: E402
from gpequity.hna.engine import compute_counts, spark_session  # noqa: E402
from gpequity.hna.indicators import default_indicators  # noqa: E402
from gpequity.hna.twin import rows_to_table  # noqa: E402

pytestmark = pytest.mark.spark
AS_OF = date(2024, 2, 29)


@pytest.fixture(scope="module")
def spark():
    session = spark_session()
    yield session
    session.stop()


def _random_extract(seed: int, n: int, with_appointments: bool):
    rng = random.Random(seed)
    day = lambda: AS_OF - timedelta(days=rng.randint(-5, 2200))  # noqa: E731
    patients = []
    for k in range(n):
        row = {
            "patient_id": f"p{k}",
            "age": rng.randint(0, 100),
            "sex": rng.choice(SEX),
            "ethnicity": rng.choice([None, *ETHNICITY_CODES]),
            "imd_decile": rng.choice([None, *range(1, 11)]),
            "language": rng.choice([None, "English"]),
            "smoker": rng.choice(SMOKER),
        }
        row.update({f: rng.random() < 0.2 for f in (*PATIENT_FLAGS, *LONG_TERM_CONDITIONS)})
        row.update({c: rng.choice([None, day()]) for c in PATIENT_DATES})
        patients.append(row)
    appointments = None
    if with_appointments:
        appointments = [
            {
                "patient_id": f"p{rng.randrange(n)}",
                "date": AS_OF - timedelta(days=rng.randint(-3, 400)),
                "status": rng.choice(["attended", "attended", "dna", "cancelled"]),
                "clinician_id": rng.choice([None, "c1", "c2", "c3"]),
                "clinician_role": rng.choice([None, "gp", "gp", "nurse"]),
                "mode": rng.choice([None, "face_to_face", "telephone"]),
                "booked_via": rng.choice([None, "online", "phone"]),
            }
            for _ in range(n * 3)
        ]
    return (
        rows_to_table(patients, PATIENTS_SCHEMA),
        rows_to_table(appointments, APPOINTMENTS_SCHEMA) if appointments else None,
    )


@pytest.mark.parametrize(("seed", "n", "with_appointments"), [(1, 300, True), (2, 40, False)])
def test_spark_and_duckdb_agree_exactly(spark, seed, n, with_appointments):
    patients, appointments = _random_extract(seed, n, with_appointments)
    focus = parse_criteria({"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]})
    kwargs = {"as_of": AS_OF, "indicators": default_indicators(), "focus": focus}
    duck, _ = compute_counts(patients, appointments, engine="duckdb", **kwargs)
    sprk, _ = compute_counts(patients, appointments, engine="spark", spark=spark, **kwargs)
    key = lambda r: (r.indicator, r.grouping, r.group)  # noqa: E731
    duck_by, spark_by = {key(r): r for r in duck}, {key(r): r for r in sprk}
    assert set(duck_by) == set(spark_by)
    for k, d in duck_by.items():
        s = spark_by[k]
        assert (d.denominator, type(d.numerator)) == (s.denominator, type(s.numerator)), k
        assert d.numerator == pytest.approx(s.numerator, rel=1e-12, abs=1e-12), k
