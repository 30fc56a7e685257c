"""The same Ibis code on PySpark gives exactly the DuckDB numbers (a few extracts)."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

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

from .test_exact_continuity import gp_visits  # noqa: E402
from .test_twin_equivalence import INDICATORS, extracts  # noqa: E402

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


def _continuity_extract(seed: int, n: int):
    """Every patient sees GPs 3 to 9 times: thousands of scores like 2/3, 4/7 and 5/9, whose
    floating-point sums depend on the order they are added in."""
    patients, _ = _random_extract(seed, n, False)
    rng = random.Random(seed)
    appointments = gp_visits(rng, n, (3, 9), lambda: rng.randint(1, rng.randint(1, 5)))
    return patients, rows_to_table(appointments, APPOINTMENTS_SCHEMA)


def test_an_appointments_table_with_no_rows_is_still_an_appointments_table(spark):
    """An empty appointments table (a practice's header-only file) is not "no appointments
    file": its indicators are counted (as zero), not skipped, on both engines. Spark used
    to take the empty table for none and fail on the missing appointment measures."""
    patients, _ = _random_extract(4, 30, False)
    empty = rows_to_table([], APPOINTMENTS_SCHEMA)
    kwargs = {"as_of": AS_OF, "indicators": default_indicators()}
    duck, duck_plan = compute_counts(patients, empty, engine="duckdb", **kwargs)
    sprk, spark_plan = compute_counts(patients, empty, engine="spark", spark=spark, **kwargs)
    assert duck_plan.skipped == spark_plan.skipped == {}
    key = lambda r: (r.indicator, r.grouping, r.group)  # noqa: E731
    assert sorted(sprk, key=key) == sorted(duck, key=key)
    overall = {r.indicator: r for r in duck if r.grouping == "overall"}
    assert overall["missingness_high"].numerator == 0  # counted from appointment measures
    assert overall["missingness_high"].denominator == patients.num_rows


@pytest.mark.parametrize(
    ("seed", "n", "with_appointments"), [(1, 300, True), (2, 40, False), (3, 4000, "continuity")]
)
def test_spark_and_duckdb_agree_exactly(spark, seed, n, with_appointments):
    if with_appointments == "continuity":
        patients, appointments = _continuity_extract(seed, n)
    else:
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
        # Identical, not close: counts, and the continuity sums and sums of squares.
        assert d == s, k


def test_spark_scores_and_squares_are_python_integer_floors(spark):
    """Spark's continuity terms (``div`` in 64 bits, 128-bit past ``_BIG``) are the exact
    integer floors DuckDB's are (the DuckDB half is in test_exact_continuity)."""
    import ibis
    import pyarrow as pa

    from gpequity.hna.engine import SCALE, _ibis_ratio_sums, _load_spark, _spark_backend

    from .test_exact_continuity import _pairs

    pairs = _pairs()
    table = pa.table(
        {
            "id": list(range(len(pairs))),
            "_gp_n": [den for _, den in pairs],
            "_gp_max": [num for num, _ in pairs],
            "_gp_ss": [0] * len(pairs),
        }
    )
    t = _load_spark(_spark_backend(spark), "ratio_pairs", table)
    sums = _ibis_ratio_sums(t, "continuity_upc", ibis.literal(True), 0)
    got = t.group_by("id").aggregate(**sums).order_by("id").to_pyarrow().to_pylist()
    for (num, den), row in zip(pairs, got, strict=True):
        want = num * SCALE // den
        assert (int(row["n0_e18"]), int(row["q0_e18"])) == (want, want * want // SCALE), (num, den)


def test_the_jvm_start_notice_is_dropped_and_later_jvm_messages_still_shown():
    """Spark's launcher makes the JVM print "WARNING: Using incubator modules" into the
    progress bar. A fresh process (the session fixture's JVM is already up) starts Spark;
    its stderr must not have that line, but what the JVM and Python write later must."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from gpequity.hna.engine import spark_session\n"
        "s = spark_session()\n"
        "print('python after start', file=sys.stderr, flush=True)\n"
        "s.sparkContext._jvm.System.err.println('jvm after start')\n"
        "s.sparkContext._jvm.System.err.flush()\n"
        "print(s.range(3).count())\n"
        "s.stop()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    assert "incubator" not in done.stderr
    assert "python after start" in done.stderr and "jvm after start" in done.stderr


@pytest.mark.parametrize("with_appointments", [True, False])
def test_cli_writes_the_same_files_with_either_engine(
    spark, synth_extract, tmp_path, with_appointments
):
    """What a user compares: `gpequity hna run` with --engine spark writes byte for byte the
    files the DuckDB engine writes, Focus group and gradients included."""
    import shutil

    from typer.testing import CliRunner

    from gpequity.cli.main import app

    folder = synth_extract(5000, seed=4)
    if not with_appointments:
        (tmp_path / "patients_only").mkdir()
        folder = Path(shutil.copy(folder / "patients.csv", tmp_path / "patients_only")).parent
    focus = '{"any": [{"imd_decile": {"le": 2}}, {"homeless": true}]}'
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / engine
        result = CliRunner().invoke(
            app,
            ["hna", "run", str(folder), "--as-of", "2025-03-31", "--focus", focus]
            + ["--engine", engine, "--out", str(out)],
        )
        assert result.exit_code == 0, result.output
        outputs[engine] = {f.name: f.read_bytes() for f in sorted(out.iterdir())}
    assert sorted(outputs["duckdb"]) == [
        "gradients.csv",
        "gradients.json",
        "indicators.csv",
        "indicators.json",
        "run.json",
    ]
    assert outputs["spark"] == outputs["duckdb"]
    continuity = b"continuity_upc,focus_group,in," in outputs["duckdb"]["indicators.csv"]
    assert continuity == with_appointments


def test_a_failed_spark_job_is_a_plain_engine_error(spark):
    """No Java stack trace reaches the user: the failure's kind, and that nothing was written."""
    from gpequity.hna.engine import EngineError, _spark_cells, plan_indicators

    plan = plan_indicators(
        default_indicators(), patient_columns=PATIENTS_SCHEMA.names, appointment_columns=None
    )
    with pytest.raises(EngineError, match=r"Spark job failed \(PATH_NOT_FOUND\).*Nothing was"):
        _spark_cells(
            Path("/nonexistent/gpequity.parquet"),
            None,
            plan,
            as_of=AS_OF,
            focus=None,
            spark=spark,
        )


@pytest.mark.parametrize(
    ("env", "physical_gb", "want"), [("12g", 64, "12g"), (None, 64, "8g"), (None, 6, "1g")]
)
def test_spark_memory_follows_the_setting_or_the_machine(monkeypatch, env, physical_gb, want):
    import os

    from gpequity.hna import engine

    if env is None:
        monkeypatch.delenv("GPEQUITY_SPARK_MEMORY", raising=False)
    else:
        monkeypatch.setenv("GPEQUITY_SPARK_MEMORY", env)
    pages = physical_gb * 2**30 // 4096
    sysconf = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": pages}
    monkeypatch.setattr(os, "sysconf", sysconf.__getitem__)
    assert engine.spark_memory() == want


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(extract=extracts())
def test_spark_and_duckdb_agree_exactly_on_generated_extracts(spark, extract):
    """The twin tests' Hypothesis extracts (window edges, blanks, empty groups, user-defined
    indicators over an extra column, Focus criteria): the two engines' rows are equal."""
    as_of, patients, appointments, focus_data = extract
    p = rows_to_table(patients, PATIENTS_SCHEMA)
    a = rows_to_table(appointments, APPOINTMENTS_SCHEMA) if appointments is not None else None
    focus = parse_criteria(focus_data) if focus_data is not None else None
    kwargs = {"as_of": as_of, "indicators": INDICATORS, "focus": focus}
    duck, duck_plan = compute_counts(p, a, engine="duckdb", **kwargs)
    sprk, spark_plan = compute_counts(p, a, engine="spark", spark=spark, **kwargs)
    assert duck_plan.skipped == spark_plan.skipped
    order = lambda r: (r.indicator, r.grouping, r.group)  # noqa: E731
    assert sorted(sprk, key=order) == sorted(duck, key=order)


def test_extract_columns_named_like_the_measures_lose_on_both_engines(spark):
    """An extract's own `continuity_upc` or `_gp_n` column gives way to the measure of that
    name on both engines (DuckDB excluded it; Spark's join used to keep it instead)."""
    import pyarrow as pa

    patients, appointments = _continuity_extract(5, 200)
    n = patients.num_rows
    patients = patients.append_column("continuity_upc", pa.array([0.5] * n))
    patients = patients.append_column("_gp_n", pa.array([99] * n))
    kwargs = {"as_of": AS_OF, "indicators": default_indicators()}
    duck, _ = compute_counts(patients, appointments, engine="duckdb", **kwargs)
    sprk, _ = compute_counts(patients, appointments, engine="spark", spark=spark, **kwargs)
    order = lambda r: (r.indicator, r.grouping, r.group)  # noqa: E731
    assert sorted(sprk, key=order) == sorted(duck, key=order)
    overall = {r.indicator: r for r in duck if r.grouping == "overall"}
    assert overall["continuity_upc"].numerator != 0.5 * overall["continuity_upc"].denominator


def test_spark_reports_its_tasks_while_it_counts(spark, monkeypatch):
    """The progress bar moves while Spark counts: its tasks and stages, reported from a
    watcher thread, never backwards, within the counting step's share of the bar."""
    import threading

    from gpequity.hna import engine

    monkeypatch.setattr(engine, "SPARK_WATCH_SECONDS", 0.02)
    patients, appointments = _random_extract(7, 3000, True)
    seen: list[tuple[str, float, str]] = []

    def progress(message: str, fraction: float) -> None:
        seen.append((message, fraction, threading.current_thread().name))

    compute_counts(
        patients,
        appointments,
        as_of=AS_OF,
        indicators=default_indicators(),
        engine="spark",
        spark=spark,
        progress=progress,
    )
    watched = [(m, f) for m, f, thread in seen if thread == "gpequity-spark-progress"]
    assert watched, [m for m, _, _ in seen]
    shape = r"Counting indicators in spark \(stage \d+: \d+/\d+ tasks\)"
    assert all(re.fullmatch(shape, m) for m, _ in watched), watched
    fractions = [f for _, f in watched]
    assert fractions == sorted(fractions) and 0.45 <= fractions[0] and fractions[-1] < 0.85
    # Before the first stage: what Spark is doing in the seconds it shows no tasks.
    messages = [m for m, _, _ in seen]
    assert (
        messages.index("Spark is reading the extract")
        < messages.index("Spark is planning the count")
        < messages.index(watched[0][0])
    )
    # The watcher has stopped before the rest of the run reports.
    assert seen[-1][2] != "gpequity-spark-progress" and seen[-1][0] == "Aggregated"
    assert not any(t.name == "gpequity-spark-progress" for t in threading.enumerate())


def test_spark_runs_where_the_setting_says_else_on_every_local_core(monkeypatch):
    from gpequity.hna.engine import spark_master

    monkeypatch.delenv("GPEQUITY_SPARK_MASTER", raising=False)
    assert spark_master() == "local[*]"
    monkeypatch.setenv("GPEQUITY_SPARK_MASTER", "spark://head:7077")
    assert spark_master() == "spark://head:7077"


def test_a_cluster_needs_a_shared_handover_folder(tmp_path):
    from gpequity.hna.engine import EngineError, handover_folder

    assert handover_folder("local[*]", None) is None  # the system's temporary folder
    assert handover_folder("spark://head:7077", str(tmp_path)) == str(tmp_path)
    with pytest.raises(EngineError, match="set GPEQUITY_SPARK_SCRATCH to a folder every node"):
        handover_folder("spark://head:7077", None)
    with pytest.raises(EngineError, match="not a folder. Nothing was written"):
        handover_folder("local[*]", str(tmp_path / "missing"))


def test_the_extract_is_handed_to_spark_in_the_scratch_folder(
    spark, synth_extract, tmp_path, monkeypatch
):
    """With GPEQUITY_SPARK_SCRATCH set, the checked extract goes there as Parquet while Spark
    reads it, and is gone afterwards; the results are the DuckDB engine's."""
    from gpequity.hna import run

    scratch = tmp_path / "shared"
    scratch.mkdir()
    monkeypatch.setenv("GPEQUITY_SPARK_SCRATCH", str(scratch))
    during: list[list[str]] = []

    def progress(message: str, _fraction: float) -> None:
        if message == "Spark is reading the extract":
            during.extend(sorted(p.name for p in d.iterdir()) for d in scratch.iterdir())

    folder = synth_extract(500)
    on_spark = run(folder, as_of="2025-03-31", engine="spark", spark=spark, progress=progress)
    assert during == [["gpequity_appointments.parquet", "gpequity_patients.parquet"]]
    assert list(scratch.iterdir()) == []
    on_duckdb = run(folder, as_of="2025-03-31")
    assert on_spark.indicator_rows == on_duckdb.indicator_rows


def test_a_system_extract_gives_the_same_files_on_either_engine(spark, tmp_path):
    """DATA.md "System extracts": the practice tables, like the others, are byte for byte the
    same from Spark as from DuckDB (the Python API, on Spark's own session)."""
    from gpequity import hna
    from gpequity.synth import generate

    folder = tmp_path / "system"
    generate(1500, seed=11, as_of=date(2025, 3, 31), out=folder, practices=3)
    written = {}
    for engine in ("duckdb", "spark"):
        result = hna.run(
            folder,
            as_of="2025-03-31",
            focus={"any": [{"imd_decile": {"le": 2}}]},
            engine=engine,
            spark=spark if engine == "spark" else None,
        )
        out = result.write(tmp_path / engine)
        written[engine] = {
            f.name: f.read_bytes() for f in sorted(out.iterdir()) if f.name != "run.json"
        }
    assert "practice_indicators.csv" in written["duckdb"]
    assert written["spark"] == written["duckdb"]
    codes = {
        line.split(b",")[0]
        for line in written["duckdb"]["practice_indicators.csv"].splitlines()[1:]
    }
    assert codes == {b"Y90001", b"Y90002", b"Y90003"}
