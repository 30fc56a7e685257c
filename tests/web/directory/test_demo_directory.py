"""The demo's directory: a synthetic ORUK feed of about 40 services that validates, imported
through the real importer, with stale listings, the practice's own listing and one open
problem report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gpequity.oruk import service_problems
from gpequity.web import demo
from gpequity.web.directory import selectors
from gpequity.web.directory.demo import build, demo_feed
from gpequity.web.directory.models import ProblemReport, Service
from gpequity.web.orgs.models import Organisation

pytestmark = pytest.mark.django_db


def test_demo_feed_validates():
    feed = demo_feed(dt.date(2026, 12, 1))
    assert 35 <= len(feed) <= 45
    assert [p for doc in feed for p in service_problems(doc)] == []
    assert len({doc["id"] for doc in feed}) == len(feed)


def test_demo_directory(client):
    info = demo._organisations_and_people()
    build(info)
    pcn = Organisation.objects.get(ods_code="U99001")
    practice = Organisation.objects.get(ods_code=info.practice_ods)
    assert Service.objects.filter(owner=pcn, source__contains="synthetic").count() >= 35
    today = timezone.localdate()
    levels = [selectors.stale_level(s, today) for s in selectors.services_for(practice)]
    assert levels.count("due") >= 2 and levels.count("stale") >= 2
    assert ProblemReport.objects.filter(owner=pcn, closed_at__isnull=True).count() == 1
    assert Service.objects.filter(owner=practice).count() == 1
    listing = client.get("/oruk/services?per_page=100").json()
    assert listing["total_items"] == Service.objects.filter(public=True).count() >= 35
    assert "Night shelter" not in [s["name"] for s in listing["contents"]]
