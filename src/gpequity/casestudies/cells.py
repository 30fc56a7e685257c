"""Spreadsheet-safe cells for CSV exports (OWASP CSV injection guidance)."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape(value: str) -> str:
    """A cell a spreadsheet will show as text: a leading quote before a formula start."""
    return "'" + value if value.startswith(FORMULA_START) else value


def unescape(value: str) -> str:
    """What ``escape`` was given (the export's round trip)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
