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
    """Parse YAML/JSON text holding ``{indicators: [...]}`` (or a bare list).

    Problems are reported one per line with the file, line, column, field and value.
    """
    try:
        # libyaml's safe loader when present: the defaults are parsed on every run.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start:
            problem += f", {context} from line {start.line + 1}, column {start.column + 1}"
        raise IndicatorError(f"{source}{where}: not valid YAML ({problem})") from exc
    bare = isinstance(data, list)
    if bare:
        data = {"indicators": data}
    try:
        return IndicatorFile.model_validate(data).indicators
    except ValidationError as exc:
        raise IndicatorError(_located_errors(exc, text, source, data, bare)) from exc


_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")


def _located_errors(exc: ValidationError, text: str, source: str, data: object, bare: bool) -> str:
    """Pydantic's errors as one line each: file, line, column, field, problem and value."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    listed = data.get("indicators") if isinstance(data, dict) else None
    lines = [f"{source}: {exc.error_count()} problem(s) in the indicator definitions:"]
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])[1:] if bare else tuple(error["loc"])
        node, missing = _node_at(root, loc, key=error["type"] == "extra_forbidden")
        where = ""
        if node is not None:
            where = f", line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"
        field = _field(error["loc"], listed)
        message = error["msg"]
        for prefix in _MESSAGE_PREFIXES:
            message = message.removeprefix(prefix)
        if error["type"] == "missing":
            message = f"'{missing}' is required"
            field = _field(error["loc"][:-1], listed)
        elif error["type"] == "extra_forbidden":
            message = f"'{error['loc'][-1]}' is not a field of an indicator definition"
            field = _field(error["loc"][:-1], listed)
        value = error.get("input")
        shown = ""
        if error["type"] != "missing" and isinstance(value, str | int | float | bool):
            shown = f" (value {value!r})"
        lines.append(f"  - {source}{where}, {field}: {message}{shown}")
    return "\n".join(lines)


def _field(loc: Sequence[object], listed: object) -> str:
    """('indicators', 1, 'kind') as "indicator 2 'mean_age', kind"."""
    parts = list(loc)
    name = "the file"
    if len(parts) >= 2 and parts[0] == "indicators" and isinstance(parts[1], int):
        i = parts[1]
        entry = listed[i] if isinstance(listed, list) and i < len(listed) else None
        ident = entry.get("id") if isinstance(entry, dict) else None
        name = f"indicator {i + 1}" + (f" '{ident}'" if isinstance(ident, str) else "")
        parts = parts[2:]
    elif parts:
        name = str(parts.pop(0))
    rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    return f"{name}, {rest}" if rest else name


def _node_at(
    root: yaml.Node | None, loc: Sequence[object], *, key: bool = False
) -> tuple[yaml.Node | None, str]:
    """The YAML node at ``loc`` (its key's node when ``key``; the nearest parent when a key
    is missing), and the missing key's name when there is one."""
    node = root
    for n, part in enumerate(loc):
        child = None
        if isinstance(node, yaml.MappingNode):
            last = key and n == len(loc) - 1
            child = next((k if last else v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            return node, str(part)
        node = child
    return node, ""


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
