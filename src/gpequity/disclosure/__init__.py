"""Disclosure control for outputs shared beyond the practice (DATA.md rules)."""

from gpequity.disclosure.control import (
    DEFAULT_MEAN_INDICATORS,
    ROUND_TO,
    THRESHOLD,
    Table,
    apply_to_breakdown,
    apply_to_frame,
    apply_to_indicators,
    apply_to_table,
    suppress_count,
)

__all__ = [
    "DEFAULT_MEAN_INDICATORS",
    "ROUND_TO",
    "THRESHOLD",
    "Table",
    "apply_to_breakdown",
    "apply_to_frame",
    "apply_to_indicators",
    "apply_to_table",
    "suppress_count",
]
