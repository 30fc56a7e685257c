"""Fixtures for the focus tests: a practice and its equity lead (who may edit the group)."""

from __future__ import annotations

import pytest

from tests.factories import PracticeFactory, member


@pytest.fixture
def practice():
    return PracticeFactory(name="Riverside Surgery")


@pytest.fixture
def lead(practice):
    return member(practice, "equity_lead", username="lead")
