"""`gpequity synth`: write a synthetic extract (implemented with gpequity.synth)."""

from __future__ import annotations

import typer


def synth() -> None:
    """Write a synthetic practice extract."""
    raise typer.Exit(2)
