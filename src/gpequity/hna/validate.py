"""Validation report for a practice extract: issues, their counts, and completeness facts.

The checks themselves run inside DuckDB while the extract is read (``gpequity.hna.extract``),
so that validating 2 million patients costs about one scan of the files. This module holds
the report that the checks fill in, and ``validate_extract`` which reads an extract only to
report on it.

Issues name the file, the line (1-based, the CSV header is line 1; for Parquet the 1-based
row number), the column and the offending value, as DATA.md asks. Nothing else about a
patient is ever put into a message. Only the first ``max_examples`` issues of each
(file, column, kind) are kept as examples; ``counts_by_kind`` always has the full counts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from gpequity.archives import Limits

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem found in the extract (or a note on rows dropped)."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    kind: str
    message: str
    severity: Severity = "error"

    def describe(self) -> str:
        """One line for people: where, what, and the value."""
        where = self.file + (f", line {self.line}" if self.line is not None else "")
        where += f", column {self.column}" if self.column else ""
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{value}"


GroupKey = tuple[str, str | None, str, Severity]


@dataclass
class ValidationReport:
    """Everything validation found: example issues, full counts, rows read, completeness."""

    source: str = ""
    issues: list[Issue] = field(default_factory=list)
    counts_by_kind: dict[GroupKey, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    completeness: dict[str, Any] = field(default_factory=dict)
    max_examples: int = 100

    # ------------------------------------------------------------------ filling in
    def add(self, issue: Issue, count: int = 1) -> None:
        """Record ``count`` occurrences of the kind of ``issue``, keeping it as an example."""
        key = (issue.file, issue.column, issue.kind, issue.severity)
        self.counts_by_kind[key] = self.counts_by_kind.get(key, 0) + count
        if sum(1 for i in self.issues if _key(i) == key) < self.max_examples:
            self.issues.append(issue)

    def add_group(self, examples: list[Issue], total: int) -> None:
        """Record a group of ``total`` issues of one kind of which ``examples`` are the first."""
        if not examples or total <= 0:
            return
        key = _key(examples[0])
        self.counts_by_kind[key] = self.counts_by_kind.get(key, 0) + total
        kept = sum(1 for i in self.issues if _key(i) == key)
        self.issues.extend(examples[: max(0, self.max_examples - kept)])

    def demote_errors(self) -> None:
        """Turn every error into a warning: used once the rows at fault have been dropped,
        so that the report of the extract as loaded is ok but still lists what was left out.
        """
        self.issues = [replace(i, severity="warning") for i in self.issues]
        demoted: dict[GroupKey, int] = {}
        for (file, column, kind, _), n in self.counts_by_kind.items():
            key = (file, column, kind, "warning")
            demoted[key] = demoted.get(key, 0) + n
        self.counts_by_kind = demoted

    # ------------------------------------------------------------------ reading
    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def error_count(self) -> int:
        return sum(n for k, n in self.counts_by_kind.items() if k[3] == "error")

    @property
    def warning_count(self) -> int:
        return sum(n for k, n in self.counts_by_kind.items() if k[3] == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings are allowed)."""
        return self.error_count == 0

    def summary(self, max_per_kind: int = 5) -> str:
        """A readable summary: each (file, column, kind) with its count and first examples."""
        lines: list[str] = []
        head = f"Extract {self.source}: " if self.source else "Extract: "
        if self.ok and not self.warning_count:
            head += "no problems found"
        else:
            head += f"{self.error_count:,} error(s), {self.warning_count:,} warning(s)"
        rows = ", ".join(f"{f}: {n:,} row{'' if n == 1 else 's'}" for f, n in self.counts.items())
        lines.append(head + (f" ({rows})" if rows else "") + ".")
        grouped: dict[GroupKey, list[Issue]] = defaultdict(list)
        for issue in self.issues:
            grouped[_key(issue)].append(issue)
        order = sorted(self.counts_by_kind, key=lambda k: (k[3] != "error", k[0], k[1] or "", k[2]))
        for key in order:
            file, column, kind, severity = key
            total = self.counts_by_kind[key]
            label = f"{severity.upper()} {file}" + (f" column {column}" if column else "")
            examples = grouped.get(key, [])
            message = examples[0].message if examples else kind
            if kind == "dropped":  # one note whose count is rows, already in its message
                lines.append(f"- {label}: {message} [{kind}]")
                continue
            lines.append(f"- {label}: {message} [{kind}] x {total:,}")
            for issue in examples[:max_per_kind]:
                lines.append(f"    {issue.describe()}")
            if total > min(len(examples), max_per_kind):
                lines.append(f"    ... and {total - min(len(examples), max_per_kind):,} more")
        return "\n".join(lines)

    def profile(self) -> str:
        """What the extract holds, beyond its problems: blank shares, the IMD fill, columns
        left out and the span of appointment dates ("" when the extract was not read)."""
        facts = self.completeness
        blank = facts.get("blank_share") or {}
        if not blank:
            return ""
        absent = set(facts.get("absent_columns") or ())

        fill = facts.get("imd_filled_from_lsoa") or 0
        rows = max(facts.get("rows") or 0, 1)

        def share(n: str) -> str:
            label = "smoker unknown" if n == "smoker" else n
            text = f"{label} {_percent(blank[n])}"
            if n == "imd_decile" and fill:
                text += f" ({_percent(blank[n] - fill / rows)} once filled from the LSOA)"
            return text

        recorded = [n for n in blank if not n.endswith("_date") and n not in absent]
        dates = [n for n in blank if n.endswith("_date") and n not in absent]
        lines = ["About the data:"]
        if recorded:
            lines.append(f"  - blank: {', '.join(share(n) for n in recorded)}")
        if fill or facts.get("lsoa_not_in_imd2019"):
            from gpequity.hna.imd import IMD_ATTRIBUTION

            lines.append(
                f"  - imd_decile filled from the LSOA for {fill:,} patient{'s' * (fill != 1)}; "
                f"{facts.get('lsoa_not_in_imd2019') or 0:,} LSOA codes not in the IMD 2019 "
                f"table. {IMD_ATTRIBUTION}"
            )
        if dates:
            lines.append(f"  - no date recorded: {', '.join(share(n) for n in dates)}")
        if absent:
            lines.append(f"  - columns not in the file: {', '.join(sorted(absent))}")
        span = facts.get("appointment_dates")
        if span:
            lines.append(f"  - appointments from {span[0]} to {span[1]}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "counts": dict(self.counts),
            "groups": [
                {"file": f, "column": c, "kind": k, "severity": s, "count": n}
                for (f, c, k, s), n in self.counts_by_kind.items()
            ],
            "issues": [asdict(i) for i in self.issues],
            "completeness": self.completeness,
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)


def _percent(share: float) -> str:
    """A share as a whole percentage that never rounds a few to none or all."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{max(share, 0.0):.0%}"


def _key(issue: Issue) -> GroupKey:
    return (issue.file, issue.column, issue.kind, issue.severity)


class ExtractError(Exception):
    """The extract has errors and the caller did not ask for bad rows to be dropped."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report)
        self.report = report

    def __str__(self) -> str:
        return self.report.summary()


def validate_extract(
    path: str | Path, *, max_examples: int = 100, limits: Limits | None = None
) -> ValidationReport:
    """Check an extract (folder or .zip) against every DATA.md rule and return the report.

    Never raises for problems in the data; they are all in the report.
    """
    from .extract import read_extract

    return read_extract(Path(path), drop_bad_rows=False, max_examples=max_examples, limits=limits)
