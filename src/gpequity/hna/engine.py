"""The HNA engine: indicator definitions run on DuckDB (default) or Spark.

The work is one pass over the data. Per patient: the appointment measures (one group-by
over appointments, two more for continuity), every indicator's denominator and numerator
flag, and the patient's label in every grouping. Those rows are summed in the engine by the
combination of all the labels at once ("cells": a few hundred to a few tens of thousands of
rows whatever the practice size), and only the cells come back to Python, where
``rollup`` adds them up per grouping. So there is one aggregation query, not one per
grouping, and nothing patient-level leaves the engine.

DuckDB gets SQL written directly from the condition trees (``indicators.sql``): building and
compiling Ibis expressions cost about a second a run, more than a whole small practice takes
to count. Spark gets the same query built with Ibis (``compile_condition``), since Ibis is
how the project speaks to Spark. Both feed the same ``rollup``; tests hold the two engines
and the plain-Python ``twin`` to the same numbers. Focus Patient criteria are evaluated by
the shared core evaluator (``gpequity.hna.criteria.to_ibis``), the one the web app uses too.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import itertools
import math
import operator
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from gpequity.hna.columns import (
    AGE_BANDS,
    ETHNIC_GROUP,
    INCLUSION_FLAGS,
    LONG_TERM_CONDITIONS,
    NOT_RECORDED,
    TRUE_SPELLINGS,
)
from gpequity.hna.criteria import Group
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
from gpequity.hna.indicators.sql import Kind, compile_sql, ident, kinds_of, literal, truthy
from gpequity.hna.results import GroupCount
from gpequity.hna.windows import APPOINTMENT_WINDOW_MONTHS, season_start, window_start

if TYPE_CHECKING:  # Ibis is imported only for Spark and for Focus criteria.
    import ibis.expr.types as ir

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
            hints = [
                f"{name!r}: did you mean {close[0]!r}?"
                for name in missing
                if (close := difflib.get_close_matches(name, sorted(known), n=1))
            ]
            hint = f" ({'; '.join(hints)})" if hints else ""
            plan.skipped[ind.id] = f"skipped: the extract has no column {', '.join(missing)}{hint}"
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
    """Compile a condition tree to a never-null Ibis boolean over table ``t`` (Spark path)."""
    import ibis

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
    import ibis

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
    scores = {}
    for measure in _RATIO_SQL:
        num, by = _ratio_ibis(cont, measure)
        scores[measure] = ibis.ifelse(
            cont._gp_n >= 2, num.cast("float64") / by.cast("float64"), None
        )
    cont = cont.select(
        "patient_id", *_RATIO_PARTS, attended_gp_with_clinician_in_window=cont._gp_n, **scores
    )
    return counts, cont


def _ratio_ibis(t: ir.Table, measure: str) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """A continuity score's numerator and denominator, as ``_RATIO_SQL`` has them."""
    n, mx, ss = (t[part].cast("int64") for part in _RATIO_PARTS)
    return {"continuity_upc": (mx, n), "continuity_coc": (ss - n, n * (n - 1))}[measure]


def _with_measures(
    p: ir.Table,
    a: ir.Table | None,
    as_of: date,
    appointment_level: Sequence[tuple[int, Indicator]],
) -> ir.Table:
    import ibis

    # The measures win over same-named columns of the extract, as in ``_patients_sql``.
    clash = [c for c in p.columns if c in _MEASURE_KINDS or c in _RATIO_PARTS]
    if clash:
        p = p.drop(*clash)
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

FLAG_GROUPINGS = (*INCLUSION_FLAGS, "interpreter_needed")
_FOCUS_COLUMN = "_gpequity_focus"


def grouping_names(with_focus: bool) -> list[str]:
    """The DATA.md groupings a run reports, besides ``overall``."""
    names = ["imd_quintile", "imd_decile", "ethnic_group", "age_band", "sex"]
    if with_focus:
        names.append("focus_group")
    return [*names, *FLAG_GROUPINGS]


# Cells are keyed by raw, cheap values (the decile, the ethnicity code, an age-band index,
# sex, true/false); ``rollup`` turns them into the DATA.md labels. Making strings for every
# patient row cost more than the whole aggregation. Keys: grouping -> cells column.
CELL_KEYS = {
    "imd_quintile": "k_imd_decile",
    "imd_decile": "k_imd_decile",
    "ethnic_group": "k_ethnicity",
    "age_band": "k_age_band",
    "sex": "k_sex",
    "focus_group": "k_focus",
    **{flag: f"k_{flag}" for flag in FLAG_GROUPINGS},
}
AGE_BAND_UPPER = (17, 39, 64, 79)  # band i holds ages up to AGE_BAND_UPPER[i]; the rest 80+
PRACTICE_COLUMN = "practice_code"
"""DATA.md "System extracts": the patient's registered practice, in PCN and ICB extracts."""
PRACTICE_KEY = "k_practice_code"
PRACTICE_SET = "_gpequity_set"
"""The system cells query's marker: 0 on a practice's cells, 1 on the whole extract's."""


def _group_keys(
    t: ir.Table, focus: ir.BooleanValue | None, practice: bool = False
) -> dict[str, ir.Value]:
    """Ibis cell keys (Spark path; mirrors ``_key_sql``)."""
    import ibis

    age = t.age
    band = ibis.cases(*[(age <= top, i) for i, top in enumerate(AGE_BAND_UPPER)], else_=4)
    keys: dict[str, ir.Value] = {
        "k_imd_decile": t.imd_decile,
        "k_ethnicity": t.ethnicity,
        "k_age_band": band,
        "k_sex": t.sex,
    }
    if focus is not None:
        keys["k_focus"] = focus
    for flag in FLAG_GROUPINGS:
        keys[f"k_{flag}"] = t[flag].fill_null(False)
    if practice:
        keys[PRACTICE_KEY] = t[PRACTICE_COLUMN]
    return keys


def _key_sql(kinds: Mapping[str, Kind], with_focus: bool, practice: bool = False) -> dict[str, str]:
    """SQL cell keys (DuckDB path; mirrors ``_group_keys``)."""
    age = ident("age")
    bands = " ".join(f"WHEN {age} <= {top} THEN {i}" for i, top in enumerate(AGE_BAND_UPPER))
    keys = {
        "k_imd_decile": ident("imd_decile"),
        "k_ethnicity": ident("ethnicity"),
        "k_age_band": f"CASE {bands} ELSE 4 END",
        "k_sex": ident("sex"),
    }
    if with_focus:
        keys["k_focus"] = ident(_FOCUS_COLUMN)
    for flag in FLAG_GROUPINGS:
        keys[f"k_{flag}"] = truthy(flag, kinds[flag])
    if practice:
        keys[PRACTICE_KEY] = ident(PRACTICE_COLUMN)
    return keys


def _quintile(decile: Any) -> str:
    """DATA.md quintile of a decile: Q1 = deciles 1-2 ... Q5 = 9-10; blank is unknown."""
    if decile is None:
        return "unknown"
    for i, top in enumerate((2, 4, 6, 8, 10)):
        if decile <= top:
            return f"Q{i + 1}"
    return "unknown"


_YES_NO = {True: "yes", False: "no"}
LABELS: dict[str, Callable[[Any], str]] = {
    "imd_quintile": _quintile,
    "imd_decile": lambda d: "unknown" if d is None else str(d),
    "ethnic_group": lambda code: ETHNIC_GROUP.get(code, NOT_RECORDED),
    "age_band": lambda i: AGE_BANDS[i],
    "sex": str,
    "focus_group": lambda inside: "in" if inside else "out",
}


# --------------------------------------------------------------------------- focus


def focus_criteria(
    focus: Group | Mapping[str, Any] | str | None, patient_columns: Sequence[str]
) -> Group | None:
    """Focus Patient criteria parsed and type-checked by the shared core evaluator.

    Columns outside the contract (kept from the extract) may be used; they are text.
    """
    if focus is None or isinstance(focus, Group):
        return focus
    from gpequity.hna.criteria import column_types, parse_criteria

    known = column_types()
    extras = [c for c in patient_columns if c not in known and c != "patient_id"]
    return parse_criteria(focus, extra_columns=extras)


def _focus_relation_sql(focus: Group, patients: pa.Schema, name: str) -> str:
    """The patients relation with a focus column, compiled from ``criteria.to_ibis``.

    Using the shared evaluator (not a copy) keeps the HNA and the web Focus page in step;
    Ibis only compiles this one small expression, against an unbound table of the schema.
    """
    import ibis

    from gpequity.hna.criteria import to_ibis

    table = ibis.table(ibis.Schema.from_pyarrow(patients), name=name)
    expr = table.mutate(**{_FOCUS_COLUMN: to_ibis(focus, table)})
    return str(ibis.to_sql(expr, dialect="duckdb"))


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
    master = spark_master()
    builder = SparkSession.builder.master(master)
    if master.startswith("local"):  # a cluster keeps its own (adaptive) partitioning
        partitions = max(4, 2 * (os.cpu_count() or 2))
        builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
    builder = (
        builder.appName("gpequity-hna")
        .config("spark.driver.memory", spark_memory())
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_SPARK_LOG}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # the CLI shows its own progress
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
    )
    with _jvm_notice_dropped():
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# Spark 4's launcher starts the JVM with an incubator module (``--add-modules
# jdk.incubator.vector``, hard-coded), and the JVM announces that on stderr, into the middle
# of the command line's progress bar. No setting turns it off.
_JVM_NOTICE = re.compile(rb"WARNING: Using incubator modules: [^\n]*\n?")


@contextlib.contextmanager
def _jvm_notice_dropped() -> Iterator[None]:
    """While the JVM starts, stderr (file descriptor 2, which the JVM inherits) goes through
    a pipe that passes everything on except that one notice. The JVM keeps the pipe for its
    life, so its later messages (Spark errors) still reach stderr; this process gets its own
    stderr back as soon as the JVM is up."""
    try:
        original = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        yield
        return
    source, sink = os.pipe()
    sys.stderr.flush()
    os.dup2(sink, 2)
    os.close(sink)
    threading.Thread(target=_relay, args=(source, original), daemon=True).start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)


def _relay(source: int, target: int) -> None:
    with contextlib.suppress(OSError):
        while chunk := os.read(source, 1 << 16):
            rest = memoryview(_JVM_NOTICE.sub(b"", chunk))
            while rest:
                rest = rest[os.write(target, rest) :]
    os.close(source)
    os.close(target)


_SPARK_LOG = Path(__file__).with_name("spark-log4j2.properties").as_uri()


def spark_master() -> str:
    """Where Spark runs: ``GPEQUITY_SPARK_MASTER`` (e.g. ``spark://host:7077`` or ``yarn``),
    else every core of this machine (``local[*]``)."""
    return os.environ.get("GPEQUITY_SPARK_MASTER") or "local[*]"


def handover_folder(master: str, scratch: str | None) -> str | None:
    """Where DuckDB writes the checked extract for Spark: ``GPEQUITY_SPARK_SCRATCH`` when
    set, else the system's temporary folder, which only a local Spark can read. A cluster
    needs a folder that every node reads at the same path (a shared mount)."""
    if scratch:
        if not Path(scratch).is_dir():
            raise EngineError(
                f"GPEQUITY_SPARK_SCRATCH is {scratch!r}, which is not a folder. "
                "Nothing was written."
            )
        return scratch
    if not master.startswith("local"):
        raise EngineError(
            f"Spark runs on a cluster ({master}): set GPEQUITY_SPARK_SCRATCH to a folder every "
            "node reads at the same path; the checked extract is handed over there. "
            "Nothing was written."
        )
    return None


def spark_memory() -> str:
    """The local Spark JVM's heap: ``GPEQUITY_SPARK_MEMORY`` (e.g. ``8g``), else a quarter
    of the machine's memory between 1 and 8 GB (Spark's own default, 1 GB, runs out at
    an ICB's 2M patients)."""
    if chosen := os.environ.get("GPEQUITY_SPARK_MEMORY"):
        return chosen
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not on Linux
        return "2g"
    return f"{min(8, max(1, total // 4 // 2**30))}g"


def _spark_backend(spark: Any) -> Any:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise EngineError("the spark engine needs PySpark: pip install 'gpequity[spark]'") from exc
    import ibis

    return ibis.pyspark.connect(spark if spark is not None else spark_session())


# --------------------------------------------------------------------------- DuckDB (SQL)

_MEASURE_KINDS: dict[str, Kind] = {
    "ltc_count": "int",
    "appointments_in_window": "int",
    "dna_count_in_window": "int",
    "online_booked_in_window": "int",
    "attended_gp_with_clinician_in_window": "int",
    "continuity_upc": "float",
    "continuity_coc": "float",
}


_APPT_MEASURES_TABLE = "gpequity_appointment_measures"

# Whole numbers with a known, small range (counts, age, deciles) are summed per cell as exact
# decimals: DuckDB adds a cell's values in whatever order its threads meet them, and in
# floating point that moved the last digit between runs of one extract. With 18 decimal
# places in 38 digits, the sum of squares over 2M patients holds values up to about 7 million.
# A user's own column has no known range, so its sums stay in floating point.
_EXACT = "DECIMAL(38, 18)"

# The continuity scores are, per patient, a ratio of whole numbers (numerator, denominator
# below, over the measures' per-patient counts). Their sums are taken in whole units of 1e-18
# in both engines: each patient's score as floor(numerator * 1e18 / denominator), its square
# as floor(score^2 / 1e18), summed exactly and handed over as text. So DuckDB and Spark give
# the same cells to the last bit, which floating-point sums (each engine adding in its own
# order) could not. The scores lie in 0..1, so each term is at most 1e18 and fits 64 bits;
# the division is done in two long-division steps of 1e9 so that every intermediate fits
# too while the denominator is below _BIG. Above it (a patient with about 95,000 GP
# appointments, which only a broken extract has) 128-bit arithmetic takes over. ADR 12.
SCALE = 10**18
_HALF = 10**9  # SCALE = _HALF * _HALF
_BIG = 9 * 10**9  # largest denominator (and numerator) the 64-bit steps take
_RATIO_SQL = {
    "continuity_upc": ("c._gp_max", "c._gp_n"),
    "continuity_coc": ("(c._gp_ss - c._gp_n)", "(c._gp_n * (c._gp_n - 1))"),
}
_RATIO_PARTS = ("_gp_n", "_gp_max", "_gp_ss")
_EXACT_SUM_VALUES = frozenset({"age", "imd_decile", *_MEASURE_KINDS}) - _RATIO_SQL.keys()


def _score_sql(num: str, den: str) -> str:
    """floor(num * 1e18 / den) for 0 <= num <= den, exactly, in SQL (DuckDB)."""
    head = f"({num} * {_HALF})"
    fast = f"(({head} // {den}) * {_HALF} + (({head} % {den}) * {_HALF}) // {den})"
    wide = f"CAST((CAST({num} AS HUGEINT) * {SCALE}) // CAST({den} AS HUGEINT) AS BIGINT)"
    return f"(CASE WHEN {den} < {_BIG} THEN {fast} ELSE {wide} END)"


def _square_sql(score: str) -> str:
    """floor(score^2 / 1e18) in 64 bits: score = hi * 1e9 + lo."""
    hi, lo = f"({score} // {_HALF})", f"({score} % {_HALF})"
    return f"({hi} * {hi} + (2 * {hi} * {lo} + ({lo} * {lo}) // {_HALF}) // {_HALF})"


EXACT_SUFFIX = "_e18"  # a cell column holding a sum in whole units of 1e-18, as text


def appointment_measures_sql(
    appointments: pa.Schema, as_of: date, appointment_level: Sequence[tuple[int, Indicator]]
) -> str:
    """Per-patient appointment counts and continuity sums, as one table-building statement.

    Built before the cells query rather than inside it: DuckDB runs the two steps in well
    under half the time of one combined query (measured at 2M patients).
    """
    kinds = kinds_of(appointments)
    start, end = literal(window_start(as_of, APPOINTMENT_WINDOW_MONTHS)), literal(as_of)
    win = f'COALESCE("date" > {start} AND "date" <= {end}, FALSE)'
    metrics = [
        f"count_if({win}) AS appointments_in_window",
        f"count_if({win} AND \"status\" = 'dna') AS dna_count_in_window",
        f"count_if({win} AND \"booked_via\" = 'online') AS online_booked_in_window",
    ]
    for i, ind in appointment_level:
        assert ind.numerator is not None
        den = compile_sql(ind.denominator, kinds, as_of)
        num = compile_sql(ind.numerator, kinds, as_of)
        metrics += [f"count_if({den}) AS _ad{i}", f"count_if({den} AND {num}) AS _an{i}"]
    gp = (
        f"{win} AND COALESCE(\"status\" = 'attended', FALSE) "
        'AND COALESCE("clinician_role" = \'gp\', FALSE) AND "clinician_id" IS NOT NULL'
    )
    return f"""
CREATE OR REPLACE TEMP TABLE {_APPT_MEASURES_TABLE} AS
WITH _acounts AS (
  SELECT "patient_id", {", ".join(metrics)}
  FROM gpequity_appointments GROUP BY "patient_id"
),
_aclin AS (
  SELECT "patient_id", "clinician_id", count(*) AS c
  FROM gpequity_appointments WHERE {gp} GROUP BY "patient_id", "clinician_id"
),
_acont AS (
  SELECT "patient_id", CAST(sum(c) AS BIGINT) AS n, max(c) AS mx,
    CAST(sum(c * c) AS BIGINT) AS ss
  FROM _aclin GROUP BY "patient_id"
)
SELECT c.*, k.n AS _gp_n, k.mx AS _gp_max, k.ss AS _gp_ss
FROM _acounts AS c LEFT JOIN _acont AS k ON c."patient_id" = k."patient_id"
"""


def _patients_sql(
    patients: pa.Schema, appointments: pa.Schema | None, relation: str, measures: Sequence[str]
) -> str:
    """Patient rows beside their derived measures (measures win over same-named columns)."""
    clash = [
        c
        for c in patients.names
        if c in _MEASURE_KINDS or c in _RATIO_PARTS or c.endswith(EXACT_SUFFIX)
    ]
    star = f"p.* EXCLUDE ({', '.join(ident(c) for c in clash)})" if clash else "p.*"
    ltc = " + ".join(
        f"CAST(COALESCE({ident(c)}, FALSE) AS INTEGER)"
        for c in LONG_TERM_CONDITIONS
        if c in patients.names
    )
    cols = [star, f"({ltc or '0'}) AS ltc_count"]
    if appointments is None:
        return f"SELECT {', '.join(cols)} FROM {relation} AS p"
    cols += [f"COALESCE(c.{ident(m)}, 0) AS {ident(m)}" for m in measures]
    cols += [
        "COALESCE(c._gp_n, 0) AS attended_gp_with_clinician_in_window",
        *(
            f"CASE WHEN c._gp_n >= 2 THEN {_score_sql(num, by)} END AS {m}{EXACT_SUFFIX}"
            for m, (num, by) in _RATIO_SQL.items()
        ),
        *(
            f"CASE WHEN c._gp_n >= 2 THEN CAST({num} AS DOUBLE) / CAST({by} AS DOUBLE) END AS {m}"
            for m, (num, by) in _RATIO_SQL.items()
        ),
    ]
    return (
        f"SELECT {', '.join(cols)} FROM {relation} AS p "
        f'LEFT JOIN {_APPT_MEASURES_TABLE} AS c ON p."patient_id" = c."patient_id"'
    )


def _metric_sql(plan: Plan, kinds: Mapping[str, Kind], as_of: date) -> list[str]:
    """Each indicator's cell sums: d{i} (denominator), n{i} (numerator), q{i} (squares)."""
    out: list[str] = []
    for i, ind in enumerate(plan.indicators):
        if ind.level == "appointment":
            out += [f"CAST(sum(_ad{i}) AS BIGINT) AS d{i}", f"CAST(sum(_an{i}) AS BIGINT) AS n{i}"]
            continue
        den = compile_sql(ind.denominator, kinds, as_of)
        if ind.kind == "mean":
            assert ind.value is not None
            value = f"TRY_CAST({ident(ind.value)} AS DOUBLE)"  # not a number: blank
            den = f"({den} AND {value} IS NOT NULL)"
            out.append(f"count_if({den}) AS d{i}")
            if ind.value in _RATIO_SQL:
                score = f"{ind.value}{EXACT_SUFFIX}"
                for name, term in ((f"n{i}", score), (f"q{i}", _square_sql(score))):
                    total = f"sum(CASE WHEN {den} THEN {term} ELSE 0 END)"  # 128-bit sum
                    out.append(f"CAST({total} AS VARCHAR) AS {name}{EXACT_SUFFIX}")
                continue
            for name, term in ((f"n{i}", value), (f"q{i}", f"{value} * {value}")):
                if ind.value in _EXACT_SUM_VALUES:
                    term, zero = f"CAST({term} AS {_EXACT})", f"CAST(0 AS {_EXACT})"
                    total = f"sum(CASE WHEN {den} THEN {term} ELSE {zero} END)"
                    out.append(f"CAST({total} AS DOUBLE) AS {name}")
                else:
                    out.append(f"sum(CASE WHEN {den} THEN {term} ELSE 0.0 END) AS {name}")
        else:
            assert ind.numerator is not None
            num = compile_sql(ind.numerator, kinds, as_of)
            out += [f"count_if({den}) AS d{i}", f"count_if({den} AND {num}) AS n{i}"]
    return out


def cells_sql(
    patients: pa.Schema,
    appointments: pa.Schema | None,
    plan: Plan,
    *,
    as_of: date,
    focus: Group | None,
    practice: bool = False,
) -> str:
    """The cells query: indicator sums per combination of every grouping's key.

    With ``practice`` it counts both sets of cells in one pass over the patients (ADR 28):
    ``GROUPING SETS`` of the keys with the practice and of the keys alone, each cell marked
    in ``PRACTICE_SET`` (0: a practice's cell, 1: the whole extract's). Each set's sums are
    made as in a query of that set alone (the counts, decimals and 1e-18 units' integers
    exactly), so the whole extract's cells are those of the query without ``practice``.

    With appointments it reads the table ``appointment_measures_sql`` builds first.
    """
    appt_level = [(i, ind) for i, ind in enumerate(plan.indicators) if ind.level == "appointment"]
    relation = "gpequity_patients"
    if focus is not None:
        relation = f"({_focus_relation_sql(focus, patients, relation)})"
    measures = ["appointments_in_window", "dna_count_in_window", "online_booked_in_window"]
    measures += [f"_a{x}{i}" for i, _ in appt_level for x in "dn"]
    patients_sql = _patients_sql(patients, appointments, relation, measures)
    kinds: dict[str, Kind] = {**kinds_of(patients), **_MEASURE_KINDS}
    key_sql = _key_sql(kinds, focus is not None, practice)
    keys = [f"{expr} AS {ident(name)}" for name, expr in key_sql.items()]
    metrics = _metric_sql(plan, kinds, as_of)
    if not practice:
        select = ",\n  ".join([*keys, *metrics])
        return f"WITH _t AS ({patients_sql})\nSELECT\n  {select}\nFROM _t GROUP BY ALL"
    by_practice = list(key_sql.values())
    whole = [expr for name, expr in key_sql.items() if name != PRACTICE_KEY]
    marker = f"CAST(GROUPING({key_sql[PRACTICE_KEY]}) AS INTEGER) AS {ident(PRACTICE_SET)}"
    select = ",\n  ".join([*keys, marker, *metrics])
    sets = f"({', '.join(by_practice)}),\n  ({', '.join(whole)})"
    return (
        f"WITH _t AS ({patients_sql})\nSELECT\n  {select}\n"
        f"FROM _t GROUP BY GROUPING SETS (\n  {sets}\n)"
    )


@dataclass(frozen=True)
class DuckDBSource:
    """Tables already in a DuckDB connection, as the views ``gpequity_patients`` and (when
    there are appointments) ``gpequity_appointments``: what ``extract.Extract`` holds."""

    con: Any
    patients: pa.Schema
    appointments: pa.Schema | None


def _duckdb_cells(
    source: DuckDBSource, plan: Plan, *, as_of: date, focus: Group | None, practice: bool = False
) -> tuple[Cells, Cells | None]:
    """The whole extract's cells, and with ``practice`` also the cells per practice (both
    counted in one pass, ``cells_sql``; the whole extract's are exactly those without)."""
    con = source.con
    con.execute("SET enable_progress_bar = false")  # keep stdout for our own output
    con.execute("SET preserve_insertion_order = false")  # cells come in any order
    if source.appointments is not None:
        appt_level = [
            (i, ind) for i, ind in enumerate(plan.indicators) if ind.level == "appointment"
        ]
        con.execute(appointment_measures_sql(source.appointments, as_of, appt_level))
    query = cells_sql(
        source.patients, source.appointments, plan, as_of=as_of, focus=focus, practice=practice
    )
    try:
        columns = con.execute(query).fetchnumpy()
        if not practice:
            return Cells.from_numpy(columns), None
        import numpy as np

        marker = np.ma.filled(np.ma.asarray(columns.pop(PRACTICE_SET)), 0)
        whole = {c: v[marker == 1] for c, v in columns.items() if c != PRACTICE_KEY}
        per = {c: v[marker == 0] for c, v in columns.items()}
        return Cells.from_numpy(whole), Cells.from_numpy(per, settle=False)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_APPT_MEASURES_TABLE}")


def _arrow_source(patients: pa.Table, appointments: pa.Table | None) -> DuckDBSource:
    """Arrow tables registered (not copied) in a fresh in-memory DuckDB connection."""
    import duckdb

    con = duckdb.connect()
    con.register("gpequity_patients", patients)
    if appointments is not None:
        con.register("gpequity_appointments", appointments)
    return DuckDBSource(
        con, patients.schema, appointments.schema if appointments is not None else None
    )


# --------------------------------------------------------------------------- Spark (Ibis)


def _ibis_metrics(t: ir.Table, plan: Plan, as_of: date) -> dict[str, ir.Scalar]:
    """The same cell sums as ``_metric_sql``, as Ibis aggregates."""
    import ibis
    import ibis.expr.types as ir

    def count(cond: ir.BooleanValue) -> ir.IntegerScalar:
        if isinstance(cond, ir.Scalar):  # a constant condition (denominator: true)
            return ibis.ifelse(cond, t.count(), 0).cast("int64")
        return cond.cast("int64").sum().cast("int64")

    out: dict[str, ir.Scalar] = {}
    for i, ind in enumerate(plan.indicators):
        if ind.level == "appointment":
            out[f"d{i}"] = t[f"_ad{i}"].cast("int64").sum().cast("int64")
            out[f"n{i}"] = t[f"_an{i}"].cast("int64").sum().cast("int64")
            continue
        den = compile_condition(ind.denominator, t, as_of)
        if ind.kind == "mean":
            assert ind.value is not None
            value = t[ind.value].try_cast("float64")  # not a number: blank
            den = den & value.notnull()
            out[f"d{i}"] = count(den)
            if ind.value in _RATIO_SQL:
                out.update(_ibis_ratio_sums(t, ind.value, den, i))
                continue
            v = ibis.ifelse(den, value, 0.0)
            out[f"n{i}"] = v.sum().cast("float64")
            out[f"q{i}"] = (v * v).sum().cast("float64")
        else:
            assert ind.numerator is not None
            out[f"d{i}"] = count(den)
            out[f"n{i}"] = count(den & compile_condition(ind.numerator, t, as_of))
    return out


def _ibis_ratio_sums(
    t: ir.Table, measure: str, den: ir.BooleanValue, i: int
) -> dict[str, ir.Scalar]:
    """A continuity score's cell sums in whole units of 1e-18: ``_score_sql`` and
    ``_square_sql`` in Ibis, for Spark.

    Spark's ``div`` is exact integer division; Ibis's ``//`` would divide in floating point
    (or, on decimals, round first).
    """
    import decimal

    import ibis

    dec = "decimal(38, 0)"

    def _div(a: Any, b: Any) -> Any: ...

    div = ibis.udf.scalar.builtin(_div, name="div", signature=(("int64", "int64"), "int64"))
    wide_div = ibis.udf.scalar.builtin(_div, name="div", signature=((dec, dec), "int64"))

    num, by = _ratio_ibis(t, measure)
    head = num * _HALF
    fast = div(head, by) * _HALF + div((head % by) * _HALF, by)
    wide = wide_div(num.cast(dec) * ibis.literal(decimal.Decimal(SCALE), type=dec), by.cast(dec))
    score = ibis.ifelse(by < _BIG, fast, wide)
    hi, lo = div(score, _HALF), score % _HALF
    square = hi * hi + div(2 * hi * lo + div(lo * lo, _HALF), _HALF)
    zero = ibis.literal(decimal.Decimal(0), type=dec)
    return {
        f"{name}{EXACT_SUFFIX}": ibis.ifelse(den, term.cast(dec), zero).sum().cast("string")
        for name, term in ((f"n{i}", score), (f"q{i}", square))
    }


def _to_parquet(source: DuckDBSource, folder: Path) -> tuple[Path, Path | None]:
    """The extract's canonical views written by DuckDB as Parquet files in ``folder``."""

    def write(view: str) -> Path:
        path = folder / f"{view}.parquet"
        source.con.execute(f"COPY (SELECT * FROM {view}) TO {literal(str(path))} (FORMAT parquet)")
        return path

    has_appointments = source.appointments is not None
    return write("gpequity_patients"), write("gpequity_appointments") if has_appointments else None


def _load_spark(con: Any, name: str, table: pa.Table | Path) -> ir.Table:
    if isinstance(table, Path):
        frame = con._session.read.parquet(str(table))
    else:  # Spark 4 builds a DataFrame straight from Arrow, keeping nullable ints and dates.
        frame = con._session.createDataFrame(table)
    frame.createOrReplaceTempView(name)
    return con.table(name)


@contextlib.contextmanager
def _spark_errors() -> Iterator[None]:
    """Spark's failures (from py4j or pyspark) as a plain ``EngineError``."""
    try:
        yield
    except EngineError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in {"py4j", "pyspark"}:
            raise
        raise EngineError(_spark_failure(exc)) from None


def _spark_failure(exc: BaseException) -> str:
    """A plain message for a failed Spark job. Spark's own text can quote data values, so
    only the kind of failure is named; Spark's log has the rest."""
    text = str(exc)
    if "OutOfMemoryError" in text:
        return (
            f"Spark ran out of memory (its heap is {spark_memory()}). Give it more with "
            "GPEQUITY_SPARK_MEMORY, e.g. GPEQUITY_SPARK_MEMORY=12g, or use --engine duckdb. "
            "Nothing was written."
        )
    if "stopped SparkContext" in text or "SparkContext was shut down" in text:
        return "the Spark session has been stopped; start a new one. Nothing was written."
    kind = getattr(exc, "getErrorClass", lambda: None)() or type(exc).__name__
    if kind == "JAVA_GATEWAY_EXITED":
        return "Spark could not start: it needs Java 17 (set JAVA_HOME). Nothing was written."
    return f"the Spark job failed ({kind}); see Spark's log for details. Nothing was written."


SPARK_WATCH_SECONDS = 0.5


@contextlib.contextmanager
def _spark_progress(
    session: Any, report: Progress, message: str, start: float, end: float
) -> Iterator[None]:
    """While Spark counts, report its progress from a watcher thread: the tasks done in the
    stages running, and the stages finished. Spark does not say how many stages a query
    will have, so the fraction climbs from ``start`` towards ``end`` by half the remaining
    way per finished stage.

    ``report`` is called from the watcher thread (the CLI's progress bar is thread-safe).
    """
    import threading

    tracker = session.sparkContext.statusTracker()
    stop = threading.Event()

    def watch() -> None:
        seen: set[int] = set()
        finished, shown = 0, start
        while not stop.wait(SPARK_WATCH_SECONDS):
            try:
                active = [tracker.getStageInfo(i) for i in tracker.getActiveStageIds()]
            except Exception:  # the session is going away; the count itself reports errors
                return
            stages = [s for s in active if s is not None and s.numTasks]
            now = {s.stageId for s in stages}
            finished += len(seen - now)
            seen = now
            tasks = sum(s.numTasks for s in stages)
            done = sum(s.numCompletedTasks for s in stages)
            within = done / tasks if tasks else 0.0
            shown = max(shown, start + (end - start) * (1 - 0.5 ** (finished + within)))
            if tasks:  # never backwards: a new stage can start before the last one ends
                report(f"{message} (stage {finished + 1}: {done:,}/{tasks:,} tasks)", shown)

    watcher = threading.Thread(target=watch, name="gpequity-spark-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def _spark_cells(
    patients: pa.Table | Path,
    appointments: pa.Table | Path | None,
    plan: Plan,
    *,
    as_of: date,
    focus: Group | None,
    spark: Any,
    say: Progress = lambda _message, _fraction: None,
    practice: bool = False,
) -> tuple[Cells, Cells | None]:
    with _spark_errors():  # no Java stack trace reaches the user
        from gpequity.hna.criteria import to_ibis

        con = _spark_backend(spark)
        say("Spark is reading the extract", 0.42)
        p = _load_spark(con, "gpequity_patients", patients)
        a = (
            _load_spark(con, "gpequity_appointments", appointments)
            if appointments is not None
            else None
        )
        appt_level = [
            (i, ind) for i, ind in enumerate(plan.indicators) if ind.level == "appointment"
        ]
        focus_expr = to_ibis(focus, p) if focus is not None else None
        if focus_expr is not None:
            p = p.mutate(**{_FOCUS_COLUMN: focus_expr})
        t = _with_measures(p, a, as_of, appt_level)
        focus_col = t[_FOCUS_COLUMN] if focus is not None else None
        metrics = _ibis_metrics(t, plan, as_of)
        cells = t.group_by(**_group_keys(t, focus_col)).aggregate(**metrics)
        say("Spark is planning the count", 0.44)  # seconds before its first stage starts
        with _spark_progress(con._session, say, "Counting indicators in spark", 0.45, 0.85):
            whole = Cells.from_arrow(cells.to_pyarrow())
            by_practice = None
            if practice:
                per = t.group_by(**_group_keys(t, focus_col, practice=True)).aggregate(**metrics)
                by_practice = Cells.from_arrow(per.to_pyarrow())
            return whole, by_practice


def _spark_count(
    patients: pa.Table | DuckDBSource,
    appointments: pa.Table | None,
    plan: Plan,
    *,
    as_of: date,
    focus: Group | None,
    spark: Any,
    report: Progress,
    practice: bool = False,
) -> tuple[Cells, Cells | None]:
    """The cells on Spark: a session started if none is given, and a ``DuckDBSource`` handed
    over as Parquet in the scratch folder (checked before a session is started)."""
    handover = isinstance(patients, DuckDBSource)
    scratch = None
    with _spark_errors():
        if handover:
            master = spark.sparkContext.master if spark is not None else spark_master()
            scratch = handover_folder(master, os.environ.get("GPEQUITY_SPARK_SCRATCH"))
        if spark is None:
            report("Starting Spark", 0.32)  # a JVM: several seconds
            spark = spark_session()
    kwargs = {"as_of": as_of, "focus": focus, "spark": spark, "say": report, "practice": practice}
    if not handover:
        return _spark_cells(patients, appointments, plan, **kwargs)
    with tempfile.TemporaryDirectory(prefix="gpequity-spark-in-", dir=scratch) as folder:
        report("Handing the extract to Spark", 0.36)
        p_file, a_file = _to_parquet(patients, Path(folder))
        return _spark_cells(p_file, a_file, plan, **kwargs)


# --------------------------------------------------------------------------- rollup


@dataclass
class Cells:
    """The aggregation's result: one row per combination of group keys present.

    Keys (``k_...``) are Python lists; the sums are float64 arrays, exact for whole counts
    (all far below 2**53). DuckDB's come through numpy, not Arrow: turning Arrow columns
    into Python or numpy values loads pandas (0.2-0.3 s, a fifth of a small practice's run).
    """

    keys: dict[str, list[Any]]
    sums: dict[str, Any]
    rows: int
    # Exact sums' text columns (numpy arrays) not yet turned into floats (``settled``).
    pending: dict[str, Any] = field(default_factory=dict)

    def settled(self) -> Cells:
        """These cells with every exact sum a float."""
        if not self.pending:
            return self
        sums = {**self.sums, **_exact_sums({c: v.tolist() for c, v in self.pending.items()})}
        return Cells(self.keys, sums, self.rows)

    @classmethod
    def from_numpy(cls, columns: Mapping[str, Any], *, settle: bool = True) -> Cells:
        """From DuckDB's ``fetchnumpy`` (masked arrays where a column has nulls). Without
        ``settle`` the exact sums' text columns are kept as they came (``pending``): a
        system run's practice cells are turned into floats by the workers, each for its own
        practices, rather than all here (a quarter of a second)."""
        import numpy as np

        keys = {c: v.tolist() for c, v in columns.items() if c.startswith("k_")}
        sums = {
            c: np.ma.filled(np.ma.asarray(v).astype(np.float64), 0.0)
            for c, v in columns.items()
            if not c.startswith("k_") and not c.endswith(EXACT_SUFFIX)
        }
        # Only the exact sums' text columns as Python values: every column's list (hundreds
        # of thousands of cells per practice-keyed query) cost more than the query itself.
        pending = {c: v for c, v in columns.items() if c.endswith(EXACT_SUFFIX)}
        rows = len(next(iter(columns.values()))) if columns else 0
        cells = cls(keys, sums, rows, pending)
        return cells.settled() if settle else cells

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Cells:
        """From an Arrow table (the Spark engine's)."""
        import numpy as np

        keys = {c: table[c].to_pylist() for c in table.column_names if c.startswith("k_")}
        sums = {
            c: np.array([0.0 if v is None else float(v) for v in table[c].to_pylist()])
            for c in table.column_names
            if not c.startswith("k_") and not c.endswith(EXACT_SUFFIX)
        }
        exact = [c for c in table.column_names if c.endswith(EXACT_SUFFIX)]
        sums.update(_exact_sums({c: table[c].to_pylist() for c in exact}))
        return cls(keys, sums, table.num_rows)


def _exact_sums(columns: Mapping[str, list[Any]]) -> dict[str, Any]:
    """Columns summed in whole units of 1e-18 (text), as floats correctly rounded.

    Python divides two integers with one rounding, so both engines' cells become the same
    floats. Each distinct text is divided once: most cells hold one or two patients, whose
    scores take few values (a system run's 337,000 cells hold some 10,000 distinct sums).
    """
    import numpy as np

    out = {}
    for c, values in columns.items():
        if c.endswith(EXACT_SUFFIX):
            floats = {v: int(v or 0) / SCALE for v in dict.fromkeys(values)}
            out[c.removesuffix(EXACT_SUFFIX)] = np.array(list(map(floats.__getitem__, values)))
    return out


def _labelled(cells: Cells, grouping: str) -> tuple[list[str], list[int]]:
    """The DATA.md labels present in ``grouping`` and each cell's position in that list.

    Each distinct key is labelled once; two keys may share a label (age bands).
    """
    keys = cells.keys[CELL_KEYS[grouping]]
    label = LABELS.get(grouping, lambda flag: _YES_NO[bool(flag)])
    labels = {k: label(k) for k in dict.fromkeys(keys)}
    names = list(dict.fromkeys(labels.values()))
    position = {name: j for j, name in enumerate(names)}
    at = {k: position[name] for k, name in labels.items()}
    return names, list(map(at.__getitem__, keys))


def rollup(cells: Cells, plan: Plan, groupings: Sequence[str]) -> list[GroupCount]:
    """Sum the cells per grouping (and overall) into ``GroupCount`` rows.

    Empty groups are left out. Cells are few (combinations of keys actually present), so
    this takes milliseconds whatever the practice size.

    The result does not depend on the order the cells come in (the engines give them in any
    order): counts are whole numbers, summed exactly, and the sums of a mean's scores are
    added with ``math.fsum``, correctly rounded. The same extract gives the same files.
    """
    import numpy as np

    cells = cells.settled()

    scores = {
        f"{x}{i}" for i, ind in enumerate(plan.indicators) if ind.kind == "mean" for x in "nq"
    }

    def group_sums(where: Any, groups: int) -> dict[str, Any]:
        """Every metric summed per group; cells sorted by group once for the scores."""
        order = _stable_order(where, groups)
        bounds = np.searchsorted(where[order], np.arange(groups + 1))
        sums = {}
        for m, col in cells.sums.items():
            if m in scores:
                values = col[order]
                sums[f"{m}_sum"] = [math.fsum(values[a:b]) for a, b in itertools.pairwise(bounds)]
            else:
                sums[f"{m}_sum"] = np.bincount(where, weights=col, minlength=groups)
        return sums

    made = _GroupCounts(plan)
    rows: list[GroupCount] = []
    if cells.rows:
        made.extend(rows, "overall", "all", group_sums(np.zeros(cells.rows, np.int64), 1), 0)
    for grouping in groupings:
        names, positions = _labelled(cells, grouping)
        sums = group_sums(np.asarray(positions, dtype=np.int64), len(names))
        for j, g in enumerate(names):
            made.extend(rows, grouping, g, sums, j)
    return rows


def _stable_order(where: Any, size: int) -> Any:
    """``np.argsort(where, kind="stable")`` for group numbers below ``size``: as 16-bit
    numbers when they fit, which numpy sorts by radix, several times faster than 64-bit ones
    (a system run sorts its hundreds of thousands of cells once per grouping). A stable
    order is unique, so it is the same order either way."""
    import numpy as np

    if size <= 1 << 16:
        where = where.astype(np.uint16)
    return np.argsort(where, kind="stable")


@dataclass(frozen=True)
class PracticeCells:
    """A system extract's cells per practice, not yet added up (``rollup_by_practice``).

    Adding them up takes seconds at an ICB's size and each practice's rows depend only on
    its own cells, so ``results.practice_tables`` hands each worker its practices' share
    (``subset``) to add up and make rows from, instead of adding up every practice here and
    sending their counts over (ADR 28)."""

    cells: Cells
    plan: Plan
    groupings: tuple[str, ...]

    @functools.cached_property
    def codes(self) -> list[str]:
        return practice_codes(self.cells)

    def subset(self, codes: Sequence[str]) -> PracticeCells:
        """These practices' cells only, in the order they came (so each practice's groups
        keep their order of first appearance, and its sums their order of adding)."""
        import numpy as np

        wanted = set(codes)
        if wanted >= set(self.codes):
            return self
        index = [i for i, code in enumerate(self.cells.keys[PRACTICE_KEY]) if code in wanted]
        at = np.asarray(index, dtype=np.int64)
        keys = {k: _take(v, index) for k, v in self.cells.keys.items()}
        sums = {k: v[at] for k, v in self.cells.sums.items()}
        pending = {k: v[at] for k, v in self.cells.pending.items()}
        return PracticeCells(Cells(keys, sums, len(index), pending), self.plan, self.groupings)

    def rollup(self) -> dict[str, list[GroupCount]]:
        return rollup_by_practice(self.cells, self.plan, self.groupings)


def _take(values: list[Any], index: list[int]) -> list[Any]:
    """``[values[i] for i in index]``, by ``itemgetter`` (several times faster) when it can."""
    if len(index) < 2:
        return [values[i] for i in index]
    return list(operator.itemgetter(*index)(values))


def practice_codes(cells: Cells) -> list[str]:
    """The practice codes of a system extract's cells, in order; an error if any is blank."""
    codes = cells.keys[PRACTICE_KEY]
    if any(code is None for code in codes):
        raise EngineError(
            f"some patients have no {PRACTICE_COLUMN}: in a system extract every patient needs one"
        )
    return sorted(set(codes))


@dataclass
class GroupingSums:
    """One grouping's sums for every practice of a system extract (``practice_sums``)."""

    grouping: str
    names: list[str]
    """The grouping's groups; slot ``p * len(names) + j`` is practice ``p``'s group ``j``."""
    sums: dict[str, Any]
    """Each metric's sum (``d0_sum``, ...) per slot: a list of floats, or a numpy array."""
    slots: list[int]
    """The slots with cells: each practice's (in code order) groups in the order they first
    appear among its cells."""


def practice_sums(
    cells: Cells, plan: Plan, groupings: Sequence[str]
) -> tuple[list[str], list[GroupingSums]]:
    """The practice codes (in order) of a system extract's cells (keyed by
    ``k_practice_code``), and every metric summed per practice and group, overall first,
    then each of ``groupings``: what ``rollup`` sums over each practice's cells alone.

    Done for every practice at once (ADR 28): each grouping's cells are labelled once, and
    summed per practice and group in one pass (``bincount`` on practice x group; the scores'
    sums with ``math.fsum`` per slice, correctly rounded whatever the order)."""
    import numpy as np

    cells = cells.settled()

    codes = cells.keys[PRACTICE_KEY]
    ordered = practice_codes(cells)
    index = {code: i for i, code in enumerate(ordered)}
    practice = np.fromiter((index[c] for c in codes), dtype=np.int64, count=len(codes))
    n = len(ordered)
    scores = {
        f"{x}{i}" for i, ind in enumerate(plan.indicators) if ind.kind == "mean" for x in "nq"
    }

    def group_sums(where: Any, size: int) -> tuple[dict[str, Any], Any, Any]:
        """The sums per group, the cells' stable order by group and each group's bounds
        in it."""
        order = _stable_order(where, size)
        bounds = np.searchsorted(where[order], np.arange(size + 1))
        sums = {}
        for m, col in cells.sums.items():
            if m in scores:
                # Zeros add nothing to an exact sum (and fsum's zero is always +0.0), so
                # only the other values are summed: most cells have no score at all.
                ordered_values = col[order]
                kept = ordered_values != 0
                before = np.concatenate(([0], np.cumsum(kept)))[bounds].tolist()
                values = ordered_values[kept].tolist()  # fsum reads a list's floats faster
                sums[f"{m}_sum"] = [math.fsum(values[a:b]) for a, b in itertools.pairwise(before)]
            else:
                sums[f"{m}_sum"] = np.bincount(where, weights=col, minlength=size)
        return sums, order, bounds

    totals, _, _ = group_sums(practice, n)
    out = [GroupingSums("overall", ["all"], totals, list(range(n)))]
    for grouping in groupings:
        names, positions = _labelled(cells, grouping)
        width = len(names)
        where = practice * width + np.asarray(positions, dtype=np.int64)
        sums, order, bounds = group_sums(where, n * width)
        # The slots with cells, and each one's first cell: the first in a stable order.
        present = np.flatnonzero(bounds[1:] > bounds[:-1])
        first = order[bounds[present]]
        # Each practice's groups in the order they first appear among its cells.
        slots = present[np.lexsort((first, present // width))].tolist()
        out.append(GroupingSums(grouping, [str(name) for name in names], sums, slots))
    return ordered, out


def rollup_by_practice(
    cells: Cells, plan: Plan, groupings: Sequence[str]
) -> dict[str, list[GroupCount]]:
    """``rollup`` for each practice's own cells (keyed by ``k_practice_code``), by practice
    code in order, from ``practice_sums``. Each practice's cells are exactly those a run over
    its patients alone would count, so its rows are that run's rows, in the same order: its
    groups in the order they first appear among its cells."""
    return group_counts_by_practice(*practice_sums(cells, plan, groupings), plan)


def group_counts_by_practice(
    ordered: list[str], by_grouping: Sequence[GroupingSums], plan: Plan
) -> dict[str, list[GroupCount]]:
    """Each practice's ``GroupCount`` rows of the groupings in ``by_grouping``
    (``practice_sums``), by practice code in order."""
    made = _GroupCounts(plan)
    out: dict[str, list[GroupCount]] = {code: [] for code in ordered}
    rows = list(out.values())
    for summed in by_grouping:
        # As Python floats: rounding them into counts is then several times faster.
        sums = {m: v if isinstance(v, list) else v.tolist() for m, v in summed.sums.items()}
        width = len(summed.names)
        for slot in summed.slots:
            p, j = divmod(slot, width)
            made.extend(rows[p], summed.grouping, summed.names[j], sums, slot)
    return out


class _GroupCounts:
    """Groups' ``GroupCount`` rows (those with people in the denominator), each group's
    read at its slot of every metric's sums, the metrics' names worked out once (a system
    run makes some two hundred thousand)."""

    def __init__(self, plan: Plan) -> None:
        self.metrics = [
            (ind.id, f"d{i}_sum", f"n{i}_sum", f"q{i}_sum", ind.kind == "mean")
            for i, ind in enumerate(plan.indicators)
        ]

    def extend(
        self, rows: list[GroupCount], grouping: str, group: Any, sums: Mapping[str, Any], at: int
    ) -> None:
        group = str(group)
        for indicator, d, n, q, mean in self.metrics:
            den = round(sums[d][at] or 0)
            if den == 0:
                continue
            num = sums[n][at] or 0
            rows.append(
                GroupCount(
                    indicator=indicator,
                    grouping=grouping,
                    group=group,
                    numerator=float(num) if mean else round(num),
                    denominator=den,
                    sum_sq=float(sums[q][at] or 0.0) if mean else None,
                )
            )


def _rollup_by_practice_one_by_one(
    cells: Cells, plan: Plan, groupings: Sequence[str]
) -> dict[str, list[GroupCount]]:
    """The plain form of ``rollup_by_practice`` (each practice's cells rolled up alone),
    kept as its oracle in the tests."""
    import numpy as np

    cells = cells.settled()

    codes = cells.keys[PRACTICE_KEY]
    where: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        where.setdefault(code, []).append(i)
    out = {}
    for code in sorted(where):
        index = np.asarray(where[code], dtype=np.int64)
        part = Cells(
            keys={k: [v[i] for i in where[code]] for k, v in cells.keys.items()},
            sums={m: col[index] for m, col in cells.sums.items()},
            rows=len(index),
        )
        out[code] = rollup(part, plan, groupings)
    return out


# --------------------------------------------------------------------------- run


def compute_counts(
    patients: pa.Table | DuckDBSource,
    appointments: pa.Table | None = None,
    *,
    as_of: date,
    indicators: Sequence[Indicator],
    focus: Group | Mapping[str, Any] | str | None = None,
    engine: str = "duckdb",
    spark: Any = None,
    progress: Progress | None = None,
) -> tuple[list[GroupCount], Plan]:
    """Numerators and denominators of every indicator in every group, from the engine.

    ``patients``/``appointments`` are Arrow tables, or ``patients`` is a ``DuckDBSource``
    (the DuckDB engine then counts where the data already are; for Spark, DuckDB writes them
    to Parquet, which Spark reads in parallel rather than through this process).
    ``focus`` is Focus Patient criteria (a ``criteria.Group``, a dict or JSON text).
    """
    rows, plan, _ = _compute(
        patients,
        appointments,
        as_of=as_of,
        indicators=indicators,
        focus=focus,
        engine=engine,
        spark=spark,
        progress=progress,
        practice=False,
    )
    return rows, plan


def compute_system_cells(
    patients: pa.Table | DuckDBSource,
    appointments: pa.Table | None = None,
    *,
    as_of: date,
    indicators: Sequence[Indicator],
    focus: Group | Mapping[str, Any] | str | None = None,
    engine: str = "duckdb",
    spark: Any = None,
    progress: Progress | None = None,
) -> tuple[list[GroupCount], Plan, PracticeCells]:
    """``compute_system_counts`` with each practice's cells not yet added up."""
    rows, plan, by_practice = _compute(
        patients,
        appointments,
        as_of=as_of,
        indicators=indicators,
        focus=focus,
        engine=engine,
        spark=spark,
        progress=progress,
        practice=True,
    )
    assert by_practice is not None
    return rows, plan, by_practice


def compute_system_counts(
    patients: pa.Table | DuckDBSource,
    appointments: pa.Table | None = None,
    **kwargs: Any,
) -> tuple[list[GroupCount], Plan, dict[str, list[GroupCount]]]:
    """``compute_counts`` for a system extract (DATA.md "System extracts"): the whole
    extract's counts exactly as ``compute_counts`` gives them, and each practice's counts
    (every grouping), by ``practice_code``. Takes ``compute_counts``' keywords."""
    rows, plan, per = compute_system_cells(patients, appointments, **kwargs)
    return rows, plan, per.rollup()


def is_system_extract(patients: pa.Table | DuckDBSource) -> bool:
    """Whether the patients have a ``practice_code`` column with at least one value."""
    if isinstance(patients, DuckDBSource):
        if PRACTICE_COLUMN not in patients.patients.names:
            return False
        query = f"SELECT count({ident(PRACTICE_COLUMN)}) FROM gpequity_patients"
        return bool(patients.con.execute(query).fetchone()[0])
    if PRACTICE_COLUMN not in patients.schema.names:
        return False
    column = patients[PRACTICE_COLUMN]
    return column.null_count < len(column)


def _compute(
    patients: pa.Table | DuckDBSource,
    appointments: pa.Table | None,
    *,
    as_of: date,
    indicators: Sequence[Indicator],
    focus: Group | Mapping[str, Any] | str | None,
    engine: str,
    spark: Any,
    progress: Progress | None,
    practice: bool,
) -> tuple[list[GroupCount], Plan, PracticeCells | None]:
    report = progress or (lambda _msg, _frac: None)
    if engine not in ENGINES:
        raise EngineError(f"unknown engine '{engine}' (use {' or '.join(ENGINES)})")
    if isinstance(patients, DuckDBSource):
        p_schema, a_schema = patients.patients, patients.appointments
    else:
        p_schema = patients.schema
        a_schema = appointments.schema if appointments is not None else None
    if practice and PRACTICE_COLUMN not in p_schema.names:
        raise EngineError(f"a system extract needs a {PRACTICE_COLUMN} column in patients")
    plan = plan_indicators(
        indicators,
        patient_columns=p_schema.names,
        appointment_columns=a_schema.names if a_schema is not None else None,
    )
    criteria = focus_criteria(focus, p_schema.names)
    report(f"Counting indicators in {engine}", 0.3)
    if engine == "spark":
        cells, per = _spark_count(
            patients,
            appointments,
            plan,
            as_of=as_of,
            focus=criteria,
            spark=spark,
            report=report,
            practice=practice,
        )
    elif isinstance(patients, DuckDBSource):
        cells, per = _duckdb_cells(patients, plan, as_of=as_of, focus=criteria, practice=practice)
    else:
        source = _arrow_source(patients, appointments)
        try:
            cells, per = _duckdb_cells(source, plan, as_of=as_of, focus=criteria, practice=practice)
        finally:
            source.con.close()
    report("Adding up groups", 0.85)
    groupings = grouping_names(criteria is not None)
    rows = rollup(cells, plan, groupings)
    by_practice = PracticeCells(per, plan, tuple(groupings)) if per is not None else None
    if by_practice is not None:
        by_practice.codes  # noqa: B018 - a patient without a practice code fails here, early
    report("Aggregated", 0.9)
    return rows, plan, by_practice
