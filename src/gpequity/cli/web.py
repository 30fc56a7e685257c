"""`gpequity demo`, `gpequity serve` and `gpequity manage ...`: the web application."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the web commands to the top-level app."""
