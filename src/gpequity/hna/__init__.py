"""Health needs assessment: extract reading and validation, indicators, engine, outputs."""

from typing import Any

__all__ = ["run"]


def __getattr__(name: str) -> Any:
    """``gpequity.hna.run`` without importing the engine (Ibis, DuckDB) on every import."""
    if name == "run":
        from gpequity.hna.api import run

        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
