"""Python API of the health needs assessment: ``gpequity.hna.run(...)``.

One call reads and validates the extract (or takes an already loaded ``Extract``), runs the
indicators on the chosen engine, adds the statistics and, when asked, disclosure control.
The CLI and the web app both go through here, so they give the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gpequity import __version__
from gpequity.hna import results
from gpequity.hna.criteria import CriteriaError, Group, json_problem
from gpequity.hna.engine import (
    DuckDBSource,
    Plan,
    PracticeCells,
    Progress,
    compute_counts,
    compute_system_cells,
    focus_criteria,
    is_system_extract,
)
from gpequity.hna.indicators import Indicator, resolve
from gpequity.hna.runinfo import RunInfo, definitions_data, extract_fingerprint

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from gpequity.findings import Finding

BLANK_WARNING_SHARE = 0.2
_WATCHED_COLUMNS = ("ethnicity", "imd_decile", "language", "smoker")


class FocusError(ValueError):
    """Focus Patient criteria that cannot be read."""


def read_focus(focus: str | Path | Mapping[str, Any] | Group | None) -> Any:
    """Focus criteria as data: a dict, JSON text, or a path to a JSON/YAML file.

    Reading the file (or JSON) happens before the extract is loaded, so a typo fails fast.
    """
    if focus is None or isinstance(focus, Group | Mapping):
        return focus
    if isinstance(focus, Path) or not focus.lstrip().startswith("{"):
        return _read_focus_file(Path(focus))
    try:
        return json.loads(focus)
    except json.JSONDecodeError as exc:
        raise FocusError(f"focus criteria are not valid JSON: {json_problem(exc)}") from exc


class _FocusFile(dict):  # type: ignore[type-arg]
    """Criteria read from a file, with where each group and condition starts in it."""

    def __init__(self, data: Mapping[str, Any], source: str, marks: dict[tuple[int, ...], Any]):
        super().__init__(data)
        self.source, self.marks = source, marks


def _read_focus_file(path: Path) -> Any:
    """A JSON or YAML file; problems found later can then name their line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "it is not UTF-8 text"
        raise FocusError(f"cannot read focus criteria file {path}: {why}") from exc
    loader = yaml.SafeLoader(text)
    try:  # parsed once: the node tree gives the positions, the same tree the data
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as yaml_exc:
        try:  # JSON that YAML cannot read: indented with tabs
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if text.lstrip().startswith("{"):
                at = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
            else:
                mark = getattr(yaml_exc, "problem_mark", None)
                problem = getattr(yaml_exc, "problem", None) or "not YAML"
                at = (
                    f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
                    if mark
                    else problem
                )
            raise FocusError(f"focus criteria file {path} is not valid JSON/YAML ({at})") from exc
    finally:
        loader.dispose()
    if not isinstance(data, Mapping):
        return data
    marks: dict[tuple[int, ...], Any] = {}
    _item_marks(node, (), marks)
    return _FocusFile(data, str(path), marks)


def _item_marks(node: Any, path: tuple[int, ...], marks: dict[tuple[int, ...], Any]) -> None:
    """Where each group and condition starts, by position (as ``CriteriaError.problems``)."""
    marks[path] = node.start_mark
    if isinstance(node, yaml.MappingNode) and len(node.value) == 1:
        key, items = node.value[0]
        if key.value in ("any", "all") and isinstance(items, yaml.SequenceNode):
            for i, item in enumerate(items.value):
                _item_marks(item, (*path, i), marks)


def _located(exc: CriteriaError, data: Any) -> str:
    """The criteria's problems, each with its file, line and column when read from a file."""
    if not isinstance(data, _FocusFile) or not exc.problems:
        return str(exc)
    lines = [f"{data.source}: {len(exc.problems)} problem(s) in the focus criteria:"]
    for path, message in exc.problems:
        mark = data.marks.get(path)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        lines.append(f"  - {data.source}{where}: {message}")
    return "\n".join(lines)


def parse_focus(
    focus: str | Path | Mapping[str, Any] | Group | None,
    patient_columns: Sequence[str] = (),
) -> Group | None:
    """Focus criteria parsed and type-checked by the shared core evaluator (``criteria``).

    The same parser serves the web Focus group, so a group saved there runs here unchanged.
    ``patient_columns`` lets criteria use extra columns kept from the extract.
    """
    return _checked_focus(read_focus(focus), patient_columns)


def _checked_focus(data: Any, patient_columns: Sequence[str]) -> Group | None:
    if data is None:
        return None
    if not isinstance(data, Group | Mapping):
        raise FocusError('focus criteria must be one group: {"any": [...]} or {"all": [...]}')
    try:
        return focus_criteria(data, patient_columns)
    except CriteriaError as exc:
        raise FocusError(_located(exc, data)) from exc


STALE_EXTRACT_DAYS = 31


def _as_of_warnings(as_of: date, completeness: Mapping[str, Any], today: date) -> list[str]:
    """Warnings when the as-of date does not fit the extract: windows end on the as-of date,
    so appointments that stop well before it, or a date still to come, make rates look low."""
    warnings = []
    if as_of > today:
        warnings.append(
            f"the as-of date {as_of} is in the future: the windows that end on it are not over"
        )
    dates = completeness.get("appointment_dates")
    if dates:
        last = date.fromisoformat(dates[1])
        gap = (as_of - last).days
        if gap > STALE_EXTRACT_DAYS:
            warnings.append(
                f"the last appointment in the extract is on {last}, {gap} days before the "
                "as-of date: appointment indicators miss the time in between"
            )
        elif gap < 0:
            warnings.append(
                f"the extract has appointments up to {last}, after the as-of date {as_of}: "
                "those are not counted"
            )
    return warnings


def _completeness_warnings(completeness: Mapping[str, Any]) -> list[str]:
    """Plain-English warnings about columns mostly blank or absent."""
    warnings = []
    absent = set(completeness.get("absent_columns") or ())
    blank = completeness.get("blank_share") or {}
    for column in _WATCHED_COLUMNS:
        if column in absent:
            warnings.append(f"{column} is not in the extract: its breakdowns show as unknown")
        elif blank.get(column, 0.0) >= BLANK_WARNING_SHARE:
            warnings.append(f"{column} is blank for {blank[column]:.0%} of patients")
    not_found = completeness.get("lsoa_not_in_imd2019") or 0
    if not_found:
        warnings.append(f"{not_found} LSOA codes were not found in the IMD 2019 table")
    return warnings


@dataclass
class HNAResult:
    """The outcome of a run: the two DATA.md tables plus what a reader needs to trust them.

    The tables are kept as rows (``indicator_rows``, ``gradient_rows``) and handed out as
    pandas DataFrames (``indicators``, ``gradients``, built on first use) or as pyarrow
    Tables (``arrow()``).
    """

    indicator_rows: list[results.Row]
    gradient_rows: list[results.Row]
    notes: list[str]
    validation: Any = None
    definitions: list[Indicator] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    imd_attribution: str | None = None
    shareable: bool = False
    run_info: RunInfo | None = None
    """What the run used (DATA.md "Results over time"): as-of date, extract fingerprint,
    Focus criteria, indicator definitions, gpequity version."""
    practices: results.PracticeTables | None = None
    """For a system extract (patients with ``practice_code``): the ``practice_indicators``
    and ``practice_gradients`` rows and their notes; None otherwise."""

    @property
    def practice_indicator_rows(self) -> list[results.Row] | None:
        """DATA.md ``practice_indicators`` rows (system extracts only)."""
        return self.practices.indicators if self.practices is not None else None

    @property
    def practice_gradient_rows(self) -> list[results.Row] | None:
        """DATA.md ``practice_gradients`` rows (system extracts only)."""
        return self.practices.gradients if self.practices is not None else None

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """The DATA.md ``indicators`` table as a pandas DataFrame."""
        return results.indicators_frame(self.indicator_rows)

    @cached_property
    def gradients(self) -> pd.DataFrame:
        """The DATA.md ``gradients`` table as a pandas DataFrame."""
        return results.gradients_frame(self.gradient_rows)

    def arrow(self) -> tuple[pa.Table, pa.Table]:
        """The ``indicators`` and ``gradients`` tables as pyarrow Tables."""
        return (
            results.arrow_table(self.indicator_rows, results.INDICATOR_COLUMNS),
            results.arrow_table(self.gradient_rows, results.GRADIENT_COLUMNS),
        )

    def info(self) -> list[results.IndicatorInfo]:
        return _info(self.definitions)

    def findings(self, limit: int | None = None, pack: Any = None) -> list[Finding]:
        """The run's findings (DATA.md "Findings"), ranked; see ``gpequity.findings.find``."""
        from gpequity.findings import find

        return find(self.indicator_rows, definitions=self.definitions, pack=pack, limit=limit)

    def summary(self, limit: int = 10) -> str:
        """A short plain-English summary: the findings, data warnings, notes."""
        text = summary_text(
            self.findings(limit=limit),
            indicators=len(self.definitions),
            notes=self.notes,
            warnings=self.warnings,
        )
        left_out = self.left_out()
        if left_out:
            text += "\n" + left_out
        if self.imd_attribution:
            text += f"\nIMD deciles were filled from LSOA codes. {self.imd_attribution}"
        return text

    def left_out(self, max_per_kind: int = 3) -> str:
        """What ``drop_bad_rows`` left out, and why: the rows dropped per file and the
        problems found (with their first lines), or "" when nothing was dropped."""
        report = self.validation
        dropped = [i for i in report.issues if i.kind == "dropped"] if report else []
        if not dropped:
            return ""
        lines = ["Left out (--drop-bad-rows); the figures above are without these rows:"]
        lines += [f"  - {i.file}: {i.message}" for i in dropped]
        lines.append("  because of:")
        for (file, column, kind, _), total in report.counts_by_kind.items():
            if kind in ("dropped", "lsoa_not_found"):  # an unknown LSOA drops nothing
                continue
            examples = [
                i for i in report.issues if (i.file, i.column, i.kind) == (file, column, kind)
            ]
            where = f"{file}, column {column}" if column else file
            message = examples[0].message if examples else kind
            lines.append(f"  - {where}: {message} ({total:,} found), for example")
            lines += [f"      {i.describe()}" for i in examples[:max_per_kind]]
        return "\n".join(lines)

    def xlsx(self, pack: Any = None) -> bytes:
        """The results as an XLSX workbook: Indicators, Gradients, Findings and Run sheets,
        readable labels beside the ids, text escaped against formula injection."""
        from gpequity.hna.xlsx import results_workbook

        return results_workbook(
            self.indicator_rows,
            self.gradient_rows,
            definitions=self.definitions,
            findings=self.findings(pack=pack),
            run_info=self.run_info,
        )

    def write(self, out: str | Path) -> Path:
        """Write indicators/gradients as CSV and JSON into ``out``, with ``run.json`` (what
        the run used) beside them; all or nothing."""
        return results.write_outputs(
            out,
            self.indicator_rows,
            self.gradient_rows,
            run_info=self.run_info,
            practices=self.practices,
        )


SUMMARY_ACTIONS = 3
"""Toolkit actions listed under each finding in the terminal summary (the rest counted)."""


def summary_text(
    findings: Sequence[Finding],
    *,
    indicators: int,
    notes: Sequence[str] = (),
    warnings: Sequence[str] = (),
) -> str:
    """The terminal summary: the findings as sentences with their toolkit actions."""
    from gpequity.findings import MIN_GROUP_SIZE

    lines = [f"Health needs assessment: {indicators} indicators computed."]
    if findings:
        lines.append(
            "Findings, the largest gaps (groups worse than everyone else, "
            f"{MIN_GROUP_SIZE} or more in the group; most patients to act on first):"
        )
        for n, f in enumerate(findings, 1):
            lines.append(f"  {n}. {f.sentence}")
            if f.actions:
                shown = [
                    f"{a.code or a.key} {a.title} ({a.tier_name})"
                    for a in f.actions[:SUMMARY_ACTIONS]
                ]
                more = len(f.actions) - SUMMARY_ACTIONS
                tail = f"; and {more} more" if more > 0 else ""
                lines.append(f"     Toolkit actions: {'; '.join(shown)}{tail}")
    else:
        lines.append(
            f"No group of {MIN_GROUP_SIZE} or more is worse than everyone else on any "
            "indicator with a better direction."
        )
    if warnings:
        lines.append("About the data:")
        lines.extend(f"  - {w}" for w in warnings)
    if notes:
        lines.append("Notes:")
        lines.extend(f"  - {n}" for n in notes)
    return "\n".join(lines)


def _info(definitions: Sequence[Indicator]) -> list[results.IndicatorInfo]:
    """What the statistics and the summary need to know of each indicator."""
    return [
        results.IndicatorInfo(d.id, d.kind, d.title, d.higher_is_better, frozenset(d.referenced()))
        for d in definitions
    ]


READ_SHARE = 0.3
"""The part of a run's progress bar that reading and checking the extract fills."""


def _load(extract: Any, drop_bad_rows: bool, progress: Progress | None, limits: Any = None) -> Any:
    if isinstance(extract, str | Path):
        from gpequity.hna.extract import load_extract

        reading = (lambda m, f: progress(m, f * READ_SHARE)) if progress else None
        return load_extract(extract, drop_bad_rows=drop_bad_rows, progress=reading, limits=limits)
    return extract


def _count(
    loaded: Any,
    *,
    as_of: date,
    focus_data: Any,
    definitions: Sequence[Indicator],
    engine: str,
    spark: Any,
    progress: Progress | None,
) -> tuple[list[results.GroupCount], Plan, Group | None, PracticeCells | None]:
    """Count on the chosen engine; on DuckDB, inside the loader's own connection if it has one.

    Also hands back the Focus criteria as parsed and checked (for the run's record), and for
    a system extract each practice's counts (None otherwise)."""
    if hasattr(loaded, "duckdb_source"):  # Spark gets Parquet written from it
        con, p_schema, a_schema = loaded.duckdb_source()
        patients: Any = DuckDBSource(con, p_schema, a_schema)
        appointments = None
    else:
        patients, appointments = loaded.patients, loaded.appointments
        p_schema = patients.schema
    focus_group = _checked_focus(focus_data, p_schema.names)
    kwargs = {
        "as_of": as_of,
        "indicators": definitions,
        "focus": focus_group,
        "engine": engine,
        "spark": spark,
        "progress": progress,
    }
    if is_system_extract(patients):
        counts, plan, by_practice = compute_system_cells(patients, appointments, **kwargs)
        return counts, plan, focus_group, by_practice
    counts, plan = compute_counts(patients, appointments, **kwargs)
    return counts, plan, focus_group, None


def run(
    extract: Any,
    *,
    as_of: date | str,
    focus: str | Path | Mapping[str, Any] | Group | None = None,
    indicators: str | Path | Sequence[Indicator] | None = None,
    engine: str = "duckdb",
    shareable: bool = False,
    drop_bad_rows: bool = False,
    progress: Progress | None = None,
    spark: Any = None,
    limits: Any = None,
) -> HNAResult:
    """Run the health needs assessment.

    ``extract`` is a path (folder or zip; read and validated, raising ``ExtractError`` when
    invalid) or an ``Extract``. ``indicators`` adds to / overrides the defaults (a YAML file
    or a list of definitions). ``shareable`` applies disclosure control to every output.
    ``progress(message, fraction)`` is told how the run is going; with the spark engine it is
    also called from a watcher thread while Spark counts, so it must be thread-safe.
    ``limits`` (``gpequity.archives.Limits``) caps what a zipped extract may unpack to; the
    default is 4 GB, or ``GPEQUITY_MAX_UNZIPPED_BYTES``.
    """
    as_of_date = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    focus_data = read_focus(focus)
    definitions = resolve(indicators)
    if focus_data is not None and isinstance(extract, str | Path):
        from gpequity.hna.extract import patient_columns_at_a_glance

        if (columns := patient_columns_at_a_glance(extract)) is not None:
            _checked_focus(focus_data, columns)  # a misspelt column fails before the read
    loaded = _load(extract, drop_bad_rows, progress, limits)
    fingerprint = extract_fingerprint(extract) if isinstance(extract, str | Path) else None
    try:
        counts, plan, focus_group, by_practice = _count(
            loaded,
            as_of=as_of_date,
            focus_data=focus_data,
            definitions=definitions,
            engine=engine,
            spark=spark,
            progress=progress,
        )
    finally:
        if loaded is not extract:  # read here: free its DuckDB connection
            loaded.close()
    if progress:
        progress("Working out intervals and gradients", 0.92)
    info = _info(plan.indicators)
    table = results.indicator_rows(counts, info)
    gradients, gradient_notes = results.gradient_rows(counts, info)
    means = {d.id for d in plan.indicators if d.kind == "mean"}
    if shareable:
        table, gradients = results.apply_disclosure(table, gradients, mean_indicators=means)
    practices = None
    if by_practice is not None:
        practices = results.practice_tables(
            by_practice, info, mean_indicators=means if shareable else None
        )
    notes = [f"{ind}: {why}" for ind, why in plan.skipped.items()]
    notes += plan.notes + gradient_notes
    report = getattr(loaded, "report", None)
    completeness = getattr(report, "completeness", None) or {}
    attribution = None
    if completeness.get("imd_filled_from_lsoa"):
        from gpequity.hna.imd import IMD_ATTRIBUTION

        attribution = IMD_ATTRIBUTION
    if progress:
        progress("Done", 1.0)
    return HNAResult(
        indicator_rows=table,
        gradient_rows=gradients,
        notes=notes,
        validation=report,
        definitions=plan.indicators,
        warnings=_as_of_warnings(as_of_date, completeness, date.today())
        + _completeness_warnings(completeness),
        imd_attribution=attribution,
        shareable=shareable,
        practices=practices,
        run_info=RunInfo(
            as_of=as_of_date,
            extract_fingerprint=fingerprint,
            focus=focus_group.to_dict() if focus_group is not None else None,
            indicators=definitions_data(plan.indicators),
            gpequity_version=__version__,
            shareable=shareable,
            drop_bad_rows=drop_bad_rows,
            skipped=dict(plan.skipped),
        ),
    )
