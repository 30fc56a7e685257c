"""Organisations, invitations, password reset and the access layer."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from gpequity.web.audit.models import AuditEvent
from gpequity.web.orgs import access
from gpequity.web.orgs.models import Membership, Role
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    return re.search(r"https?://\S+", body).group(0)


def test_equity_lead_invites_a_new_member_who_joins_by_the_link(
    client, django_capture_on_commit_callbacks
):
    practice = PracticeFactory(name="Brook Surgery")
    lead = member(practice, Role.EQUITY_LEAD)
    client.force_login(lead)
    # Invitation e-mails go out when the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/orgs/{practice.ods_code}/members/invite/",
            {"email": "New.Nurse@Example.org", "role": Role.MEMBER},
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["new.nurse@example.org"]
    assert "Brook Surgery" in message.subject
    link = _link(message.body)
    client.logout()

    page = client.get(link)
    assert page.status_code == 200 and "Join Brook Surgery" in page.content.decode()
    response = client.post(link, {"full_name": "Nia Jones", "password": "a-long-unusual-pass"})
    assert response.status_code == 302
    joined = Membership.objects.get(user__username="new.nurse@example.org")
    assert joined.role == Role.MEMBER and joined.organisation == practice
    # The link works once.
    assert client.get(link).status_code == 404
    assert AuditEvent.objects.filter(entity="membership", verb="joined").count() == 1


def test_invitation_form_rejects_bad_email_and_sends_nothing(client):
    practice = PracticeFactory()
    client.force_login(member(practice, Role.EQUITY_LEAD))
    response = client.post(
        f"/orgs/{practice.ods_code}/members/invite/", {"email": "not-an-email", "role": "member"}
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_only_the_equity_lead_can_invite(client, role):
    practice = PracticeFactory()
    client.force_login(member(practice, role))
    url = f"/orgs/{practice.ods_code}/members/invite/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "x@example.org", "role": "member"}).status_code == 404
    assert mail.outbox == []


def test_weak_password_is_refused_when_accepting(client, django_capture_on_commit_callbacks):
    practice = PracticeFactory()
    client.force_login(member(practice, Role.EQUITY_LEAD))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/orgs/{practice.ods_code}/members/invite/",
            {"email": "a@example.org", "role": "viewer"},
        )
    link = _link(mail.outbox[0].body)
    client.logout()
    response = client.post(link, {"full_name": "A B", "password": "password"})
    assert response.status_code == 200
    assert not Membership.objects.filter(user__username="a@example.org").exists()


def test_password_reset_sends_a_working_link(client):
    UserFactory(username="rita", email="rita@example.org")
    client.post("/password-reset/", {"email": "rita@example.org"})
    [message] = mail.outbox
    link = _link(message.body)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "fresh-secret-4471", "new_password2": "fresh-secret-4471"}
    )
    assert response.status_code == 302
    # Through the sign-in page (django-axes needs the request that the page gives it).
    signed_in = client.post("/sign-in/", {"username": "rita", "password": "fresh-secret-4471"})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session


def test_lead_removes_a_member_but_not_themself(client):
    practice = PracticeFactory()
    lead = member(practice, Role.EQUITY_LEAD)
    nurse = member(practice, Role.MEMBER)
    client.force_login(lead)
    nurse_m = Membership.objects.get(user=nurse)
    lead_m = Membership.objects.get(user=lead)
    client.post(f"/orgs/{practice.ods_code}/members/{nurse_m.pk}/remove/")
    client.post(f"/orgs/{practice.ods_code}/members/{lead_m.pk}/remove/")
    assert list(Membership.objects.values_list("user_id", flat=True)) == [lead.pk]


def test_removing_a_member_of_another_practice_by_id_guessing_fails(client):
    mine, theirs = PracticeFactory(), PracticeFactory()
    client.force_login(member(mine, Role.EQUITY_LEAD))
    victim = member(theirs, Role.MEMBER)
    victim_m = Membership.objects.get(user=victim)
    assert client.post(f"/orgs/{mine.ods_code}/members/{victim_m.pk}/remove/").status_code == 404
    assert client.post(f"/orgs/{theirs.ods_code}/members/{victim_m.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=victim_m.pk).exists()


def test_access_levels_follow_the_organisation_tree():
    icb = ICBFactory()
    pcn = PCNFactory(parent=icb)
    practice = PracticeFactory(parent=pcn)
    elsewhere = PracticeFactory()
    analyst = member(icb, Role.ANALYST)
    network = member(pcn, Role.NETWORK_LEAD)
    lead = member(practice, Role.EQUITY_LEAD)
    nurse = member(practice, Role.MEMBER)
    viewer = member(practice, Role.VIEWER)
    staff = UserFactory(is_staff=True)

    assert access.can(lead, practice, access.MANAGE)
    assert access.can(nurse, practice, access.CONTRIBUTE)
    assert not access.can(nurse, practice, access.EDIT)
    assert access.can(viewer, practice, access.VIEW)
    assert not access.can(viewer, practice, access.CONTRIBUTE)
    # Oversight roles see no practice's workspace (ADR 0026), only the networks they oversee.
    assert not access.can(network, practice, access.VIEW)
    assert not access.can(analyst, practice, access.VIEW)
    assert access.can(network, pcn, access.MANAGE)
    assert access.can(analyst, icb, access.MANAGE)
    assert access.can(analyst, pcn, access.VIEW)
    assert not access.can(analyst, pcn, access.CONTRIBUTE)
    assert access.can(staff, practice, access.MANAGE)
    for user in (analyst, network, lead, nurse, viewer):
        assert not access.can(user, elsewhere, access.VIEW)
    assert set(access.visible_organisations(network)) == {pcn}
    assert set(access.visible_organisations(analyst)) == {icb, pcn}
    assert set(access.visible_organisations(nurse)) == {practice}
