"""Fixtures shared by the web tests: a practice and its equity lead.

An area's own conftest may override ``practice`` (the assessment tests fix its ODS code).
"""

from __future__ import annotations

import pytest

from tests.factories import PracticeFactory, member


@pytest.fixture
def practice():
    return PracticeFactory(name="Riverside Surgery")


@pytest.fixture
def lead(practice):
    return member(practice, "equity_lead", username="lead")
