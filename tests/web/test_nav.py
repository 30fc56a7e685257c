"""Navigation: each organisation's own menu from one registry, breadcrumbs and page titles."""

from __future__ import annotations

import re

import pytest

from gpequity.web.core import nav
from tests.factories import PCNFactory, PracticeFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def _menu(html: str) -> list[tuple[str, bool]]:
    block = html.split('<nav class="app-org-nav"')[1].split("</nav>")[0]
    return [
        (label, "aria-current" in attrs)
        for attrs, label in re.findall(
            r'<a class="app-org-nav__link[^"]*"([^>]*)>([^<]+)</a>', block
        )
    ]


def _labels(client, path: str) -> list[str]:
    return [label for label, _ in _menu(client.get(path).content.decode())]


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_practice_pages_carry_the_practice_menu_with_the_current_section(client, practice, lead):
    client.force_login(lead)
    html = client.get(f"/orgs/{practice.ods_code}/plan/").content.decode()
    menu = _menu(html)
    labels = [label for label, _ in menu]
    assert labels == [
        "Dashboard",
        "Self-assessment",
        "Focus group",
        "HNA",
        "Plan",
        "Engagement",
        "Directory",
        "Feedback",
        "Reports",
        "Sharing",
        "Members",
    ]
    assert [label for label, current in menu if current] == ["Plan"]
    assert _title(html) == f"Action plan - {practice.name} - gpequity"
    dash = client.get(f"/orgs/{practice.ods_code}/").content.decode()
    assert _title(dash) == f"Dashboard - {practice.name} - gpequity"
    assert [label for label, current in _menu(dash) if current] == ["Dashboard"]


def test_pages_without_their_own_breadcrumbs_get_the_organisation_and_section(rf, practice, lead):
    from django.urls import resolve

    from gpequity.web.core.context import navigation

    path = f"/orgs/{practice.ods_code}/plan/due/"
    request = rf.get(path)
    request.user = lead
    request.resolver_match = resolve(path)
    ctx = navigation(request)
    assert ctx["breadcrumbs"] == [
        ("My organisations", "/orgs/"),
        (practice.name, f"/orgs/{practice.ods_code}/"),
        ("Plan", f"/orgs/{practice.ods_code}/plan/"),
    ]
    assert ctx["nav_org"] == practice


def test_areas_not_installed_are_skipped_and_registered_ones_appear(client, practice, lead):
    client.force_login(lead)
    missing = nav.OrgNavItem("Nowhere", "nowhere:index")  # an area that is not installed
    extra = nav.OrgNavItem("History", "assessment:history")
    nav.register(missing, before="orgs:members")
    nav.register(extra, before="orgs:members")
    try:
        labels = _labels(client, f"/orgs/{practice.ods_code}/")
        assert "Nowhere" not in labels
        assert labels[-2:] == ["History", "Members"]
    finally:
        nav.ORG_NAV.remove(extra)
        nav.ORG_NAV.remove(missing)


def test_network_leads_see_their_network_views_not_practice_tools(client):
    pcn = PCNFactory(name="North PCN")
    practice = PracticeFactory(parent=pcn, name="Hill Surgery")
    lead = member(pcn, "network_lead")
    client.force_login(lead)
    labels = _labels(client, f"/orgs/{pcn.ods_code}/")
    assert labels == ["Dashboard", "Network", "HNA", "Engagement", "Directory", "Members"]
    # A member practice's workspace is not theirs to see (ADR 0026).
    assert client.get(f"/orgs/{practice.ods_code}/").status_code == 404
    # The menu's HNA is where a system extract is uploaded, current there; the network
    # view links to it too.
    html = client.get(f"/orgs/{pcn.ods_code}/hna/").content.decode()
    assert [label for label, current in _menu(html) if current] == ["HNA"]
    assert "Upload a system extract" in html
    network = client.get(f"/orgs/{pcn.ods_code}/network/").content.decode()
    links = network.split('id="network-links"')[1].split("</ul>")[0]
    assert f'href="/orgs/{pcn.ods_code}/hna/"' in links and "system extract" in links


def test_icb_analysts_find_the_system_upload_in_the_icb_menu(client):
    from tests.factories import ICBFactory

    icb = ICBFactory(name="Fen ICB")
    analyst = member(icb, "analyst")
    client.force_login(analyst)
    labels = _labels(client, f"/orgs/{icb.ods_code}/")
    assert "HNA" in labels and "Network" in labels
    html = client.get(f"/orgs/{icb.ods_code}/hna/").content.decode()
    assert "Upload a system extract" in html


def test_header_menu_by_who_you_are(client, practice, lead):
    html = client.get("/").content.decode()
    assert "Site staff" not in html and "My organisations" not in html
    client.force_login(lead)
    html = client.get("/").content.decode()
    assert 'href="/orgs/"' in html and 'href="/staff/"' not in html
    client.force_login(UserFactory(is_staff=True))
    assert 'href="/staff/"' in client.get("/").content.decode()


def test_no_menu_for_an_organisation_you_cannot_see(client, practice):
    client.force_login(member(PracticeFactory(), "equity_lead"))
    response = client.get(f"/orgs/{practice.ods_code}/")
    assert response.status_code == 404
    assert practice.name not in response.content.decode()
