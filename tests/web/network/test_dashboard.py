"""The PCN and ICB network dashboard: what each practice shares, and "Not shared" for the rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.catalogue import all_packs, load_pack
from gpequity.web.assessment import services as assessment
from gpequity.web.assessment.selectors import Position
from gpequity.web.engagement import services as engagement
from gpequity.web.network import presenters, services
from gpequity.web.plans import services as plans
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, member

pytestmark = pytest.mark.django_db


def _practice(pcn, name, *, overdue_title=None):
    practice = PracticeFactory(parent=pcn, name=name)
    lead = member(practice, "equity_lead")
    assessment.assessment_update(
        actor=lead,
        organisation=practice,
        action_key="acc_01",
        status="in_place",
        notes="Secret note about the rota",
        expected_version=0,
    )
    if overdue_title:
        item = plans.plan_item_adopt(actor=lead, organisation=practice, action_key="miss_01")
        plans.plan_item_update(
            actor=lead,
            item=item,
            expected_version=item.version,
            changes={"title": overdue_title, "due_date": dt.date.today() - dt.timedelta(days=3)},
        )
    engagement.activity_create(
        actor=lead,
        organisation=practice,
        data={"title": "Drop-in", "start_date": dt.date.today(), "level": "co_produce"},
    )
    return practice, lead


@pytest.fixture
def network():
    icb = ICBFactory(name="Vale ICB")
    pcn = PCNFactory(parent=icb, name="North PCN")
    south = PCNFactory(parent=icb, name="South PCN")
    hill, _ = _practice(pcn, "Hill Surgery", overdue_title="Call back missed patients")
    dale, dale_lead = _practice(pcn, "Dale Surgery", overdue_title="Dale's private plan")
    services.sharing_update(
        actor=dale_lead,
        organisation=dale,
        settings={"progress_to_pcn": False, "engagement_to_pcn": False},
    )
    moor, _ = _practice(south, "Moor Surgery", overdue_title="Moor ramp")
    return {
        "icb": icb,
        "pcn": pcn,
        "south": south,
        "network_lead": member(pcn, "network_lead"),
        "analyst": member(icb, "analyst"),
        "hill": hill,
        "dale": dale,
        "moor": moor,
    }


def _page(user, org) -> str:
    c = Client()
    c.force_login(user)
    response = c.get(f"/orgs/{org.ods_code}/network/")
    assert response.status_code == 200
    return response.content.decode()


def _row(page: str, section: str, name: str) -> str:
    part = page.split(f'id="{section}"')[1]
    return part.split(name)[1].split("</tr>")[0]


def test_pcn_lead_sees_what_is_shared_and_not_shared_as_such(network):
    page = _page(network["network_lead"], network["pcn"])
    assert "Sharing progress</dt>" in page and "1 of 2" in page
    hill = _row(page, "progress", "Hill Surgery")
    assert "None yet" in hill and "1 of " in hill
    dale = _row(page, "progress", "Dale Surgery")
    assert dale.count("Not shared") == 3
    assert "Call back missed patients" in _row(page, "plan-due", "Hill Surgery")
    assert "Not shared" in _row(page, "plan-due", "Dale Surgery")
    assert "Not shared" in _row(page, "engagement", "Dale Surgery")
    # One activity done with people: shown above the practice only as suppressed.
    assert "Suppressed</td>" in _row(page, "engagement", "Hill Surgery")
    assert ">1</td>" not in _row(page, "engagement", "Hill Surgery")
    # Nothing of Dale's withdrawn progress, nor any practice's notes, nor other PCNs.
    for absent in (
        "Dale&#x27;s private plan",
        "Dale's private plan",
        "Secret note",
        "Moor Surgery",
        "Moor ramp",
    ):
        assert absent not in page


def test_icb_analyst_sees_each_pcn_then_practice_by_what_is_shared_with_the_icb(network):
    page = _page(network["analyst"], network["icb"])
    pcns = page.split('id="pcns"')[1].split("</table>")[0]
    assert "North PCN" in pcns and "South PCN" in pcns
    # Dale withdrew from its PCN only: the ICB still sees its progress.
    assert "Dale&#x27;s private plan" in page or "Dale's private plan" in page
    assert "Moor ramp" in page
    # The analyst on the PCN's own network page also sees what is shared with the ICB.
    page = _page(network["analyst"], network["pcn"])
    assert "Not shared" not in _row(page, "progress", "Dale Surgery")


def test_practice_people_and_other_networks_cannot_open_it(network):
    c = Client()
    c.force_login(member(network["hill"], "equity_lead"))
    assert c.get(f"/orgs/{network['pcn'].ods_code}/network/").status_code == 404
    c.force_login(member(PCNFactory(), "network_lead"))
    assert c.get(f"/orgs/{network['pcn'].ods_code}/network/").status_code == 404
    c.force_login(network["network_lead"])
    assert c.get(f"/orgs/{network['hill'].ods_code}/network/").status_code == 404


def test_the_dashboard_needs_the_same_queries_for_more_practices(network):
    c = Client()
    c.force_login(network["analyst"])
    url = f"/orgs/{network['icb'].ods_code}/network/"
    c.get(url)
    with CaptureQueriesContext(connection) as few:
        c.get(url)
    for n in range(4):
        _practice(network["south"], f"Extra Surgery {n}", overdue_title=f"Extra {n}")
    with CaptureQueriesContext(connection) as more:
        assert c.get(url).status_code == 200
    assert len(more) == len(few) <= 20


PACKS = {p.id: p for p in all_packs()}
STATUSES = ("not_started", "planned", "in_progress", "in_place", "embedded")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_dashboards_progress_is_what_the_assessment_gives(data):
    """The dashboard counts a practice's statuses in one pass; it must say what the
    assessment pages' Position says, for any pack and any statuses."""
    pack_id = data.draw(st.sampled_from(sorted(PACKS)))
    pack = PACKS[pack_id]
    statuses = data.draw(
        st.dictionaries(
            st.sampled_from([a.key for a in pack.actions] + ["not-an-action"]),
            st.sampled_from(STATUSES),
        )
    )
    # Tiers build up: put every action of the first few tiers in place, so tiers are reached.
    for tier in pack.tiers[: data.draw(st.integers(0, len(pack.tiers)))]:
        for a in pack.actions_in(tier=tier.key):
            statuses[a.key] = data.draw(st.sampled_from(("in_place", "embedded")))
    mine = presenters.practice_progress(presenters._PackIndex.of(pack_id), statuses)
    pos = Position(pack=load_pack(pack_id), statuses=statuses)
    assert mine["reached"] == pos.reached_tier
    assert mine["next"] == pos.next_tier
    assert mine["left"] == (len(pos.left_in(pos.next_tier.key)) if pos.next_tier else 0)
    assert (mine["done"], mine["total"], mine["percent"]) == (
        pos.overall.done,
        pos.overall.total,
        pos.overall.percent,
    )
    assert mine["theme_percent"] == {r.key: r.percent for r in pos.by_theme}
