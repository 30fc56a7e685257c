"""Indicator definitions as data: the defaults shipped here plus any user file.

``--indicators FILE`` adds definitions to the defaults; one with the id of a default replaces
it in place. Files are YAML (or JSON, which YAML reads) checked against the pydantic schema;
nothing in them is ever evaluated as code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from gpequity.hna.indicators.conditions import ConditionError, describe, parse_condition
from gpequity.hna.indicators.schema import (
    APPOINTMENT_MEASURES,
    MEASURES,
    PATIENT_MEASURES,
    Indicator,
    IndicatorFile,
)

__all__ = [
    "APPOINTMENT_MEASURES",
    "MEASURES",
    "PATIENT_MEASURES",
    "ConditionError",
    "Indicator",
    "IndicatorError",
    "IndicatorFile",
    "default_indicators",
    "describe",
    "load_file",
    "merge",
    "parse_condition",
    "parse_text",
    "resolve",
]


class IndicatorError(ValueError):
    """An indicator file that cannot be read or does not follow the schema."""


def parse_text(text: str, source: str = "<text>") -> list[Indicator]:
    """Parse YAML/JSON text holding ``{indicators: [...]}`` (or a bare list)."""
    try:
        # libyaml's safe loader when present: the defaults are parsed on every run.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise IndicatorError(f"{source}: not valid YAML: {exc}") from exc
    if isinstance(data, list):
        data = {"indicators": data}
    try:
        return IndicatorFile.model_validate(data).indicators
    except ValidationError as exc:
        raise IndicatorError(f"{source}: {exc}") from exc


def load_file(path: str | Path) -> list[Indicator]:
    """Load one indicator file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IndicatorError(f"cannot read indicator file {p}: {exc.strerror}") from exc
    return parse_text(text, str(p))


def default_indicators() -> list[Indicator]:
    """The DATA.md default indicators, in their documented order."""
    text = resources.files(__name__).joinpath("default.yaml").read_text(encoding="utf-8")
    return parse_text(text, "default.yaml")


def merge(base: Sequence[Indicator], extra: Iterable[Indicator]) -> list[Indicator]:
    """Defaults plus user definitions: same id replaces in place, new ids are appended."""
    result = list(base)
    index = {ind.id: i for i, ind in enumerate(result)}
    for ind in extra:
        if ind.id in index:
            result[index[ind.id]] = ind
        else:
            index[ind.id] = len(result)
            result.append(ind)
    return result


def resolve(
    indicators: str | Path | Sequence[Indicator] | None = None,
) -> list[Indicator]:
    """What a run uses: defaults, merged with a file path or a list of definitions."""
    if indicators is None:
        return default_indicators()
    if isinstance(indicators, str | Path):
        return merge(default_indicators(), load_file(indicators))
    return merge(default_indicators(), indicators)
