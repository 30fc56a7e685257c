"""The Open Referral UK core: the standard's own examples import, export and validate; export
then import is the identity; bad feeds are refused with the record's id, field and value."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from gpequity.oruk import (
    FeedError,
    feed_problems,
    from_oruk,
    open_now,
    page_envelope,
    plan_import,
    read_source,
    schema_problems,
    service_problems,
    to_list_item,
    to_oruk,
)
from gpequity.oruk.records import ServiceRecord
from gpequity.oruk.validate import schema

REF = Path(__file__).resolve().parents[3] / "shared" / "reference" / "oruk"
if not REF.exists():  # the worktree layout: /work/wt/<branch>/tests -> /work/shared
    REF = Path("/work/shared/reference/oruk")
EXAMPLES = REF / "examples"
PACKAGED = Path(__file__).resolve().parents[2] / "src" / "gpequity" / "oruk" / "data"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def test_bundled_schemas_are_the_standards_files_unchanged():
    for path in (REF / "schema").rglob("*.json"):
        shipped = PACKAGED / "schema" / path.relative_to(REF / "schema")
        assert shipped.read_bytes() == path.read_bytes(), shipped
    assert (PACKAGED / "LICENSE.txt").read_bytes() == (REF / "LICENSE").read_bytes()
    assert "openreferral.org" in (PACKAGED / "ATTRIBUTION.txt").read_text()


@pytest.mark.parametrize(
    ("name", "schema_name"),
    [
        ("service_full", "service"),
        ("service_at_location_full", "service_at_location"),
        ("organization_full", "organization"),
        ("taxonomy", "taxonomy"),
        ("taxonomy_term", "taxonomy_term"),
    ],
)
def test_the_standards_examples_validate(name, schema_name):
    assert schema_problems(example(name), schema_name) == []


def test_service_example_imports_exports_and_validates():
    doc = example("service_full")
    record = from_oruk(doc)
    assert record.name == "Community Counselling"
    assert record.organisation_name == "Example Organization Inc."
    assert record.schedules[0].days == ["TH", "FR"]
    assert record.locations[0].addresses[0].postal_code == "ABC 1234"
    assert record.terms[0].id == "3f7b145d-84af-42d7-8fae-eaca714b02b2"
    out = to_oruk(record)
    assert service_problems(out) == []
    # Everything the example says comes back; the organisation's id is also given top-level.
    assert out.pop("organization_id") == doc["organization"]["id"]
    assert out == doc


def test_list_example_imports_and_each_item_exports_as_a_list_item():
    page = example("service_list")
    services = read_source(EXAMPLES / "service_list.json").services
    assert [s["id"] for s in services] == [c["id"] for c in page["contents"]]
    for s in services:
        item = to_list_item(from_oruk(s))
        assert schema_problems(item, "service_list") == []
    envelope = page_envelope(
        [to_list_item(from_oruk(s)) for s in services], total=1, page=1, per_page=10
    )
    assert envelope["total_pages"] == 1 and envelope["last_page"] and not envelope["empty"]


def test_csv_package_example_imports_like_the_json_example(tmp_path):
    folder = read_source(EXAMPLES / "csv")
    assert folder.kind == "csv" and len(folder.services) == 1
    doc = folder.services[0]
    assert service_problems(doc) == []
    json_doc = example("service_full")
    assert doc["name"] == json_doc["name"]
    assert doc["organization"]["id"] == json_doc["organization"]["id"]
    assert doc["schedules"][0]["byday"] == "TH,FR"
    assert doc["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "ABC 1234"
    # The example's attribute.csv links its term to another record (link_id), not this service.
    assert "attributes" not in doc
    assert doc["contacts"][0]["phones"][0]["id"] == "1554f2e2-a373-45db-a3fa-9fc48a61c15e"
    assert doc["minimum_age"] == 12 and isinstance(doc["minimum_age"], int)
    # The same package as a zip reads the same.
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in (EXAMPLES / "csv").iterdir():
            zf.write(f, f"package/{f.name}")
    assert read_source(archive).services == folder.services


def _full_record() -> ServiceRecord:
    doc = example("service_full")
    doc |= {
        "eligibility_description": "Adults who care for someone",
        "wait_time": "About two weeks",
        "gpequity_access_routes": ["self_referral", "professional_referral"],
        "gpequity_referral_form_url": "https://example.org/refer",
        "gpequity_groups": ["carer"],
        "gpequity_toolkit_actions": ["NET_01"],
        "phones": [{"id": "0b6a1a37-5c3e-4a26-9d8e-0cfe5b0e0d55", "number": "01632 960001"}],
        "languages": [{"id": "2989d3ed-c547-48f8-8f9d-432d81c7892e", "code": "pa"}],
    }
    return from_oruk(doc)


def test_export_then_import_is_the_identity():
    record = _full_record()
    exported = to_oruk(record)
    assert service_problems(exported) == []
    assert from_oruk(json.loads(json.dumps(exported))) == record
    assert record.access_routes == ["self_referral", "professional_referral"]
    assert record.languages[0].label == "Punjabi"
    assert exported["gpequity_groups"] == ["carer"]


def test_optional_fields_without_a_value_are_left_out():
    org = "7b7c8a1e-3c0d-4a55-9b32-1b7e1c2f9e10"
    record = from_oruk(
        {
            "id": "5d1f0a54-2f0c-4a0e-8f25-3a8e8b0e3f11",
            "name": "Walk group",
            "status": "active",
            "organization_id": org,
            "description": "",
            "email": None,
            "schedules": [],
        }
    )
    assert to_oruk(record) == {
        "id": "5d1f0a54-2f0c-4a0e-8f25-3a8e8b0e3f11",
        "organization_id": "7b7c8a1e-3c0d-4a55-9b32-1b7e1c2f9e10",
        "name": "Walk group",
        "status": "active",
    }


def _bad(**changes) -> dict:
    doc = copy.deepcopy(example("service_full"))
    for key, value in changes.items():
        if value is None:
            doc.pop(key)
        else:
            doc[key] = value
    return doc


def test_invalid_email_is_refused_with_id_field_and_value():
    problems = service_problems(_bad(email="not-an-address"))
    assert [(p.record_id, p.field, p.value) for p in problems] == [
        ("ac148810-d857-441c-9679-408f346de14b", "email", "not-an-address")
    ]
    assert "valid email" in problems[0].message


def test_missing_required_field_is_refused():
    problems = service_problems(_bad(name=None))
    assert [(p.field, p.value) for p in problems] == [("name", "(missing)")]
    nested = _bad()
    del nested["service_at_locations"][0]["location"]["addresses"][0]["postal_code"]
    (p,) = service_problems(nested)
    assert p.field == "service_at_locations[0].location.addresses[0].postal_code"


@pytest.mark.parametrize(
    ("schedule", "field", "value"),
    [
        ({"opens_at": "25:00"}, "schedules[0].opens_at", "25:00"),
        ({"opens_at": "18:00", "closes_at": "09:00"}, "schedules[0].closes_at", "09:00"),
        ({"byday": "Mondays"}, "schedules[0].byday", "Mondays"),
        ({"freq": "DAILY"}, "schedules[0].freq", "DAILY"),
    ],
)
def test_broken_schedule_is_refused(schedule, field, value):
    doc = _bad()
    doc["schedules"][0] |= schedule
    problems = service_problems(doc)
    assert (doc["id"], field, value) in [(p.record_id, p.field, p.value) for p in problems]


def test_a_feed_with_one_bad_record_plans_nothing():
    good = example("service_full")
    bad = _bad(id="9a0d7c1e-0000-4000-8000-000000000001", email="nope")
    plan = plan_import({}, [good, bad])
    assert not plan.ok and not plan.added
    assert [str(p) for p in plan.problems] == [
        "service 9a0d7c1e-0000-4000-8000-000000000001: email = nope: is not a valid email"
    ]
    assert [p.field for p in feed_problems([good, good])] == ["id"]


def test_reimport_changes_nothing_and_an_update_changes_only_what_changed():
    doc = example("service_full")
    first = plan_import({}, [doc])
    assert [c.id for c in first.added] == [doc["id"]]
    stored = {doc["id"]: to_oruk(first.records[doc["id"]])}
    again = plan_import(stored, [doc])
    assert again.unchanged == [doc["id"]] and not again.added and not again.changed
    updated = copy.deepcopy(doc) | {"alert": "Closed on 24 December"}
    plan = plan_import(stored, [updated])
    assert [(c.id, c.fields) for c in plan.changed] == [(doc["id"], ["alert"])]


def test_open_now_follows_weekly_schedules():
    record = from_oruk(
        {
            "id": "x",
            "name": "n",
            "status": "active",
            "schedules": [
                {
                    "id": "s",
                    "freq": "WEEKLY",
                    "byday": "MO,WE",
                    "opens_at": "09:00",
                    "closes_at": "17:00",
                }
            ],
        }
    )
    monday = dt.datetime(2026, 11, 30, 10, 0)
    assert open_now(record, monday)
    assert not open_now(record, monday.replace(hour=17))
    assert not open_now(record, monday + dt.timedelta(days=1))


def test_feed_errors_name_the_file_and_place(tmp_path):
    broken = tmp_path / "feed.json"
    broken.write_text('{"contents": [\n  {"id": }\n]}')
    with pytest.raises(FeedError, match=r"feed.json: not valid JSON at line 2, column 10"):
        read_source(broken)
    with pytest.raises(FeedError, match="no such file"):
        read_source(tmp_path / "missing.json")
    empty = tmp_path / "pkg"
    shutil.copytree(EXAMPLES / "csv", empty)
    (empty / "services.csv").unlink()
    with pytest.raises(FeedError, match="no services.csv"):
        read_source(empty)
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.csv", "id,name\n" + "x" * 2_000_000)
    with pytest.raises(FeedError, match="unpacks to more than"):
        read_source(big, max_bytes=1_000_000)


def test_compiled_service_schema_is_draft_2020_12_compatible():
    assert schema("service")["required"] == ["id", "name", "status"]
