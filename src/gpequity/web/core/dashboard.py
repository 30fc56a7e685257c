"""Sections other areas add to the practice dashboard, without editing the dashboard.

An area registers a section (usually in its AppConfig.ready) with a template and a function
``build(user, org) -> dict | None``; the dashboard renders the template with that dict, in
the order given by ``order``, and leaves the section out when ``build`` returns None (nothing
to show, or the user may not see it). The HNA area registers "latest findings" (order 20),
engagement "waiting for a response" (order 40). Plan items due (10) and the next actions
to the next tier (30) are the dashboard's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    key: str
    order: int
    template: str
    build: Callable[[Any, Any], dict | None]


SECTIONS: dict[str, Section] = {}


def register_section(
    key: str, *, order: int, template: str, build: Callable[[Any, Any], dict | None]
) -> None:
    SECTIONS[key] = Section(key, order, template, build)


def sections_for(user, org) -> list[dict]:
    out = []
    for section in sorted(SECTIONS.values(), key=lambda s: s.order):
        ctx = section.build(user, org)
        if ctx is not None:
            out.append({"key": section.key, "template": section.template, "ctx": ctx})
    return out
