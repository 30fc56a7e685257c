"""The one access layer: every read or write of organisation-owned data goes through here.

``can(user, org, perm)`` answers whether a user may do something at an organisation;
``get_org(user, ods_code, perm)`` fetches the organisation or raises ``Http404`` (we never
reveal whether an organisation the user cannot see exists). Views, API endpoints, exports
and the CLI call these, never ``Organisation.objects`` directly for user-facing reads.

Permissions, from least to most:

- ``view``: read the organisation's pages, reports and exports.
- ``contribute``: record assessment status, notes and evidence; update plan items they own;
  record measurements and cycles on plan items they own.
- ``edit``: change anything in the organisation's workspace (plan, Focus group, any item).
- ``manage``: members, invitations, imports of the organisation's data.

Practice roles: equity lead = manage; member = contribute; viewer = view. A PCN's network
lead manages the PCN and may view its member practices; an ICB analyst may view the ICB and
every organisation beneath it. Site staff (``is_staff``) manage everything and are the only
ones who may import the official toolkit text.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Membership, Organisation, OrgKind, Role

VIEW, CONTRIBUTE, EDIT, MANAGE = "view", "contribute", "edit", "manage"
LEVELS = {VIEW: 1, CONTRIBUTE: 2, EDIT: 3, MANAGE: 4}
ROLE_LEVEL = {
    Role.EQUITY_LEAD: LEVELS[MANAGE],
    Role.MEMBER: LEVELS[CONTRIBUTE],
    Role.VIEWER: LEVELS[VIEW],
    Role.NETWORK_LEAD: LEVELS[MANAGE],
    Role.ANALYST: LEVELS[MANAGE],
}
# What a role held at an ancestor organisation grants on the organisations below it.
INHERITED_LEVEL = {
    Role.NETWORK_LEAD: LEVELS[VIEW],
    Role.ANALYST: LEVELS[VIEW],
}


# Within one request the same (user, organisation) level is asked for several times (the
# view, the navigation, the templates): remembered for that request only (``memo_for_request``
# in gpequity.web.orgs.middleware), and forgotten whenever a membership, organisation or
# account is saved or deleted (gpequity.web.orgs.apps), so a change is seen at once.
_memo: ContextVar[dict | None] = ContextVar("gpequity_access_memo", default=None)


def forget() -> None:
    memo = _memo.get()
    if memo is not None:
        memo.clear()


def level(user, org: Organisation) -> int:
    """The user's permission level at ``org`` (0 = none)."""
    memo = _memo.get()
    if memo is None or org.pk is None:
        return _level(user, org)
    key = (getattr(user, "pk", None), bool(user and user.is_authenticated), org.pk)
    if key not in memo:
        memo[key] = _level(user, org)
    return memo[key]


def _level(user, org: Organisation) -> int:
    if user is None or not user.is_authenticated or not user.is_active:
        return 0
    if user.is_staff:
        return LEVELS[MANAGE]
    chain = [org, *org.ancestors()]
    memberships = {
        m.organisation_id: m.role
        for m in Membership.objects.filter(user=user, organisation__in=chain)
    }
    best = 0
    if org.pk in memberships:
        best = ROLE_LEVEL.get(memberships[org.pk], 0)
    for ancestor in chain[1:]:
        role = memberships.get(ancestor.pk)
        if role is not None:
            best = max(best, INHERITED_LEVEL.get(role, 0))
    return best


def can(user, org: Organisation, perm: str) -> bool:
    return level(user, org) >= LEVELS[perm]


def role_at(user, org: Organisation) -> str | None:
    m = Membership.objects.filter(user=user, organisation=org).first()
    return m.role if m else None


def get_org(user, ods_code: str, perm: str = VIEW) -> Organisation:
    """The organisation with this ODS code if the user has ``perm`` there, else 404."""
    org = Organisation.objects.filter(ods_code=ods_code).select_related("parent").first()
    if org is None or not can(user, org, perm):
        raise Http404("No such organisation")
    return org


def visible_organisations(user) -> QuerySet[Organisation]:
    """Every organisation the user may view."""
    if user is None or not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_staff:
        return Organisation.objects.all()
    direct = Organisation.objects.filter(memberships__user=user)
    lead_roles = [Role.NETWORK_LEAD, Role.ANALYST]
    below = Q(parent__memberships__user=user, parent__memberships__role__in=lead_roles) | Q(
        parent__parent__memberships__user=user,
        parent__parent__memberships__role__in=lead_roles,
    )
    return (direct | Organisation.objects.filter(below)).distinct()


def practices_for(user) -> QuerySet[Organisation]:
    return visible_organisations(user).filter(kind=OrgKind.PRACTICE)


def direct_level(user, org: Organisation) -> int:
    """The user's level from a membership of ``org`` itself (staff: manage); roles held at
    organisations above it count for nothing here."""
    if user is None or not user.is_authenticated or not user.is_active:
        return 0
    if user.is_staff:
        return LEVELS[MANAGE]
    role = Membership.objects.filter(user=user, organisation=org).values_list("role", flat=True)
    return ROLE_LEVEL.get(role.first(), 0)


def can_direct(user, org: Organisation, perm: str) -> bool:
    """``can`` without inheritance: for exact, practice-only figures such as HNA results,
    which organisations above the practice may see only through disclosure control."""
    return direct_level(user, org) >= LEVELS[perm]


def get_practice_org(user, ods_code: str, perm: str = VIEW) -> Organisation:
    """``get_org`` for practice-only data: the user needs ``perm`` through a direct
    membership of the organisation (or is staff); otherwise 404, as for ``get_org``."""
    org = Organisation.objects.filter(ods_code=ods_code).select_related("parent").first()
    if org is None or not can_direct(user, org, perm):
        raise Http404("No such organisation")
    return org
