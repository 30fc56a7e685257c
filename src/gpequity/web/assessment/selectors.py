"""Reads for the assessment area: an organisation's position against its framework pack.

``Position`` is plain Python over a pack and a ``{action_key: status}`` map, so tier and
progress rules are easy to test without a database. Every query here takes the organisation
the caller already fetched through the access layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import QuerySet

from gpequity.catalogue import Action, Pack, Tier, load_pack
from gpequity.web.audit.models import AuditEvent
from gpequity.web.audit.services import audit_for

from .models import DONE, AssessmentEntry, Evidence, Snapshot, Status

# Audit entities this area writes.
ENTITIES = ("assessment", "evidence", "snapshot")


@dataclass(frozen=True)
class ProgressRow:
    """Counts for one group of actions (a tier, a theme, or everything)."""

    key: str
    name: str
    total: int
    counts: Mapping[str, int]

    @property
    def done(self) -> int:
        return sum(self.counts.get(s, 0) for s in DONE)

    @property
    def left(self) -> int:
        return self.total - self.done

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def percent(self) -> int:
        """Whole per cent done, rounded down so 99.6% never shows as 100%."""
        return (100 * self.done) // self.total if self.total else 0

    @property
    def reached(self) -> bool:
        return self.done == self.total


@dataclass(frozen=True)
class Position:
    """Where an organisation stands on every action of a pack."""

    pack: Pack
    statuses: Mapping[str, str] = field(default_factory=dict)

    def status(self, action_key: str) -> str:
        return self.statuses.get(action_key, Status.NOT_STARTED.value)

    def is_done(self, action_key: str) -> bool:
        return self.status(action_key) in DONE

    def tier_reached(self, tier: str) -> bool:
        """A tier is reached when every action in it is in place or embedded."""
        return all(self.is_done(a.key) for a in self.pack.actions_in(tier=tier))

    def left_in(self, tier: str) -> list[Action]:
        return [a for a in self.pack.actions_in(tier=tier) if not self.is_done(a.key)]

    @cached_property
    def reached_tier(self) -> Tier | None:
        """The highest tier reached with every tier below it reached too (tiers build up)."""
        best = None
        for tier in self.pack.tiers:
            if not self.tier_reached(tier.key):
                break
            best = tier
        return best

    @cached_property
    def next_tier(self) -> Tier | None:
        """The first tier not yet reached: the one to work on next."""
        return next((t for t in self.pack.tiers if not self.tier_reached(t.key)), None)

    def _row(self, key: str, name: str, actions: Iterable[Action]) -> ProgressRow:
        counts = {s.value: 0 for s in Status}
        total = 0
        for a in actions:
            counts[self.status(a.key)] += 1
            total += 1
        return ProgressRow(key=key, name=name, total=total, counts=counts)

    @cached_property
    def overall(self) -> ProgressRow:
        return self._row("all", "All actions", self.pack.actions)

    @cached_property
    def by_tier(self) -> list[ProgressRow]:
        return [self._row(t.key, t.name, self.pack.actions_in(tier=t.key)) for t in self.pack.tiers]

    @cached_property
    def by_theme(self) -> list[ProgressRow]:
        return [
            self._row(t.key, t.name, self.pack.actions_in(theme=t.key)) for t in self.pack.themes
        ]


def pack_for(org) -> Pack:
    return load_pack(org.framework)


def entries_for(org) -> dict[str, AssessmentEntry]:
    return {e.action_key: e for e in AssessmentEntry.objects.filter(organisation=org)}


def statuses_for(org) -> dict[str, str]:
    return dict(
        AssessmentEntry.objects.filter(organisation=org).values_list("action_key", "status")
    )


def position_for(org) -> Position:
    return Position(pack=pack_for(org), statuses=statuses_for(org))


def entry_for(org, action_key: str) -> AssessmentEntry:
    """The saved entry, or an unsaved blank one (version 0) when nothing is recorded yet."""
    entry = (
        AssessmentEntry.objects.filter(organisation=org, action_key=action_key)
        .select_related("updated_by")
        .first()
    )
    return entry or AssessmentEntry(organisation=org, action_key=action_key)


def evidence_for(org, action_key: str, *, include_removed: bool = False) -> QuerySet[Evidence]:
    qs = Evidence.objects.filter(
        entry__organisation=org, entry__action_key=action_key
    ).select_related("added_by")
    return qs if include_removed else qs.filter(removed_at__isnull=True)


def evidence_counts(org) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in Evidence.objects.filter(
        entry__organisation=org, removed_at__isnull=True
    ).values_list("entry__action_key", flat=True):
        counts[key] = counts.get(key, 0) + 1
    return counts


def action_history(org, action_key: str) -> QuerySet[AuditEvent]:
    """Every audit event about one action at the organisation (assessment, evidence, plan)."""
    return audit_for(org, action_key=action_key)


def org_history(org, *, entity: str | None = None) -> QuerySet[AuditEvent]:
    """Every audit event of the organisation (assessment, plan, Focus group ...)."""
    return audit_for(org, entity=entity or None)


PRIVATE_FIELDS = {"invitation": ("email",)}
"""Audit fields only members who manage the organisation may read (issue 22): a pending
invitation's e-mail address is personal data of someone who is not yet a member."""


def without_private_fields(events, *, user, org) -> list[AuditEvent]:
    """The events, with PRIVATE_FIELDS blanked (in memory only) unless ``user`` may manage
    ``org``."""
    from gpequity.web.orgs import access

    events = list(events)
    if access.can(user, org, access.MANAGE):
        return events
    for e in events:
        hidden = PRIVATE_FIELDS.get(e.entity, ())
        for side in ("before", "after"):
            data = getattr(e, side)
            if isinstance(data, dict) and any(k in data for k in hidden):
                setattr(e, side, {k: ("(hidden)" if k in hidden else v) for k, v in data.items()})
    return events


def org_entities(org) -> list[str]:
    return sorted(
        set(AuditEvent.objects.filter(organisation_id=org.pk).values_list("entity", flat=True))
    )


def recent_changes(org, limit: int = 8) -> list[AuditEvent]:
    return list(audit_for(org).filter(entity__in=ENTITIES[:2])[:limit])


def snapshots_for(org) -> QuerySet[Snapshot]:
    return Snapshot.objects.filter(organisation=org).select_related("taken_by")
