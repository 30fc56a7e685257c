"""Findings of a health needs assessment (DATA.md "Findings: the largest gaps").

The one rule the command line's summary, the web report and the PDF all use, and the words
they all use for groupings, groups and values. Importable without Django::

    from gpequity.findings import find
    findings = find(result.indicator_rows, definitions=result.definitions, limit=10)
    for f in findings:
        print(f.sentence)
"""

from gpequity.findings.labels import (
    format_difference,
    format_number,
    format_value,
    group_label,
    group_phrase,
    grouping_label,
    mirror,
    rest_label,
    rest_phrase,
)
from gpequity.findings.rule import (
    MIN_GROUP_SIZE,
    Finding,
    RecommendedAction,
    find,
)

__all__ = [
    "MIN_GROUP_SIZE",
    "Finding",
    "RecommendedAction",
    "find",
    "format_difference",
    "format_number",
    "format_value",
    "group_label",
    "group_phrase",
    "grouping_label",
    "mirror",
    "rest_label",
    "rest_phrase",
]
