"""Reads for reports and exports: everything about one organisation, gathered in one place.

Every function takes the organisation the caller already fetched through the access layer
and scopes every query by it, so a report can never include another practice's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from gpequity.catalogue import Action, Pack, load_pack, vocab
from gpequity.web.assessment.models import AssessmentEntry, Snapshot, Status
from gpequity.web.assessment.selectors import Position, position_for
from gpequity.web.focus.models import FocusGroupVersion
from gpequity.web.orgs.models import Membership, Organisation
from gpequity.web.plans.models import Cycle, Measurement, PlanItem


def load_pack_for(org: Organisation) -> Pack:
    return load_pack(org.framework)


def members_of(org: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=org).select_related("user").order_by("id")


def plan_items(org: Organisation) -> QuerySet[PlanItem]:
    return PlanItem.objects.filter(organisation=org).select_related("owner").order_by("id")


def plan_item_by_action(org: Organisation) -> dict[str, PlanItem]:
    """The plan item of each action (the plan holds one item per action; the oldest wins)."""
    out: dict[str, PlanItem] = {}
    for item in plan_items(org):
        out.setdefault(item.action_key, item)
    return out


def cycles(org: Organisation) -> QuerySet[Cycle]:
    return (
        Cycle.objects.filter(plan_item__organisation=org)
        .select_related("plan_item")
        .order_by("plan_item_id", "number")
    )


def measurements(org: Organisation) -> QuerySet[Measurement]:
    return (
        Measurement.objects.filter(plan_item__organisation=org)
        .select_related("plan_item")
        .order_by("plan_item_id", "measured_on", "id")
    )


def focus_versions(org: Organisation) -> QuerySet[FocusGroupVersion]:
    return (
        FocusGroupVersion.objects.filter(organisation=org)
        .select_related("created_by")
        .order_by("version")
    )


def latest_snapshot(org: Organisation) -> Snapshot | None:
    return Snapshot.objects.filter(organisation=org).order_by("-taken_at", "-id").first()


def user_label(user) -> str:
    """How a person is named in reports: their full name, else their username."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def member_users(org: Organisation) -> list:
    """The organisation's members (users), for naming and matching plan owners."""
    return list(get_user_model().objects.filter(memberships__organisation=org).distinct())


@dataclass(frozen=True)
class StatusMove:
    action: Action
    before: str
    after: str

    @property
    def before_label(self) -> str:
        return Status(self.before).label

    @property
    def after_label(self) -> str:
        return Status(self.after).label


@dataclass(frozen=True)
class PlanRow:
    item: PlanItem
    action: Action | None
    latest: Measurement | None

    @property
    def measure(self) -> str:
        key = self.item.measure_indicator
        return self.item.measure_text or vocab.INDICATORS.get(key, key)

    @property
    def has_numbers(self) -> bool:
        return self.item.baseline is not None or self.item.target is not None

    def _num(self, value) -> str:
        n = as_number(value)
        return "not set" if n is None else f"{n}{self.item.unit}"

    @property
    def baseline_text(self) -> str:
        return self._num(self.item.baseline)

    @property
    def target_text(self) -> str:
        return self._num(self.item.target)

    @property
    def latest_text(self) -> str:
        return self._num(self.latest.value) if self.latest else ""


@dataclass
class Report:
    """What the practice equity report shows (HTML page and PDF share it)."""

    org: Organisation
    pack: Pack
    position: Position
    focus: FocusGroupVersion | None
    plan: list[PlanRow]
    snapshot: Snapshot | None
    moves: list[StatusMove]
    generated_on: date
    official_titles: dict[str, str] = field(default_factory=dict)
    status_choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def tier_rows(self) -> list[dict]:
        return [_row_dict(r, self.status_choices) for r in self.position.by_tier]

    @property
    def theme_rows(self) -> list[dict]:
        return [_row_dict(r, self.status_choices) for r in self.position.by_theme]

    @property
    def uses_official_text(self) -> bool:
        return bool(self.official_titles)


def _row_dict(row, choices: Iterable[tuple[str, str]]) -> dict:
    return {
        "name": row.name,
        "total": row.total,
        "counts": [row.counts.get(value, 0) for value, _ in choices],
        "done": row.done,
        "percent": row.percent,
        "reached": row.reached,
    }


def status_moves(
    pack: Pack, snapshot: Snapshot | None, statuses: dict[str, str]
) -> list[StatusMove]:
    """Actions whose status differs now from the snapshot, in framework order."""
    if snapshot is None:
        return []
    blank = Status.NOT_STARTED.value
    moves = []
    for action in pack.actions:
        before = (snapshot.data.get(action.key) or {}).get("status", blank)
        after = statuses.get(action.key, blank)
        if before != after and before in Status.values and after in Status.values:
            moves.append(StatusMove(action=action, before=before, after=after))
    return moves


def official_titles(org: Organisation) -> dict[str, str]:
    """Official action titles from the site's imported copy of the toolkit, if any."""
    from gpequity.web.catalogue.selectors import current_official_text

    return {k: t.title for k, t in current_official_text(org.framework).items() if t.title}


def latest_measurements(org: Organisation) -> dict[int, Measurement]:
    latest: dict[int, Measurement] = {}
    for m in measurements(org):
        latest[m.plan_item_id] = m  # ordered by date, so the last one wins
    return latest


def report_for(org: Organisation, *, today: date | None = None) -> Report:
    position = position_for(org)
    pack = position.pack
    latest = latest_measurements(org)

    def action_or_none(key: str) -> Action | None:
        try:
            return pack.action(key)
        except KeyError:
            return None

    plan = [
        PlanRow(item=i, action=action_or_none(i.action_key), latest=latest.get(i.pk))
        for i in plan_items(org).order_by("due_date", "id")
    ]
    snapshot = latest_snapshot(org)
    focus = focus_versions(org).order_by("-version").first()
    return Report(
        org=org,
        pack=pack,
        position=position,
        focus=focus,
        plan=plan,
        snapshot=snapshot,
        moves=status_moves(pack, snapshot, dict(position.statuses)),
        generated_on=today or date.today(),
        official_titles=official_titles(org),
        status_choices=list(Status.choices),
    )


def entries(org: Organisation) -> dict[str, AssessmentEntry]:
    return {
        e.action_key: e
        for e in AssessmentEntry.objects.filter(organisation=org).select_related("updated_by")
    }


def as_number(value: Decimal | None) -> Decimal | None:
    """Plan numbers with trailing zeros removed (3.500 -> 3.5), for display and export."""
    if value is None:
        return None
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
