"""Access levels are remembered for one request only, and a change is seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gpequity.web.orgs import access
from gpequity.web.orgs.models import Membership, Role
from tests.factories import PracticeFactory, member

pytestmark = pytest.mark.django_db


def test_a_level_is_asked_of_the_database_once_a_request_and_a_change_is_seen():
    org = PracticeFactory()
    user = member(org, Role.VIEWER)
    token = access._memo.set({})
    try:
        assert access.can(user, org, access.VIEW)
        with CaptureQueriesContext(connection) as ctx:
            assert access.can(user, org, access.VIEW) and not access.can(user, org, access.EDIT)
        assert len(ctx.captured_queries) == 0
        Membership.objects.filter(user=user, organisation=org).get().delete()
        assert not access.can(user, org, access.VIEW)  # forgotten on the change
        member_again = Membership.objects.create(user=user, organisation=org, role=Role.MEMBER)
        assert access.can(user, org, access.CONTRIBUTE) and member_again.pk
    finally:
        access._memo.reset(token)
    with CaptureQueriesContext(connection) as ctx:  # outside a request: asked every time
        access.can(user, org, access.VIEW)
    assert len(ctx.captured_queries) > 0


def test_pages_ask_fewer_queries(client):
    from tests.web.reports.factories import filled_practice

    org, lead, _, _ = filled_practice()
    client.force_login(lead)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/orgs/{org.ods_code}/reports/").status_code == 200
    membership_reads = [q for q in ctx.captured_queries if '"orgs_membership"' in q["sql"]]
    assert len(membership_reads) <= 2, [q["sql"][:80] for q in membership_reads]
