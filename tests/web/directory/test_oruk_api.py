"""The public /oruk/ API: crawl every endpoint and a filter of each kind, validating every
response against the standard's compiled schemas; only public services appear; CORS open."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker

from gpequity.oruk import schema_problems
from gpequity.oruk.validate import schema
from gpequity.web.directory import services
from gpequity.web.directory.models import Service

from .conftest import example, feed_service

pytestmark = pytest.mark.django_db

TERM = "3f7b145d-84af-42d7-8fae-eaca714b02b2"
TAXONOMY = "07ff6aee-a219-438c-b694-d2fcb6c5373b"


def _page_validator():
    openapi = schema("openapi")
    page = openapi["components"]["schemas"]["Page"]
    return Draft202012Validator(
        {
            **page,
            "required": list(page["properties"]),
            "properties": {**page["properties"], "contents": {"type": "array"}},
        },
        format_checker=FormatChecker(),
    )


@pytest.fixture
def published(pcn, network_lead, practice, lead):
    full = example("service_full")
    full["attributes"][0]["taxonomy_term"]["taxonomy_id"] = TAXONOMY
    young = feed_service(2, minimum_age=5, maximum_age=16, name="Young carers club")
    private = feed_service(3, name="Staff only list")
    services.import_feed(actor=network_lead, owner=pcn, docs=[full, young, private], source="t")
    Service.objects.filter(owner=pcn).exclude(name="Staff only list").update(public=True)
    # The same council service imported by a practice too: served once.
    services.import_feed(actor=lead, owner=practice, docs=[full], source="t")
    Service.objects.filter(owner=practice).update(public=True)
    return full, young, private


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _no_nulls(value, where="$"):
    if isinstance(value, dict):
        for k, v in value.items():
            assert v is not None and v != "" and v != [], f"{where}.{k} is empty"
            _no_nulls(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _no_nulls(v, f"{where}[{i}]")


def test_crawl_every_endpoint_and_validate(published):
    full, young, private = published
    client = Client()
    page_check = _page_validator()
    seen = []

    def page(url, item_schema):
        doc = _get(client, url)
        assert list(page_check.iter_errors(doc)) == [], url
        for item in doc["contents"]:
            assert schema_problems(item, item_schema) == [], (url, item)
            _no_nulls(item)
        seen.append(url)
        return doc

    def one(url, item_schema):
        doc = _get(client, url)
        assert schema_problems(doc, item_schema) == [], url
        _no_nulls(doc)
        seen.append(url)
        return doc

    root = _get(client, "/oruk/")
    assert root["version"] == "HSDS-UK-3.0"
    assert root["openapi_url"].endswith("/oruk/openapi.json")
    assert _get(client, "/oruk/openapi.json")["info"]["title"] == "Open Referral UK Profile"

    listing = page("/oruk/services", "service_list")
    names = sorted(s["name"] for s in listing["contents"])
    assert names == ["Community Counselling", "Young carers club"]  # public ones, once each
    assert listing["total_items"] == 2 and listing["first_page"] and listing["last_page"]
    for item in listing["contents"]:
        detail = one(f"/oruk/services/{item['id']}", "service")
        assert detail["id"] == item["id"]
    counselling = _get(client, f"/oruk/services/{full['id']}")
    assert counselling["schedules"][0]["byday"] == "TH,FR"

    # A filter of each kind.
    assert [
        s["name"] for s in page("/oruk/services?search=CARERS+club", "service_list")["contents"]
    ] == ["Young carers club"]
    assert [
        s["id"] for s in page(f"/oruk/services?taxonomy_term_id={TERM}", "service_list")["contents"]
    ] == [full["id"]]
    assert [
        s["id"] for s in page(f"/oruk/services?taxonomy_id={TAXONOMY}", "service_list")["contents"]
    ] == [full["id"]]
    assert [
        s["name"] for s in page("/oruk/services?minimum_age=10", "service_list")["contents"]
    ] == ["Community Counselling"]
    assert [
        s["name"] for s in page("/oruk/services?maximum_age=20", "service_list")["contents"]
    ] == ["Young carers club"]
    first = page("/oruk/services?per_page=1&page=1", "service_list")
    second = page("/oruk/services?per_page=1&page=2", "service_list")
    assert first["total_pages"] == 2 and not first["last_page"] and second["last_page"]
    assert first["contents"][0]["id"] != second["contents"][0]["id"]
    assert page("/oruk/services?page=9", "service_list")["empty"] is True

    sals = page("/oruk/service_at_locations", "service_at_location_list")
    assert [s["id"] for s in sals["contents"]] == ["e94c9f38-1e8f-4564-91d4-d53501ab1765"]
    sal = one(f"/oruk/service_at_locations/{sals['contents'][0]['id']}", "service_at_location")
    assert sal["location"]["addresses"][0]["postal_code"] == "ABC 1234"
    page("/oruk/service_at_locations?search=counselling", "service_at_location_list")

    taxonomies = page("/oruk/taxonomies", "taxonomy")
    assert [t["id"] for t in taxonomies["contents"]] == [TAXONOMY]
    tax = one(f"/oruk/taxonomies/{TAXONOMY}", "taxonomy")
    assert [t["id"] for t in tax["taxonomy_terms"]] == [TERM]
    terms = page("/oruk/taxonomy_terms", "taxonomy_term")
    assert [t["id"] for t in terms["contents"]] == [TERM]
    one(f"/oruk/taxonomy_terms/{TERM}", "taxonomy_term")
    page(f"/oruk/taxonomy_terms?taxonomy_id={TAXONOMY}", "taxonomy_term")
    assert len(seen) >= 15


def test_private_services_are_not_served_and_bad_parameters_say_why(published):
    _, _, private = published
    client = Client()
    response = client.get(f"/oruk/services/{private['id']}")
    assert response.status_code == 404 and response["Access-Control-Allow-Origin"] == "*"
    assert "Staff only" not in client.get("/oruk/services?search=staff").content.decode()
    bad = client.get("/oruk/services?page=two")
    assert bad.status_code == 400 and "page must be a number" in bad.json()["error"]
    assert client.get("/oruk/services?minimum_age=old").status_code == 400
    assert client.get("/oruk/taxonomy_terms/nope").status_code == 404
    assert client.get("/oruk/service_at_locations/nope").status_code == 404
    assert client.post("/oruk/services").status_code == 405
