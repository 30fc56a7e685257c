"""The slow, obviously correct twin of the engine: plain Python over row dicts.

It follows DATA.md line by line (one patient at a time, one appointment at a time) with no
dataframe tricks, so that when it and the Ibis engine agree on generated extracts we can
trust the fast one. It produces the same ``GroupCount`` rows, and therefore, through
``results``, the same indicators table.
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import pyarrow as pa

from gpequity.hna.columns import (
    ETHNIC_GROUP,
    FALSE_SPELLINGS,
    INCLUSION_FLAGS,
    LONG_TERM_CONDITIONS,
    NOT_RECORDED,
    TRUE_SPELLINGS,
)
from gpequity.hna.criteria import Group, to_python
from gpequity.hna.engine import Plan, focus_criteria, plan_indicators
from gpequity.hna.indicators import Indicator
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
)
from gpequity.hna.results import GroupCount
from gpequity.hna.windows import (
    APPOINTMENT_WINDOW_MONTHS,
    season_start,
    since_season_start,
    window_start,
    within_months,
)

Row = dict[str, Any]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _coerce(cell: Any, value: Any) -> tuple[Any, Any] | None:
    """Bring a cell and a condition value to comparable types; None when impossible."""
    if isinstance(cell, date) and isinstance(value, str):
        return cell, date.fromisoformat(value)
    if isinstance(cell, str) and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(cell), value
        except ValueError:
            return None
    if isinstance(cell, str) and isinstance(value, date):
        try:
            return date.fromisoformat(cell.strip()), value
        except ValueError:
            return None
    if isinstance(cell, int | float) and isinstance(value, str):
        return cell, float(value)
    return cell, value


def _compare(node: Compare, row: Row) -> bool:
    cell = row.get(node.column)
    if cell is None:
        return False  # DATA.md: a comparison on a blank value is false
    if isinstance(node.value, tuple):
        pairs = [_coerce(cell, v) for v in node.value]
        found = any(p is not None and p[0] == p[1] for p in pairs)
        if node.op == "in":
            return found
        return not found and all(p is not None for p in pairs)
    pair = _coerce(cell, node.value)
    return pair is not None and bool(_OPS[node.op](pair[0], pair[1]))


def _as_date(cell: Any) -> date | None:
    if isinstance(cell, str):
        try:
            return date.fromisoformat(cell.strip())
        except ValueError:
            return None
    return cell


def _truthy(cell: Any) -> bool:
    if cell is None:
        return False
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, str):
        return cell.strip().lower() in TRUE_SPELLINGS
    return cell != 0


def holds(node: Node, row: Row, as_of: date) -> bool:
    """Whether a condition holds for one row (patient or appointment)."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, All):
        return all(holds(i, row, as_of) for i in node.items)
    if isinstance(node, AnyOf):
        return any(holds(i, row, as_of) for i in node.items)
    if isinstance(node, Not):
        return not holds(node.item, row, as_of)
    if isinstance(node, AtLeast):
        return sum(1 for i in node.items if holds(i, row, as_of)) >= node.n
    if isinstance(node, Compare):
        return _compare(node, row)
    if isinstance(node, Flag):
        return _truthy(row.get(node.column)) == node.expected
    if isinstance(node, Blank):
        cell = row.get(node.column)
        blank = cell is None or (isinstance(cell, str) and cell.strip() == "")
        return blank == node.is_blank
    if isinstance(node, WithinMonths):
        return within_months(_as_date(row.get(node.column)), as_of, node.months)
    if isinstance(node, SinceSeasonStart):
        return since_season_start(_as_date(row.get(node.column)), as_of, node.month, node.day)
    raise TypeError(f"not a condition node: {node!r}")


def _continuity(clinicians: list[str]) -> tuple[float | None, float | None]:
    """UPC and Bice-Boxerman COC from one patient's gp clinician ids (None below 2)."""
    n = len(clinicians)
    if n < 2:
        return None, None
    counts = Counter(clinicians)
    upc = max(counts.values()) / n
    coc = (sum(c * c for c in counts.values()) - n) / (n * (n - 1))
    return upc, coc


def patient_measures(patient: Row, appointments: list[Row] | None, as_of: date) -> Row:
    """The derived per-patient measures of the indicator schema, for one patient."""
    measures: Row = {"ltc_count": sum(1 for c in LONG_TERM_CONDITIONS if _truthy(patient.get(c)))}
    if appointments is None:
        return measures
    in_window = [
        a for a in appointments if within_months(a["date"], as_of, APPOINTMENT_WINDOW_MONTHS)
    ]
    gp_clinicians = [
        a["clinician_id"]
        for a in in_window
        if a["status"] == "attended"
        and a.get("clinician_role") == "gp"
        and a.get("clinician_id") is not None
    ]
    upc, coc = _continuity(gp_clinicians)
    measures.update(
        appointments_in_window=len(in_window),
        dna_count_in_window=sum(1 for a in in_window if a["status"] == "dna"),
        online_booked_in_window=sum(1 for a in in_window if a.get("booked_via") == "online"),
        attended_gp_with_clinician_in_window=len(gp_clinicians),
        continuity_upc=upc,
        continuity_coc=coc,
    )
    return measures


def _quintile(decile: int | None) -> str:
    if decile is None or not 1 <= decile <= 10:
        return "unknown"
    return f"Q{(decile + 1) // 2}"


def _age_band(age: int) -> str:
    if age <= 17:
        return "0-17"
    if age <= 39:
        return "18-39"
    if age <= 64:
        return "40-64"
    if age <= 79:
        return "65-79"
    return "80+"


def patient_groups(
    patient: Row, in_focus: Callable[[Row], bool] | None, as_of: date
) -> dict[str, str]:
    """The group label of this patient in each DATA.md grouping.

    ``in_focus`` is the Focus Patient predicate from the shared evaluator
    (``criteria.to_python``), the one the web Focus group uses.
    """
    decile = patient.get("imd_decile")
    groups = {
        "overall": "all",
        "imd_quintile": _quintile(decile),
        "imd_decile": "unknown" if decile is None else str(decile),
        "ethnic_group": ETHNIC_GROUP.get(patient.get("ethnicity") or "", NOT_RECORDED),
        "age_band": _age_band(patient["age"]),
        "sex": patient["sex"],
    }
    if in_focus is not None:
        groups["focus_group"] = "in" if in_focus(patient) else "out"
    for flag in (*INCLUSION_FLAGS, "interpreter_needed"):
        groups[flag] = "yes" if _truthy(patient.get(flag)) else "no"
    return groups


def _contribution(
    ind: Indicator, row: Row, appointments: list[Row], as_of: date
) -> tuple[int, float, float]:
    """(denominator, numerator, numerator squared) this patient adds to ``ind``."""
    if ind.level == "appointment":
        assert ind.numerator is not None
        den = num = 0
        for appt in appointments:
            if holds(ind.denominator, appt, as_of):
                den += 1
                if holds(ind.numerator, appt, as_of):
                    num += 1
        return den, num, 0.0
    if not holds(ind.denominator, row, as_of):
        return 0, 0, 0.0
    if ind.kind == "mean":
        assert ind.value is not None
        try:  # blank, or text that is not a number: left out (as comparisons treat it)
            value = float(row[ind.value]) if row.get(ind.value) is not None else None
        except ValueError:
            value = None
        if value is None:
            return 0, 0, 0.0
        return 1, value, value * value
    assert ind.numerator is not None
    return 1, (1 if holds(ind.numerator, row, as_of) else 0), 0.0


def twin_counts(
    patients: Iterable[Row],
    appointments: Iterable[Row] | None,
    *,
    as_of: date,
    indicators: Sequence[Indicator],
    focus: Group | Mapping[str, Any] | str | None = None,
    patient_columns: Sequence[str] | None = None,
    appointment_columns: Sequence[str] | None = None,
) -> tuple[list[GroupCount], Plan]:
    """Numerators and denominators per indicator and group, one patient at a time."""
    patient_rows = list(patients)
    appt_rows = list(appointments) if appointments is not None else None
    if patient_columns is None:
        patient_columns = list(patient_rows[0]) if patient_rows else []
    if appt_rows is not None and appointment_columns is None:
        appointment_columns = list(appt_rows[0]) if appt_rows else ["patient_id", "date"]
    plan = plan_indicators(
        indicators,
        patient_columns=patient_columns,
        appointment_columns=appointment_columns if appt_rows is not None else None,
    )
    criteria = focus_criteria(focus, patient_columns)
    in_focus = to_python(criteria) if criteria is not None else None
    by_patient: dict[str, list[Row]] = defaultdict(list)
    for appt in appt_rows or []:
        by_patient[appt["patient_id"]].append(appt)

    totals: dict[tuple[str, str, str], list[float]] = {}
    for patient in patient_rows:
        own = by_patient.get(patient["patient_id"], [])
        row = {
            **patient,
            **patient_measures(patient, own if appt_rows is not None else None, as_of),
        }
        groups = patient_groups(patient, in_focus, as_of)
        for ind in plan.indicators:
            den, num, sq = _contribution(ind, row, own, as_of)
            if den == 0:
                continue
            for grouping, group in groups.items():
                acc = totals.setdefault((ind.id, grouping, group), [0, 0, 0.0])
                acc[0] += den
                acc[1] += num
                acc[2] += sq
    kinds = {ind.id: ind.kind for ind in plan.indicators}
    rows = [
        GroupCount(
            indicator=ind_id,
            grouping=grouping,
            group=group,
            numerator=float(num) if kinds[ind_id] == "mean" else int(num),
            denominator=int(den),
            sum_sq=float(sq) if kinds[ind_id] == "mean" else None,
        )
        for (ind_id, grouping, group), (den, num, sq) in totals.items()
    ]
    return rows, plan


def twin_counts_from_arrow(
    patients: pa.Table,
    appointments: pa.Table | None,
    *,
    as_of: date,
    indicators: Sequence[Indicator],
    focus: Group | Mapping[str, Any] | str | None = None,
) -> tuple[list[GroupCount], Plan]:
    """The twin on canonical Arrow tables (rows converted to plain dicts first)."""
    return twin_counts(
        patients.to_pylist(),
        appointments.to_pylist() if appointments is not None else None,
        as_of=as_of,
        indicators=indicators,
        focus=focus,
        patient_columns=patients.column_names,
        appointment_columns=appointments.column_names if appointments is not None else None,
    )


def rows_to_table(rows: Sequence[Row], schema: pa.Schema) -> pa.Table:
    """Row dicts to an Arrow table in ``schema``, filling missing cells the DATA.md way.

    Booleans default to false, smoker to "unknown", everything else to blank. Handy for
    building small extracts by hand (tests, docs) in the canonical types of ``columns``.
    """
    columns: dict[str, list[Any]] = {}
    for fld in schema:
        if pa.types.is_boolean(fld.type):
            default: Any = False
        elif fld.name == "smoker":
            default = "unknown"
        else:
            default = None
        columns[fld.name] = [r.get(fld.name, default) for r in rows]
    extra = sorted({k for r in rows for k in r} - set(schema.names))
    table = pa.Table.from_pydict(columns, schema=schema)
    for name in extra:
        table = table.append_column(name, pa.array([r.get(name) for r in rows], pa.string()))
    return table


# --------------------------------------------------------------------------- pandas baseline
#
# ``pandas_counts`` is the same assessment written the way an analyst would in pandas:
# whole-column operations, a group-by per grouping. It is the speed baseline of the
# benchmark (what the engine has to beat), not a second oracle; a test holds it to the twin.


def _pd_coerced(series: Any, value: Any) -> tuple[Any, Any]:
    """Series and condition value brought to comparable types (text read as numbers/dates)."""
    import pandas as pd

    sample = value[0] if isinstance(value, tuple) else value
    is_text = pd.api.types.is_string_dtype(series) or series.dtype == object
    if is_text and isinstance(sample, int | float) and not isinstance(sample, bool):
        return pd.to_numeric(series, errors="coerce"), value
    if is_text and isinstance(sample, date):
        return pd.to_datetime(series, errors="coerce", format="ISO8601"), _pd_value(value)
    if pd.api.types.is_datetime64_any_dtype(series):
        return series, _pd_value(value)
    if pd.api.types.is_numeric_dtype(series) and isinstance(sample, str):
        as_float = tuple(float(v) for v in value) if isinstance(value, tuple) else float(value)
        return series, as_float
    return series, value


def _pd_value(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, tuple):
        return tuple(_pd_value(v) for v in value)
    if isinstance(value, str | date):
        return pd.Timestamp(value)
    return value


def _pd_compare(node: Compare, df: Any) -> Any:
    series, value = _pd_coerced(df[node.column], node.value)
    present = series.notna().to_numpy()
    if isinstance(value, tuple):
        found = series.isin(list(value)).to_numpy() & present
        return found if node.op == "in" else ~found & present
    result = _OPS[node.op](series, value)
    return result.fillna(False).to_numpy(dtype=bool) & present


def _pd_truthy(series: Any) -> Any:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return series.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(series) or series.dtype == object:
        folded = series.str.strip().str.lower()
        return folded.isin(sorted(TRUE_SPELLINGS)).to_numpy(dtype=bool)
    return ((series != 0) & series.notna()).to_numpy(dtype=bool)


def _pd_dates(series: Any) -> Any:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    return pd.to_datetime(series, errors="coerce", format="ISO8601")


def _pd_between(series: Any, start: date, end: date, *, include_start: bool) -> Any:
    import pandas as pd

    col = _pd_dates(series)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    after = (col >= lo) if include_start else (col > lo)
    return (after & (col <= hi)).fillna(False).to_numpy(dtype=bool)


def pd_holds(node: Node, df: Any, as_of: date) -> Any:
    """A condition over every row of a DataFrame at once: a numpy boolean array."""
    import numpy as np

    n = len(df)
    match node:
        case Const(value):
            return np.full(n, value, dtype=bool)
        case All(items):
            out = np.ones(n, dtype=bool)
            for item in items:
                out &= pd_holds(item, df, as_of)
            return out
        case AnyOf(items):
            out = np.zeros(n, dtype=bool)
            for item in items:
                out |= pd_holds(item, df, as_of)
            return out
        case Not(item):
            return ~pd_holds(item, df, as_of)
        case AtLeast(k, items):
            total = np.zeros(n, dtype=np.int64)
            for item in items:
                total += pd_holds(item, df, as_of)
            return total >= k
        case Compare():
            return _pd_compare(node, df)
        case Flag(column, expected):
            flag = _pd_truthy(df[column])
            return flag if expected else ~flag
        case Blank(column, is_blank):
            series = df[column]
            blank = series.isna().to_numpy(dtype=bool)
            if series.dtype.kind not in "biufcmM":
                stripped = series.astype("string").str.strip() == ""
                blank = blank | stripped.fillna(True).to_numpy(dtype=bool)
            return blank if is_blank else ~blank
        case WithinMonths(column, months):
            start = window_start(as_of, months)
            return _pd_between(df[column], start, as_of, include_start=False)
        case SinceSeasonStart(column, month, day):
            start = season_start(as_of, month, day)
            return _pd_between(df[column], start, as_of, include_start=True)
    raise TypeError(f"not a condition node: {node!r}")


def criteria_node(criteria: Group) -> Node:
    """Focus criteria as a condition tree, so the pandas baseline can evaluate them whole."""
    items: list[Node] = []
    for item in criteria.items:
        if isinstance(item, Group):
            items.append(criteria_node(item))
        else:
            items.append(Compare(item.column, item.op, item.value))
    return AnyOf(tuple(items)) if criteria.mode == "any" else All(tuple(items))


def _pd_appointment_measures(
    patients: Any, appts: Any, as_of: date, appt_level: Sequence[tuple[int, Indicator]]
) -> dict[str, Any]:
    """Per-patient appointment measures and appointment-level sums, aligned to ``patients``."""
    import numpy as np
    import pandas as pd

    start = window_start(as_of, APPOINTMENT_WINDOW_MONTHS)
    win = _pd_between(appts["date"], start, as_of, include_start=False)
    status = appts["status"]
    per_appt = {
        "appointments_in_window": win,
        "dna_count_in_window": win & (status == "dna").fillna(False).to_numpy(bool),
        "online_booked_in_window": win
        & (appts["booked_via"] == "online").fillna(False).to_numpy(bool),
    }
    for i, ind in appt_level:
        assert ind.numerator is not None
        den = pd_holds(ind.denominator, appts, as_of)
        per_appt[f"_ad{i}"] = den
        per_appt[f"_an{i}"] = den & pd_holds(ind.numerator, appts, as_of)
    flags = pd.DataFrame({k: v.astype(np.int64) for k, v in per_appt.items()})
    sums = flags.groupby(appts["patient_id"].to_numpy()).sum()
    aligned = sums.reindex(patients["patient_id"].to_numpy()).fillna(0).astype(np.int64)
    out = {c: aligned[c].to_numpy() for c in aligned.columns}

    gp = (
        win
        & (status == "attended").fillna(False).to_numpy(bool)
        & (appts["clinician_role"] == "gp").fillna(False).to_numpy(bool)
        & appts["clinician_id"].notna().to_numpy(bool)
    )
    seen = appts.loc[gp, ["patient_id", "clinician_id"]]
    per_clinician = seen.groupby(["patient_id", "clinician_id"]).size()
    c = per_clinician.to_frame("c")
    c["c2"] = c["c"] * c["c"]
    by_patient = c.groupby(level=0).agg(n=("c", "sum"), mx=("c", "max"), ss=("c2", "sum"))
    cont = by_patient.reindex(patients["patient_id"].to_numpy())
    n = cont["n"].fillna(0).to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        upc = np.where(n >= 2, cont["mx"].to_numpy(dtype=np.float64) / n, np.nan)
        coc = np.where(n >= 2, (cont["ss"].to_numpy(dtype=np.float64) - n) / (n * (n - 1)), np.nan)
    out["attended_gp_with_clinician_in_window"] = n.astype(np.int64)
    out["continuity_upc"] = upc
    out["continuity_coc"] = coc
    return out


def _pd_labels(df: Any, focus: Node | None, as_of: date) -> dict[str, Any]:
    import numpy as np

    decile = df["imd_decile"]
    known = decile.notna() & (decile >= 1) & (decile <= 10)
    quintile = np.where(
        known, "Q" + ((decile.fillna(0) + 1) // 2).astype(int).astype(str), "unknown"
    )
    band_edges = [(17, "0-17"), (39, "18-39"), (64, "40-64"), (79, "65-79")]
    age = df["age"].to_numpy()
    labels: dict[str, Any] = {
        "imd_quintile": quintile,
        "imd_decile": np.where(decile.notna(), decile.fillna(0).astype(int).astype(str), "unknown"),
        "ethnic_group": df["ethnicity"].map(ETHNIC_GROUP).fillna(NOT_RECORDED).to_numpy(),
        "age_band": np.select(
            [age <= edge for edge, _ in band_edges], [b for _, b in band_edges], "80+"
        ),
        "sex": df["sex"].to_numpy(),
    }
    if focus is not None:
        labels["focus_group"] = np.where(pd_holds(focus, df, as_of), "in", "out")
    for flag in (*INCLUSION_FLAGS, "interpreter_needed"):
        labels[flag] = np.where(_pd_truthy(df[flag]), "yes", "no")
    return labels


def pandas_counts(
    patients: pa.Table,
    appointments: pa.Table | None,
    *,
    as_of: date,
    indicators: Sequence[Indicator],
    focus: Group | Mapping[str, Any] | str | None = None,
) -> tuple[list[GroupCount], Plan]:
    """The assessment in vectorised pandas (the benchmark's dataframe baseline)."""
    import numpy as np
    import pandas as pd

    plan = plan_indicators(
        indicators,
        patient_columns=patients.column_names,
        appointment_columns=appointments.column_names if appointments is not None else None,
    )
    criteria = focus_criteria(focus, patients.column_names)
    df = patients.to_pandas(date_as_object=False)
    ltc = [c for c in LONG_TERM_CONDITIONS if c in df.columns]
    measures: dict[str, Any] = {
        "ltc_count": sum(_pd_truthy(df[c]).astype(np.int64) for c in ltc) if ltc else 0
    }
    appt_level = [(i, ind) for i, ind in enumerate(plan.indicators) if ind.level == "appointment"]
    if appointments is not None:
        appts = appointments.to_pandas(date_as_object=False)
        measures.update(_pd_appointment_measures(df, appts, as_of, appt_level))
    df = df.drop(columns=[c for c in measures if c in df.columns]).assign(**measures)

    wide: dict[str, Any] = {}
    for i, ind in enumerate(plan.indicators):
        if ind.level == "appointment":
            wide[f"d{i}"], wide[f"n{i}"] = df[f"_ad{i}"], df[f"_an{i}"]
            continue
        den = pd_holds(ind.denominator, df, as_of)
        if ind.kind == "mean":
            assert ind.value is not None
            value = pd.to_numeric(df[ind.value], errors="coerce").to_numpy(dtype=np.float64)
            den = den & ~np.isnan(value)
            v = np.where(den, value, 0.0)
            wide[f"d{i}"], wide[f"n{i}"], wide[f"q{i}"] = den.astype(np.int64), v, v * v
        else:
            assert ind.numerator is not None
            num = den & pd_holds(ind.numerator, df, as_of)
            wide[f"d{i}"], wide[f"n{i}"] = den.astype(np.int64), num.astype(np.int64)
    frame = pd.DataFrame(wide, index=df.index)

    focus_node = criteria_node(criteria) if criteria is not None else None
    sums: list[tuple[str, str, Any]] = []
    if len(frame):
        sums.append(("overall", "all", frame.sum()))
    for grouping, labels in _pd_labels(df, focus_node, as_of).items():
        for group, row in frame.groupby(labels, sort=False).sum().iterrows():
            sums.append((grouping, str(group), row))
    return [c for g, k, row in sums for c in _pd_rows(g, k, row, plan)], plan


def _pd_rows(grouping: str, group: str, row: Any, plan: Plan) -> list[GroupCount]:
    out = []
    for i, ind in enumerate(plan.indicators):
        den = int(row[f"d{i}"])
        if den == 0:
            continue
        mean = ind.kind == "mean"
        out.append(
            GroupCount(
                indicator=ind.id,
                grouping=grouping,
                group=group,
                numerator=float(row[f"n{i}"]) if mean else int(row[f"n{i}"]),
                denominator=den,
                sum_sq=float(row[f"q{i}"]) if mean else None,
            )
        )
    return out


# --------------------------------------------------------------------------- baseline readers
#
# The benchmark times each implementation end to end, reading the CSV files included, so
# the twins need their own readers. They read clean extracts only (a bad cell raises
# ValueError): validation is the loader's job, and leaving it out only flatters the twins.


def _plain_cell(kind: str, cell: str, spec_default: str | None) -> Any:
    text = cell.strip()
    if kind == "bool":
        if not text:
            return False
        low = text.lower()
        if low in TRUE_SPELLINGS:
            return True
        if low in FALSE_SPELLINGS:
            return False
        raise ValueError(f"not a boolean: {cell!r}")
    if not text:
        return spec_default
    if kind == "int":
        return int(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind in ("code", "text", "id"):
        return text.lower() if kind == "code" else text
    if kind in ("ucode", "upper_text"):
        return text.upper()
    raise AssertionError(kind)


def _plain_rows(path: Any, specs: Sequence[Any]) -> tuple[list[Row], list[str]]:
    import csv

    kinds = {s.name: (s.kind, s.default) for s in specs}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader)]
        names = [h.lower() if h.lower() in kinds else h for h in header]
        rows: list[Row] = []
        for record in reader:
            row: Row = {}
            for name, cell in zip(names, record, strict=True):
                if name in kinds:
                    row[name] = _plain_cell(kinds[name][0], cell, kinds[name][1])
                else:
                    row[name] = cell.strip() or None
            rows.append(row)
    columns = [s.name for s in specs] + [n for n in names if n not in kinds]
    for row in rows:  # columns the file lacks take their DATA.md default
        for s in specs:
            if s.name not in row:
                row[s.name] = False if s.kind == "bool" else s.default
    return rows, columns


def plain_read_extract(
    folder: Any,
) -> tuple[list[Row], list[Row] | None, list[str], list[str] | None]:
    """Read a clean CSV extract folder with the csv module, one cell at a time.

    Returns patient rows, appointment rows (None without the file) and both column lists,
    with blank deciles filled from the LSOA as the loader does.
    """
    from pathlib import Path

    from gpequity.hna.extract import APPOINTMENT_SPECS, PATIENT_SPECS
    from gpequity.hna.imd import decile_for

    folder = Path(folder)
    patients, p_cols = _plain_rows(folder / "patients.csv", PATIENT_SPECS)
    for row in patients:
        if row["imd_decile"] is None and row["lsoa"] is not None:
            row["imd_decile"] = decile_for(row["lsoa"])
    if not (folder / "appointments.csv").exists():
        return patients, None, p_cols, None
    appointments, a_cols = _plain_rows(folder / "appointments.csv", APPOINTMENT_SPECS)
    return patients, appointments, p_cols, a_cols


def pandas_read_extract(folder: Any) -> tuple[pa.Table, pa.Table | None]:
    """Read a clean CSV extract folder with ``pandas.read_csv`` into the canonical tables.

    What an analyst would write: every column read as text, then converted column by column
    (booleans by spelling, whole numbers, ISO dates), deciles filled from the LSOA by a merge.
    """
    from pathlib import Path

    import pandas as pd

    from gpequity.hna import columns as C
    from gpequity.hna.extract import APPOINTMENT_SPECS, PATIENT_SPECS
    from gpequity.hna.imd import lsoa_deciles

    def convert(path: Path, specs: Sequence[Any], schema: pa.Schema) -> pa.Table:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        df.columns = [c.strip().lower() if c.strip().lower() in schema.names else c.strip()
                      for c in df.columns]  # fmt: skip
        out: dict[str, Any] = {}
        n = len(df)
        for s in specs:
            raw = df[s.name].str.strip() if s.name in df.columns else pd.Series([""] * n)
            blank = raw == ""
            if s.kind == "bool":
                low = raw.str.lower()
                bad = ~(low.isin(TRUE_SPELLINGS | FALSE_SPELLINGS) | blank)
                if bad.any():
                    raise ValueError(f"{path.name}: {s.name} is not boolean")
                out[s.name] = low.isin(TRUE_SPELLINGS).to_numpy()
            elif s.kind == "int":
                out[s.name] = pd.to_numeric(raw.mask(blank), errors="raise").astype("Int64")
            elif s.kind == "date":
                parsed = pd.to_datetime(raw.mask(blank), format="%Y-%m-%d", errors="raise")
                out[s.name] = parsed.dt.date
            else:
                text = raw.str.lower() if s.kind == "code" else raw
                if s.kind in ("ucode", "upper_text"):
                    text = raw.str.upper()
                out[s.name] = text.mask(blank, s.default)
        extras = [c for c in df.columns if c not in schema.names]
        frame = pd.DataFrame(out)
        for c in extras:
            frame[c] = df[c].str.strip().replace("", None)
        if "imd_decile" in frame.columns:
            imd = lsoa_deciles().to_pandas().rename(columns={"imd_decile": "_imd"})
            merged = frame[["lsoa"]].merge(imd, how="left", left_on="lsoa", right_on="lsoa11cd")
            frame["imd_decile"] = frame["imd_decile"].fillna(
                pd.Series(merged["_imd"].to_numpy(), index=frame.index).astype("Int64")
            )
        target = pa.schema([*schema, *[pa.field(c, pa.string()) for c in extras]])
        return pa.Table.from_pandas(frame, schema=target, preserve_index=False)

    folder = Path(folder)
    patients = convert(folder / "patients.csv", PATIENT_SPECS, C.PATIENTS_SCHEMA)
    if not (folder / "appointments.csv").exists():
        return patients, None
    return patients, convert(folder / "appointments.csv", APPOINTMENT_SPECS, C.APPOINTMENTS_SCHEMA)
