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
lead manages the PCN; an ICB analyst manages the ICB and may view the PCNs beneath it. Site
staff (``is_staff``) manage everything and are the only ones who may import the official
toolkit text.

Oversight roles do NOT see a practice's workspace by inheritance (ADR 0026): a practice
decides what its PCN and its ICB may see (progress, engagement, HNA results), and they see
it only in the network views. ``shared_practices(user, network, what)`` is the one place
that answers which practices below a network share something with the person looking.
"""

from __future__ import annotations

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
# What a role held at an ancestor organisation grants on the networks below it (an ICB's
# analyst on its PCNs). Never on a practice: practices share by consent (shared_practices).
INHERITED_LEVEL = {
    Role.NETWORK_LEAD: LEVELS[VIEW],
    Role.ANALYST: LEVELS[VIEW],
}


def level(user, org: Organisation) -> int:
    """The user's permission level at ``org`` (0 = none)."""
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
    if org.kind == OrgKind.PRACTICE:
        return best
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
    lead_roles = list(INHERITED_LEVEL)
    below = Q(parent__memberships__user=user, parent__memberships__role__in=lead_roles) & ~Q(
        kind=OrgKind.PRACTICE
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


# What a practice may share with its networks (ADR 0026).
PROGRESS, ENGAGEMENT, HNA = "progress", "engagement", "hna"
SHARED_THINGS = (PROGRESS, ENGAGEMENT, HNA)
PCN_AUDIENCE, ICB_AUDIENCE = "pcn", "icb"


def practices_below(network: Organisation) -> QuerySet[Organisation]:
    """Every practice in a PCN, or in the PCNs of an ICB (none for a practice)."""
    if network.kind == OrgKind.PCN:
        return Organisation.objects.filter(kind=OrgKind.PRACTICE, parent=network)
    if network.kind == OrgKind.ICB:
        return Organisation.objects.filter(kind=OrgKind.PRACTICE, parent__parent=network)
    return Organisation.objects.none()


def network_audience(user, network: Organisation) -> str | None:
    """Whose sharing settings apply when ``user`` looks at ``network``: "pcn" or "icb".

    Someone who belongs to the PCN itself (or site staff) sees what the practices share with
    their PCN; an ICB's people see what practices share with the ICB, on the ICB's pages and
    on its PCNs' pages alike. None when the user may not view the network at all.
    """
    if network.kind not in (OrgKind.PCN, OrgKind.ICB) or not can(user, network, VIEW):
        return None
    if network.kind == OrgKind.ICB:
        return ICB_AUDIENCE
    if user.is_staff or direct_level(user, network) > 0:
        return PCN_AUDIENCE
    return ICB_AUDIENCE


def shared_practices(user, network: Organisation, what: str) -> QuerySet[Organisation]:
    """The practices below ``network`` that share ``what`` (progress, engagement or hna)
    with the audience ``user`` belongs to there; none when the user may not view the
    network. Every network view and API reads practices' data only through this."""
    if what not in SHARED_THINGS:
        raise ValueError(f"unknown kind of shared data: {what!r}")
    audience = network_audience(user, network)
    if audience is None:
        return Organisation.objects.none()
    from gpequity.web.network.models import SharingSettings

    field = f"{what}_to_{audience}"
    shared = Q(**{f"sharing__{field}": True})
    if SharingSettings.default_for(field):
        shared |= Q(sharing__isnull=True)
    return practices_below(network).filter(shared)
