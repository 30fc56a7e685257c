"""A PCN with two practices, their people, and a small ORUK feed to import."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest

from tests.factories import PCNFactory, PracticeFactory, member

EXAMPLES = Path("/work/shared/reference/oruk/examples")
for parent in Path(__file__).resolve().parents:
    if (parent / "shared" / "reference" / "oruk").exists():
        EXAMPLES = parent / "shared" / "reference" / "oruk" / "examples"
        break


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def feed_service(n: int, **changes) -> dict:
    """A valid ORUK service (from the standard's example) with its own ids."""
    doc = copy.deepcopy(example("service_full"))
    doc["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"svc{n}"))
    doc["name"] = f"Service {n}"
    for key in ("schedules", "attributes", "service_at_locations"):
        doc.pop(key)
    doc.update(changes)
    return doc


@pytest.fixture
def pcn():
    return PCNFactory(name="Riverside PCN", ods_code="U99999")


@pytest.fixture
def practice(pcn):
    return PracticeFactory(name="Riverside Surgery", ods_code="R12345", parent=pcn)


@pytest.fixture
def lead(practice):
    return member(practice, "equity_lead", username="lead")


@pytest.fixture
def network_lead(pcn):
    return member(pcn, "network_lead", username="netlead")


@pytest.fixture
def team_member(practice):
    return member(practice, "member", username="teammember")
