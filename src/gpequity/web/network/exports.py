"""CSV exports of the network views: the same disclosed figures as the pages."""

from __future__ import annotations

import csv
import io
from typing import Any

from gpequity.spreadsheets import csv_cell

BENCHMARK_COLUMNS = (
    "practice_code",
    "practice",
    "pcn",
    "as_of",
    "indicator",
    "grouping",
    "group",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "status",
    "compared_with_rest",
    "against_network",
)
STATUS = {
    "shown": "shown",
    "suppressed": "suppressed",
    "no_patients": "no patients in this group",
    "cannot": "cannot be calculated",
}


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    return csv_cell(v)


def benchmark_csv(ctx: dict[str, Any]) -> bytes:
    """One row per practice; suppressed counts are written as "suppressed", never blank."""
    from .benchmarking import VIEWS

    bench = ctx["bench"]
    spec = VIEWS[bench.view]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BENCHMARK_COLUMNS)
    mean = bench.definition.kind == "mean"
    for e in bench.entries:
        shown = e.state == "shown"
        suppressed = e.state == "suppressed"

        def count(v, *, numerator=False, suppressed=suppressed):
            if suppressed:
                return "suppressed"
            if numerator and mean:
                return ""
            return v if v is not None else ""

        writer.writerow(
            [
                _cell(e.practice.ods_code),
                _cell(e.practice.name),
                _cell(e.practice.parent.name if e.practice.parent else ""),
                e.as_of.isoformat(),
                bench.definition.id,
                spec["grouping"],
                spec["group"],
                count(e.numerator, numerator=True),
                count(e.denominator),
                e.value if shown else "",
                e.lower if shown and e.lower is not None else "",
                e.upper if shown and e.upper is not None else "",
                STATUS[e.state],
                e.compared_with_rest or "",
                e.position.side if e.position else "",
            ]
        )
    return out.getvalue().encode("utf-8")
