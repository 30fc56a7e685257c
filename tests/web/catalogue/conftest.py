"""Fixtures for the catalogue web tests."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from gpequity.catalogue import load_pack
from gpequity.web.catalogue import services
from tests.factories import UserFactory
from tests.web.catalogue.factories import PACK_ID, read_bytes, toolkit_workbook


@pytest.fixture
def pack():
    return load_pack(PACK_ID)


@pytest.fixture
def staff(db):
    return UserFactory(username="staffer", is_staff=True)


@pytest.fixture
def imported(db, tmp_path):
    """Version 1 of the official text, imported through the service as the CLI would."""
    result = read_bytes(tmp_path, toolkit_workbook())
    assert result.ok, result.errors
    return services.import_official_text(result=result, user=None, pack_id=PACK_ID)


@pytest.fixture
def pending_files():
    """Files waiting in private storage between preview and apply (starts empty)."""
    from datetime import timedelta

    from gpequity.web.catalogue.uploads import purge_stale

    purge_stale(timedelta(days=-1))  # clear what earlier tests left waiting

    def files() -> list[str]:
        if not default_storage.exists("catalogue-imports"):
            return []
        return default_storage.listdir("catalogue-imports")[1]

    return files
