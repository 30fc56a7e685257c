"""The read-only catalogue API and its OpenAPI description."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/catalogue/frameworks"


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [a["key"] for a in response.json()]


def test_frameworks_list_every_pack(client):
    data = client.get(BASE).json()
    by_id = {f["id"]: f for f in data}
    assert set(by_id) == {"rcgp-fairer-practice", "nhse-inclusion-health"}
    rcgp = by_id["rcgp-fairer-practice"]
    assert (rcgp["actions"], rcgp["tiers"], rcgp["themes"]) == (116, 4, 18)
    assert rcgp["official_text_version"] is None
    assert rcgp["attribution"].startswith("Fairer Practice Toolkit")


def test_framework_detail_tiers_and_themes(client):
    detail = client.get(f"{BASE}/rcgp-fairer-practice").json()
    assert [t["key"] for t in detail["tier_list"]] == ["tier-1", "tier-2", "achieving", "leading"]
    tiers = client.get(f"{BASE}/rcgp-fairer-practice/tiers").json()
    assert [(t["order"], t["actions"]) for t in tiers] == [(1, 5), (2, 40), (3, 45), (4, 26)]
    themes = client.get(f"{BASE}/rcgp-fairer-practice/themes").json()
    assert len(themes) == 18 and sum(t["actions"] for t in themes) == 116
    assert client.get(f"{BASE}/nope").status_code == 404


def test_tier_names_from_the_imported_copy(client, imported):
    tiers = client.get(f"{BASE}/rcgp-fairer-practice/tiers").json()
    assert [(t["name"], t["pack_name"]) for t in tiers[:2]] == [
        ("Starting Out", "Tier 1"),
        ("Groundwork", "Tier 2"),
    ]
    by_id = {f["id"]: f for f in client.get(BASE).json()}
    assert by_id["rcgp-fairer-practice"]["official_text_version"] == 1


@pytest.mark.parametrize(
    ("params", "select"),
    [
        ({"tier": "leading"}, lambda a: a.tier == "leading"),
        ({"theme": "research"}, lambda a: a.theme == "research"),
        ({"group": "homeless"}, lambda a: "homeless" in a.groups),
        ({"core20plus5": "smoking_cessation"}, lambda a: "smoking_cessation" in a.core20plus5),
        ({"principle": "workforce"}, lambda a: "workforce" in a.principles),
        ({"effort": "low"}, lambda a: a.effort == "low"),
        ({"q": "INTERPRETER"}, lambda a: "interpreter" in (a.title + a.summary).lower()),
        (
            {"tier": "achieving", "effort": "medium", "group": "focus_patients"},
            lambda a: (
                a.tier == "achieving" and a.effort == "medium" and "focus_patients" in a.groups
            ),
        ),
    ],
)
def test_action_filters_match_the_pages(client, pack, params, select):
    want = [a.key for a in pack.actions if select(a)]
    assert want
    assert keys(client.get(f"{BASE}/rcgp-fairer-practice/actions", params)) == want


def test_all_actions_and_bad_filters(client):
    assert len(keys(client.get(f"{BASE}/rcgp-fairer-practice/actions"))) == 116
    bad = client.get(f"{BASE}/rcgp-fairer-practice/actions", {"tier": "tier-9"})
    assert bad.status_code == 400 and "unknown tier 'tier-9'" in bad.json()["detail"]
    assert client.get(f"{BASE}/rcgp-fairer-practice/actions", {"effort": "huge"}).status_code == 422


def test_action_detail_without_and_with_official_text(client, tmp_path):
    url = f"{BASE}/rcgp-fairer-practice/actions/acc_01"
    data = client.get(url).json()
    assert data["code"] == "ACC_01" and data["official"] is None
    assert data["attribution"].startswith("Fairer Practice Toolkit")
    assert client.get(f"{BASE}/rcgp-fairer-practice/actions/nope").status_code == 404

    from gpequity.web.catalogue import services
    from tests.web.catalogue.factories import read_bytes, toolkit_workbook

    services.import_official_text(result=read_bytes(tmp_path, toolkit_workbook()))
    official = client.get(url).json()["official"]
    assert official["descriptor"].startswith("Invented wording for acc_01, edition 1.")
    assert official["version"] == 1
    assert "Official text imported from your copy on" in official["attribution"]
    # Search reaches the imported descriptor too.
    found = client.get(f"{BASE}/rcgp-fairer-practice/actions", {"q": "quokkaflight"})
    assert keys(found) == ["acc_01"]


def test_openapi_describes_the_catalogue(client):
    doc = client.get("/api/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/catalogue/frameworks",
        "/api/catalogue/frameworks/{pack_id}",
        "/api/catalogue/frameworks/{pack_id}/tiers",
        "/api/catalogue/frameworks/{pack_id}/themes",
        "/api/catalogue/frameworks/{pack_id}/actions",
        "/api/catalogue/frameworks/{pack_id}/actions/{key}",
    ):
        assert "get" in paths[path], path
    params = {
        p["name"] for p in paths["/api/catalogue/frameworks/{pack_id}/actions"]["get"]["parameters"]
    }
    assert {"tier", "theme", "group", "core20plus5", "principle", "effort", "q"} <= params
    schemas = doc["components"]["schemas"]
    assert {"ActionOut", "ActionDetailOut", "OfficialTextOut", "FrameworkOut"} <= set(schemas)
    assert client.get("/api/docs").status_code == 200
