"""Schema for framework packs: a framework, its ordered tiers, themes and actions.

A pack is a YAML file validated by :class:`Pack`. Keys are stable forever: other data
(assessments, plans, imported official text) refers to actions by ``key``, never by the
published ``code``, which may be empty or repeated.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import vocab

KEY = r"^[a-z0-9][a-z0-9_\-]*$"
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    key: str = Field(pattern=KEY)
    name: str
    description: str = ""


class Theme(_Strict):
    key: str = Field(pattern=KEY)
    name: str
    description: str = ""


class Action(_Strict):
    key: str = Field(pattern=KEY, description="Stable identifier, unique in the pack.")
    code: str = Field("", description="Published code; may be empty or repeated.")
    title: str = Field(min_length=3)
    theme: str = Field(description="Theme key.")
    tier: str = Field(description="Tier key.")
    summary: str = Field(description="2-4 sentences written for gpequity.")
    principles: tuple[str, ...] = ()
    core20plus5: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    effort: Literal["low", "medium", "high"] = "medium"

    @field_validator("summary")
    @classmethod
    def _two_to_four_sentences(cls, value: str) -> str:
        n = len(_SENTENCE_END.findall(value.strip()))
        if not 2 <= n <= 4:
            raise ValueError(f"summary must be 2-4 sentences, found {n}")
        return value.strip()

    @field_validator("principles")
    @classmethod
    def _known_principles(cls, value):
        return _known(value, vocab.INCLUSION_HEALTH_PRINCIPLES, "principle")

    @field_validator("core20plus5")
    @classmethod
    def _known_areas(cls, value):
        return _known(value, vocab.CORE20PLUS5_AREAS, "Core20PLUS5 area")

    @field_validator("groups")
    @classmethod
    def _known_groups(cls, value):
        return _known(value, vocab.GROUPS, "group")

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, value):
        return _known(value, vocab.INDICATORS, "indicator")


def _known(values, allowed: dict[str, str], what: str):
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what}(s) {unknown}; allowed: {sorted(allowed)}")
    return values


class Pack(_Strict):
    id: str = Field(pattern=KEY)
    name: str
    publisher: str
    version: str
    attribution: str = Field(description="Shown wherever this framework's facts are shown.")
    source_url: str = ""
    description: str = ""
    tiers: tuple[Tier, ...] = Field(min_length=1)
    themes: tuple[Theme, ...] = Field(min_length=1)
    actions: tuple[Action, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Pack:
        for what, items in (("tier", self.tiers), ("theme", self.themes), ("action", self.actions)):
            seen: set[str] = set()
            for item in items:
                if item.key in seen:
                    raise ValueError(f"duplicate {what} key {item.key!r}")
                seen.add(item.key)
        tiers = {t.key for t in self.tiers}
        themes = {t.key for t in self.themes}
        for a in self.actions:
            if a.tier not in tiers:
                raise ValueError(f"action {a.key!r}: unknown tier {a.tier!r}")
            if a.theme not in themes:
                raise ValueError(f"action {a.key!r}: unknown theme {a.theme!r}")
        return self

    # Lookups -----------------------------------------------------------------
    def action(self, key: str) -> Action:
        for a in self.actions:
            if a.key == key:
                return a
        raise KeyError(key)

    def tier(self, key: str) -> Tier:
        return next(t for t in self.tiers if t.key == key)

    def theme(self, key: str) -> Theme:
        return next(t for t in self.themes if t.key == key)

    def tier_index(self, key: str) -> int:
        return [t.key for t in self.tiers].index(key)

    def actions_in(self, *, tier: str | None = None, theme: str | None = None) -> list[Action]:
        return [
            a
            for a in self.actions
            if (tier is None or a.tier == tier) and (theme is None or a.theme == theme)
        ]
