"""The HNA engine: indicator definitions compiled to Ibis, run on DuckDB (default) or Spark.

All heavy work stays inside the engine: one group-by over appointments gives every
per-patient appointment measure (and the per-patient counts behind appointment-level
indicators), a two-step group-by gives continuity, a left join puts them beside the patient
rows, and one group-by per grouping sums each indicator's numerator and denominator. Only
those small aggregated tables come back to Python, where ``results`` adds the statistics.
The same expressions run on DuckDB and on PySpark; ``twin`` is the slow reference.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from gpequity.hna.columns import (
    ETHNIC_GROUP,
    INCLUSION_FLAGS,
    LONG_TERM_CONDITIONS,
    NOT_RECORDED,
    TRUE_SPELLINGS,
)
from gpequity.hna.indicators import APPOINTMENT_MEASURES, PATIENT_MEASURES, Indicator
from gpequity.hna.indicators.conditions import (
    All,
    AnyOf,
    AtLeast,
    Blank,
    Compare,
    Const,
    Flag,
    Node,
    Not,
    SinceSeasonStart,
    WithinMonths,
    drop_from_at_least,
)
from gpequity.hna.results import GroupCount
from gpequity.hna.windows import APPOINTMENT_WINDOW_MONTHS, season_start, window_start

Progress = Callable[[str, float], None]
ENGINES = ("duckdb", "spark")


class EngineError(RuntimeError):
    """The engine cannot run (e.g. Spark asked for but not installed)."""


@dataclass
class Plan:
    """What a run will compute: indicators that can run, and notes on the ones that cannot."""

    indicators: list[Indicator]
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def plan_indicators(
    indicators: Sequence[Indicator],
    *,
    patient_columns: Sequence[str],
    appointment_columns: Sequence[str] | None,
) -> Plan:
    """Decide which indicators run; shared with the twin so both skip the same ones.

    Without appointments, indicators that need them are skipped and ``at_least`` items that
    read appointment measures are dropped (DATA.md: complex_needs counts the other criteria).
    """
    plan = Plan(indicators=[])
    has_appts = appointment_columns is not None
    unavailable = set() if has_appts else set(APPOINTMENT_MEASURES)
    known_patient = set(patient_columns) | set(PATIENT_MEASURES) | set(APPOINTMENT_MEASURES)
    for ind in indicators:
        if ind.needs_appointments and not has_appts:
            plan.skipped[ind.id] = "skipped: needs appointments.csv, which the extract lacks"
            continue
        known = set(appointment_columns or ()) if ind.level == "appointment" else known_patient
        missing = sorted(ind.referenced() - known - unavailable)
        if missing:
            plan.skipped[ind.id] = f"skipped: the extract has no column {', '.join(missing)}"
            continue
        if unavailable and ind.referenced() & unavailable:
            ind = ind.model_copy(
                update={
                    "denominator": drop_from_at_least(ind.denominator, unavailable),
                    "numerator": ind.numerator and drop_from_at_least(ind.numerator, unavailable),
                }
            )
            plan.notes.append(
                f"{ind.id}: appointment-based criteria left out (no appointments file)"
            )
        plan.indicators.append(ind)
    return plan


# --------------------------------------------------------------------------- conditions


def _literal_for(column: ir.Column, value: Any) -> Any:
    """Coerce a condition value to the column's type (ISO text for dates, numbers)."""
    ctype = column.type()
    if ctype.is_date() and isinstance(value, str):
        return date.fromisoformat(value)
    if ctype.is_numeric() and isinstance(value, str):
        return float(value)
    return value


def _operand(column: ir.Column, value: Any) -> ir.Value:
    """Text columns compared with numbers are read as numbers (blank if not a number)."""
    ctype = column.type()
    sample = value[0] if isinstance(value, tuple) else value
    if ctype.is_string() and isinstance(sample, int | float) and not isinstance(sample, bool):
        return column.try_cast("float64")
    if ctype.is_string() and isinstance(sample, date):
        return column.try_cast("date")
    return column


def _compare(t: ir.Table, node: Compare) -> ir.BooleanValue:
    col = _operand(t[node.column], node.value)
    if isinstance(node.value, tuple):
        values = [_literal_for(col, v) for v in node.value]
        expr = col.isin(values) if node.op == "in" else col.notin(values) & col.notnull()
        return expr
    value = _literal_for(col, node.value)
    ops = {
        "eq": col.__eq__,
        "ne": col.__ne__,
        "lt": col.__lt__,
        "le": col.__le__,
        "gt": col.__gt__,
        "ge": col.__ge__,
    }
    return ops[node.op](value)


def _flag(t: ir.Table, node: Flag) -> ir.BooleanValue:
    col = t[node.column]
    ctype = col.type()
    if ctype.is_boolean():
        truthy = col
    elif ctype.is_string():
        truthy = col.strip().lower().isin(sorted(TRUE_SPELLINGS))
    else:
        truthy = col != 0
    truthy = truthy.fill_null(False)
    return truthy if node.expected else ~truthy


def _date_column(t: ir.Table, name: str) -> ir.Value:
    col = t[name]
    return col.try_cast("date") if col.type().is_string() else col


def compile_condition(node: Node, t: ir.Table, as_of: date) -> ir.BooleanValue:
    """Compile a condition tree to a never-null Ibis boolean over table ``t``."""
    match node:
        case Const(value):
            return ibis.literal(value)
        case All(items):
            expr: ir.BooleanValue = ibis.literal(True)
            for item in items:
                expr = expr & compile_condition(item, t, as_of)
            return expr
        case AnyOf(items):
            expr = ibis.literal(False)
            for item in items:
                expr = expr | compile_condition(item, t, as_of)
            return expr
        case Not(item):
            return ~compile_condition(item, t, as_of)
        case AtLeast(n, items):
            count: ir.IntegerValue = ibis.literal(0)
            for item in items:
                count = count + compile_condition(item, t, as_of).cast("int32")
            return count >= n
        case Compare():
            return _compare(t, node).fill_null(False)
        case Flag():
            return _flag(t, node)
        case Blank(column, is_blank):
            col = t[column]
            blank = col.isnull()
            if col.type().is_string():
                blank = blank | (col.strip() == "")
            blank = blank.fill_null(True)
            return blank if is_blank else ~blank
        case WithinMonths(column, months):
            col = _date_column(t, column)
            start = window_start(as_of, months)
            return ((col > start) & (col <= as_of)).fill_null(False)
        case SinceSeasonStart(column, month, day):
            col = _date_column(t, column)
            start = season_start(as_of, month, day)
            return ((col >= start) & (col <= as_of)).fill_null(False)
    raise TypeError(f"not a condition node: {node!r}")


# --------------------------------------------------------------------------- measures


def _appointment_measures(
    a: ir.Table, as_of: date, appointment_level: Sequence[tuple[int, Indicator]]
) -> tuple[ir.Table, ir.Table]:
    """Per-patient appointment counts (one group-by) and continuity (two group-bys)."""
    start = window_start(as_of, APPOINTMENT_WINDOW_MONTHS)
    in_window = ((a.date > start) & (a.date <= as_of)).fill_null(False)

    def count(cond: ir.BooleanValue) -> ir.IntegerScalar:
        return cond.fill_null(False).cast("int64").sum()

    metrics: dict[str, Any] = {
        "appointments_in_window": count(in_window),
        "dna_count_in_window": count(in_window & (a.status == "dna")),
        "online_booked_in_window": count(in_window & (a.booked_via == "online")),
    }
    for i, ind in appointment_level:
        den = compile_condition(ind.denominator, a, as_of)
        assert ind.numerator is not None
        num = compile_condition(ind.numerator, a, as_of)
        metrics[f"_ad{i}"] = count(den)
        metrics[f"_an{i}"] = count(den & num)
    counts = a.group_by("patient_id").aggregate(**metrics)

    gp = a.filter(
        in_window
        & (a.status == "attended").fill_null(False)
        & (a.clinician_role == "gp").fill_null(False)
        & a.clinician_id.notnull()
    )
    per_clinician = gp.group_by(["patient_id", "clinician_id"]).aggregate(c=gp.count())
    c = per_clinician.c.cast("int64")
    cont = per_clinician.group_by("patient_id").aggregate(
        _gp_n=c.sum(), _gp_max=c.max(), _gp_ss=(c * c).sum()
    )
    n = cont._gp_n.cast("float64")
    cont = cont.select(
        "patient_id",
        attended_gp_with_clinician_in_window=cont._gp_n,
        continuity_upc=ibis.ifelse(cont._gp_n >= 2, cont._gp_max.cast("float64") / n, None),
        continuity_coc=ibis.ifelse(
            cont._gp_n >= 2, (cont._gp_ss.cast("float64") - n) / (n * (n - 1)), None
        ),
    )
    return counts, cont


def _with_measures(
    p: ir.Table,
    a: ir.Table | None,
    as_of: date,
    appointment_level: Sequence[tuple[int, Indicator]],
) -> ir.Table:
    ltc = ibis.literal(0)
    for name in LONG_TERM_CONDITIONS:
        if name in p.columns:
            ltc = ltc + p[name].fill_null(False).cast("int32")
    p = p.mutate(ltc_count=ltc)
    if a is None:
        return p
    counts, cont = _appointment_measures(a, as_of, appointment_level)
    count_cols = [c for c in counts.columns if c != "patient_id"]
    counts = counts.rename(_pid_counts="patient_id")
    cont = cont.rename(_pid_cont="patient_id")
    joined = p.left_join(counts, p.patient_id == counts._pid_counts)
    joined = joined.left_join(cont, joined.patient_id == cont._pid_cont)
    fills = {c: joined[c].fill_null(0) for c in count_cols}
    fills["attended_gp_with_clinician_in_window"] = joined[
        "attended_gp_with_clinician_in_window"
    ].fill_null(0)
    return joined.drop("_pid_counts", "_pid_cont").mutate(**fills)


# --------------------------------------------------------------------------- groupings


def _group_labels(t: ir.Table, focus: Node | None, as_of: date) -> dict[str, ir.StringValue]:
    d = t.imd_decile
    quintile = ibis.cases(
        (d.isnull(), "unknown"),
        (d <= 2, "Q1"),
        (d <= 4, "Q2"),
        (d <= 6, "Q3"),
        (d <= 8, "Q4"),
        (d <= 10, "Q5"),
        else_="unknown",
    )
    by_group: dict[str, list[str]] = {}
    for code, label in ETHNIC_GROUP.items():
        by_group.setdefault(label, []).append(code)
    ethnic = ibis.cases(
        *[(t.ethnicity.isin(codes), label) for label, codes in by_group.items()],
        else_=NOT_RECORDED,
    )
    age = t.age
    age_band = ibis.cases(
        (age <= 17, "0-17"), (age <= 39, "18-39"), (age <= 64, "40-64"), (age <= 79, "65-79"),
        else_="80+",
    )  # fmt: skip
    labels: dict[str, ir.StringValue] = {
        "overall": ibis.literal("all"),
        "imd_quintile": quintile,
        "imd_decile": d.cast("string").fill_null("unknown"),
        "ethnic_group": ethnic,
        "age_band": age_band,
        "sex": t.sex,
    }
    if focus is not None:
        labels["focus_group"] = ibis.ifelse(compile_condition(focus, t, as_of), "in", "out")
    for flag in (*INCLUSION_FLAGS, "interpreter_needed"):
        labels[flag] = ibis.ifelse(t[flag].fill_null(False), "yes", "no")
    return labels


# --------------------------------------------------------------------------- backends


def spark_session() -> Any:
    """A local Spark session with the ARCHITECTURE.md settings (import is lazy)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EngineError("the spark engine needs PySpark: pip install 'gpequity[spark]'") from exc
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    java = "/usr/lib/jvm/java-17-openjdk-amd64"
    if "JAVA_HOME" not in os.environ and os.path.isdir(java):
        os.environ["JAVA_HOME"] = java
    warehouse = tempfile.mkdtemp(prefix="gpequity-spark-")
    return (
        SparkSession.builder.master("local[2]")
        .appName("gpequity-hna")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def connect(engine: str, spark: Any = None) -> Any:
    """An Ibis backend for ``engine`` ("duckdb" or "spark")."""
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET enable_progress_bar = false")  # keep stdout for our own output
        return con
    if engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError as exc:
            raise EngineError(
                "the spark engine needs PySpark: pip install 'gpequity[spark]'"
            ) from exc
        return ibis.pyspark.connect(spark if spark is not None else spark_session())
    raise EngineError(f"unknown engine '{engine}' (use {' or '.join(ENGINES)})")


def _load(con: Any, name: str, table: pa.Table, engine: str) -> ir.Table:
    if engine == "spark":
        # Spark 4 builds a DataFrame straight from Arrow, keeping nullable ints and dates.
        frame = con._session.createDataFrame(table)
        frame.createOrReplaceTempView(name)
        return con.table(name)
    return con.create_table(name, table, temp=True)


# --------------------------------------------------------------------------- run


def _indicator_columns(t: ir.Table, plan: Plan, as_of: date) -> dict[str, ir.Value]:
    cols: dict[str, ir.Value] = {}
    for i, ind in enumerate(plan.indicators):
        if ind.level == "appointment":
            cols[f"_d{i}"] = t[f"_ad{i}"].cast("int64")
            cols[f"_n{i}"] = t[f"_an{i}"].cast("int64")
            continue
        den = compile_condition(ind.denominator, t, as_of)
        if ind.kind == "mean":
            assert ind.value is not None
            value = t[ind.value].cast("float64")
            den = den & value.notnull()
            v = ibis.ifelse(den, value, 0.0)
            cols[f"_d{i}"] = den.cast("int64")
            cols[f"_n{i}"] = v
            cols[f"_q{i}"] = v * v
        else:
            assert ind.numerator is not None
            num = compile_condition(ind.numerator, t, as_of)
            cols[f"_d{i}"] = den.cast("int64")
            cols[f"_n{i}"] = (den & num).cast("int64")
    return cols


def _rows_from(grouping: str, table: pa.Table, plan: Plan) -> list[GroupCount]:
    rows: list[GroupCount] = []
    for rec in table.to_pylist():
        for i, ind in enumerate(plan.indicators):
            den = int(rec[f"d{i}"] or 0)
            if den == 0:
                continue
            num = rec[f"n{i}"] or 0
            rows.append(
                GroupCount(
                    indicator=ind.id,
                    grouping=grouping,
                    group=str(rec["g"]),
                    numerator=float(num) if ind.kind == "mean" else int(num),
                    denominator=den,
                    sum_sq=float(rec[f"q{i}"] or 0.0) if ind.kind == "mean" else None,
                )
            )
    return rows


def compute_counts(
    patients: pa.Table,
    appointments: pa.Table | None,
    *,
    as_of: date,
    indicators: Sequence[Indicator],
    focus: Node | None = None,
    engine: str = "duckdb",
    spark: Any = None,
    progress: Progress | None = None,
) -> tuple[list[GroupCount], Plan]:
    """Numerators and denominators of every indicator in every group, from the engine."""
    report = progress or (lambda _msg, _frac: None)
    plan = plan_indicators(
        indicators,
        patient_columns=patients.column_names,
        appointment_columns=appointments.column_names if appointments is not None else None,
    )
    report(f"Loading the extract into {engine}", 0.05)
    con = connect(engine, spark)
    p = _load(con, "gpequity_patients", patients, engine)
    a = (
        _load(con, "gpequity_appointments", appointments, engine)
        if appointments is not None
        else None
    )
    appt_level = [(i, ind) for i, ind in enumerate(plan.indicators) if ind.level == "appointment"]
    report("Counting appointments per patient", 0.15)
    t = _with_measures(p, a, as_of, appt_level)
    labels = _group_labels(t, focus, as_of)
    ind_cols = _indicator_columns(t, plan, as_of)
    wide = t.select(**{f"_g_{k}": v for k, v in labels.items()}, **ind_cols)
    wide = wide.cache()
    rows: list[GroupCount] = []
    try:
        for k, grouping in enumerate(labels):
            report(f"Summing indicators by {grouping}", 0.3 + 0.6 * k / len(labels))
            sums = {}
            for name in ind_cols:
                col = wide[name]
                sums[name[1:]] = col.sum().cast("float64" if name[1] in "nq" else "int64")
                if name[1] == "n" and isinstance(col.type(), dt.Integer):
                    sums[name[1:]] = col.sum().cast("int64")
            agg = wide.group_by(g=wide[f"_g_{grouping}"]).aggregate(**sums)
            rows.extend(_rows_from(grouping, agg.to_pyarrow(), plan))
    finally:
        wide.release()
        if engine == "duckdb":
            con.disconnect()
    report("Aggregated", 0.9)
    return rows, plan
