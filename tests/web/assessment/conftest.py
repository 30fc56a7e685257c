"""Fixtures for the assessment tests: a practice with one user per role, and another practice."""

from __future__ import annotations

import pytest

from tests.factories import PracticeFactory, member


@pytest.fixture
def practice():
    """Overrides tests/web/conftest.py's: these tests name the practice's ODS code."""
    return PracticeFactory(name="Riverside Surgery", ods_code="A81001")


@pytest.fixture
def teammate(practice):
    return member(practice, "member", username="teammate")


@pytest.fixture
def viewer(practice):
    return member(practice, "viewer", username="viewer")


@pytest.fixture
def other_practice():
    return PracticeFactory(name="Hillside Practice", ods_code="B82002")


@pytest.fixture
def outsider(other_practice):
    return member(other_practice, "equity_lead", username="outsider")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test gets its own private file store, so 'nothing stored' can be checked."""
    root = tmp_path / "private"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": None},
        },
    }
    return root


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
