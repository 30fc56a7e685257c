"""REST endpoints of the catalogue area (mounted at /api/catalogue/ by gpequity.web.api).

Open to everyone, like the catalogue pages: framework packs are not patient or practice data.
Official toolkit text is included only when site staff have imported it, with its attribution.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from gpequity.catalogue import all_packs, load_pack, vocab
from gpequity.catalogue.schema import Action, Pack

from . import presenters, selectors
from .models import OfficialTextImport

router = Router(tags=["catalogue"])


class FrameworkOut(Schema):
    id: str
    name: str
    publisher: str
    version: str
    attribution: str
    source_url: str
    description: str
    tiers: int = Field(description="Number of tiers.")
    themes: int = Field(description="Number of themes.")
    actions: int = Field(description="Number of actions.")
    official_text_version: int | None = Field(
        description="Version of the imported official text, or null when none is imported."
    )


class TierOut(Schema):
    key: str
    name: str = Field(description="Name shown: the user's copy's name when imported.")
    pack_name: str = Field(description="Name in the framework pack.")
    description: str
    order: int
    actions: int


class ThemeOut(Schema):
    key: str
    name: str
    description: str
    actions: int


class FrameworkDetailOut(FrameworkOut):
    tier_list: list[TierOut]
    theme_list: list[ThemeOut]


class ActionOut(Schema):
    key: str = Field(description="Stable identifier; other data refers to actions by key.")
    code: str = Field(description="Published code; may be empty or shared by two actions.")
    title: str
    theme: str
    theme_name: str
    tier: str
    tier_name: str
    summary: str = Field(description="Summary written for gpequity.")
    principles: list[str]
    core20plus5: list[str]
    groups: list[str]
    indicators: list[str]
    effort: Literal["low", "medium", "high"]


class OfficialTextOut(Schema):
    title: str
    descriptor: str
    supporting_information: str
    supporting_resources: str
    links: list[str]
    version: int
    imported_at: datetime
    attribution: str


class ActionDetailOut(ActionOut):
    attribution: str = Field(description="The framework's attribution line.")
    official: OfficialTextOut | None = Field(
        description="The publisher's text from the imported copy, or null when not imported."
    )


class ActionFilterIn(Schema):
    tier: str | None = Field(None, description="Tier key.")
    theme: str | None = Field(None, description="Theme key.")
    group: str | None = Field(None, description="Group key (see the vocabularies).")
    core20plus5: str | None = Field(None, description="Core20PLUS5 area key.")
    principle: str | None = Field(None, description="Inclusion health principle key.")
    effort: Literal["low", "medium", "high"] | None = None
    q: str | None = Field(None, description="Words to find in code, title, summary, official text.")


def _pack(pack_id: str) -> Pack:
    try:
        return load_pack(pack_id)
    except KeyError:
        raise Http404("No such framework") from None


def _framework(pack: Pack, imported: OfficialTextImport | None) -> dict:
    return {
        "id": pack.id,
        "name": pack.name,
        "publisher": pack.publisher,
        "version": pack.version,
        "attribution": pack.attribution,
        "source_url": pack.source_url,
        "description": pack.description,
        "tiers": len(pack.tiers),
        "themes": len(pack.themes),
        "actions": len(pack.actions),
        "official_text_version": imported.version if imported else None,
    }


def _tiers(pack: Pack, imported: OfficialTextImport | None) -> list[TierOut]:
    names = presenters.tier_names(pack, imported)
    counts = {c.key: c.count for c in presenters.tier_counts(pack, names)}
    return [
        TierOut(
            key=t.key,
            name=names[t.key],
            pack_name=t.name,
            description=t.description,
            order=i + 1,
            actions=counts[t.key],
        )
        for i, t in enumerate(pack.tiers)
    ]


def _themes(pack: Pack) -> list[ThemeOut]:
    return [
        ThemeOut(key=c.key, name=c.name, description=c.description, actions=c.count)
        for c in presenters.theme_counts(pack)
    ]


def _action(pack: Pack, action: Action, names: dict[str, str]) -> dict:
    return {
        "key": action.key,
        "code": action.code,
        "title": action.title,
        "theme": action.theme,
        "theme_name": pack.theme(action.theme).name,
        "tier": action.tier,
        "tier_name": names[action.tier],
        "summary": action.summary,
        "principles": list(action.principles),
        "core20plus5": list(action.core20plus5),
        "groups": list(action.groups),
        "indicators": list(action.indicators),
        "effort": action.effort,
    }


def _check_filters(pack: Pack, filters: ActionFilterIn) -> None:
    """Unknown filter values are a client mistake: say which values are allowed."""
    allowed = {
        "tier": [t.key for t in pack.tiers],
        "theme": [t.key for t in pack.themes],
        "group": list(vocab.GROUPS),
        "core20plus5": list(vocab.CORE20PLUS5_AREAS),
        "principle": list(vocab.INCLUSION_HEALTH_PRINCIPLES),
    }
    for name, values in allowed.items():
        value = getattr(filters, name)
        if value and value not in values:
            raise HttpError(400, f"unknown {name} {value!r}; allowed: {', '.join(values)}")


@router.get("frameworks", response=list[FrameworkOut], summary="Framework packs")
def list_frameworks(request):
    return [_framework(p, selectors.current_import(p.id)) for p in all_packs()]


@router.get("frameworks/{pack_id}", response=FrameworkDetailOut, summary="One framework")
def get_framework(request, pack_id: str):
    pack = _pack(pack_id)
    imported = selectors.current_import(pack.id)
    return {
        **_framework(pack, imported),
        "tier_list": _tiers(pack, imported),
        "theme_list": _themes(pack),
    }


@router.get("frameworks/{pack_id}/tiers", response=list[TierOut], summary="Tiers, in order")
def list_tiers(request, pack_id: str):
    pack = _pack(pack_id)
    return _tiers(pack, selectors.current_import(pack.id))


@router.get("frameworks/{pack_id}/themes", response=list[ThemeOut], summary="Themes")
def list_themes(request, pack_id: str):
    return _themes(_pack(pack_id))


@router.get(
    "frameworks/{pack_id}/actions",
    response=list[ActionOut],
    summary="Actions, searched and filtered",
    description="Filters combine: an action is listed when it matches every filter given.",
)
def list_actions(request, pack_id: str, filters: Query[ActionFilterIn]):
    pack = _pack(pack_id)
    _check_filters(pack, filters)
    imported = selectors.current_import(pack.id)
    official = selectors.current_official_text(pack.id) if imported else {}
    names = presenters.tier_names(pack, imported)
    found = selectors.search_actions(
        pack,
        selectors.ActionFilters(**{k: (v or "").strip() for k, v in filters.model_dump().items()}),
        official,
    )
    return [_action(pack, a, names) for a in found]


@router.get("frameworks/{pack_id}/actions/{key}", response=ActionDetailOut, summary="One action")
def get_action(request, pack_id: str, key: str):
    pack = _pack(pack_id)
    try:
        action = pack.action(key)
    except KeyError:
        raise Http404("No such action") from None
    imported = selectors.current_import(pack.id)
    names = presenters.tier_names(pack, imported)
    text = selectors.current_official_text(pack.id).get(key) if imported else None
    official = None
    if text is not None:
        official = OfficialTextOut(
            title=text.title,
            descriptor=text.descriptor,
            supporting_information=text.supporting_information,
            supporting_resources=text.supporting_resources,
            links=list(text.links or []),
            version=imported.version,
            imported_at=imported.created_at,
            attribution=presenters.attribution_line(pack, imported),
        )
    return {**_action(pack, action, names), "attribution": pack.attribution, "official": official}
