"""Words for groupings, groups and values: the findings module's, so every page, export and
the CLI name a group the same way."""

from __future__ import annotations

from gpequity.findings import (  # noqa: F401
    format_value,
    group_label,
    grouping_label,
    rest_label,
)
