"""Reads of the catalogue area: the current official text, import history, action search."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from gpequity.catalogue.importer import OfficialText as CoreOfficialText
from gpequity.catalogue.schema import Action, Pack

from .models import OfficialText, OfficialTextImport


def current_import(pack_id: str) -> OfficialTextImport | None:
    """The latest applied import of the pack, or None when staff have imported nothing."""
    return (
        OfficialTextImport.objects.filter(pack_id=pack_id, applied=True)
        .order_by("-version")
        .first()
    )


def current_official_text(pack_id: str) -> dict[str, OfficialText]:
    """Official text of the current import by action key (empty when there is none)."""
    latest = current_import(pack_id)
    if latest is None:
        return {}
    return {t.action_key: t for t in latest.texts.all()}


def import_history(pack_id: str) -> QuerySet[OfficialTextImport]:
    """Every import of the pack, newest first, with who uploaded it."""
    return (
        OfficialTextImport.objects.filter(pack_id=pack_id)
        .select_related("uploaded_by")
        .order_by("-version")
    )


def as_core_text(text: OfficialText) -> CoreOfficialText:
    """A stored row as the core's OfficialText, for diffs and exports."""
    return CoreOfficialText(
        title=text.title,
        descriptor=text.descriptor,
        supporting_information=text.supporting_information,
        supporting_resources=text.supporting_resources,
        sheet=text.sheet,
        row=text.row or 0,
        code=text.code,
        links=tuple(text.links or ()),
    )


@dataclass(frozen=True)
class ActionFilters:
    """The catalogue's filters; every one given must hold (they combine with AND)."""

    tier: str = ""
    theme: str = ""
    group: str = ""
    core20plus5: str = ""
    principle: str = ""
    effort: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, f) for f in self.__dataclass_fields__)


def search_actions(
    pack: Pack, filters: ActionFilters, official: dict[str, OfficialText] | None = None
) -> list[Action]:
    """Actions of ``pack`` matching every filter, in pack order.

    The search text is split into words and each word must appear (case-insensitively) in
    the action's code, title or summary, or in the imported official title or descriptor,
    so "interpreter booking" finds an action that mentions both words in different places.
    """
    words = filters.q.casefold().split()
    found = []
    for action in pack.actions:
        if filters.tier and action.tier != filters.tier:
            continue
        if filters.theme and action.theme != filters.theme:
            continue
        if filters.group and filters.group not in action.groups:
            continue
        if filters.core20plus5 and filters.core20plus5 not in action.core20plus5:
            continue
        if filters.principle and filters.principle not in action.principles:
            continue
        if filters.effort and action.effort != filters.effort:
            continue
        if words:
            haystack = _haystack(action, (official or {}).get(action.key))
            if not all(w in haystack for w in words):
                continue
        found.append(action)
    return found


def _haystack(action: Action, text: OfficialText | None) -> str:
    parts = [action.code, action.title, action.summary]
    if text is not None:
        parts += [text.title, text.descriptor]
    return "\n".join(parts).casefold()
