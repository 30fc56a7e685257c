"""Fixtures of the HNA web tests: a practice in a PCN and ICB, its people, a saved Focus group.

Runs execute in the request (the test settings use django-tasks' immediate backend), except
where a test asks for the database worker.
"""

from __future__ import annotations

import pytest

from gpequity.web.focus import services as focus_services
from gpequity.web.orgs.models import Role
from tests.factories import ICBFactory, PCNFactory, PracticeFactory, member

FOCUS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}


@pytest.fixture
def practice():
    icb = ICBFactory()
    pcn = PCNFactory(parent=icb)
    return PracticeFactory(name="Riverside Surgery", ods_code="H12345", parent=pcn)


@pytest.fixture
def lead(practice):
    user = member(practice, Role.EQUITY_LEAD, username="lead")
    focus_services.focus_group_save(actor=user, organisation=practice, criteria=FOCUS, based_on=0)
    return user


@pytest.fixture
def people(practice, lead):
    pcn, icb = practice.parent, practice.parent.parent
    return {
        "lead": lead,
        "member": member(practice, Role.MEMBER),
        "viewer": member(practice, Role.VIEWER),
        "network_lead": member(pcn, Role.NETWORK_LEAD),
        "analyst": member(icb, Role.ANALYST),
    }


@pytest.fixture(autouse=True)
def private_folder(settings, tmp_path):
    """Each test its own private storage, so "no file left behind" is checked per test."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT
