"""Catalogue pages: overview, filters, search, browse by tier and theme, action page, exports."""

from __future__ import annotations

import csv
import io
import json
import re

import openpyxl
import pytest

from gpequity.catalogue import load_pack, vocab
from tests.web.catalogue.factories import SEARCH_WORD

pytestmark = pytest.mark.django_db


def count_shown(html: str) -> int:
    match = re.search(r'id="result-count"[^>]*>(?:Showing all )?(\d+) action', html)
    assert match, "result count missing"
    return int(match.group(1))


def result_keys(html: str) -> list[str]:
    return re.findall(r'<h3 class="nhsuk-heading-s[^"]*"><a href="/toolkit/actions/([^/]+)/', html)


def test_overview_lists_tiers_in_order_with_counts_and_every_action(client, pack):
    html = client.get("/toolkit/").content.decode()
    assert html.count("<h1") == 1
    tier_rows = re.findall(r'<a href="/toolkit/tiers/([^/]+)/">([^<]+)</a>.*?numeric">(\d+)<', html)
    assert [(k, int(n)) for k, _, n in tier_rows] == [
        ("tier-1", 5),
        ("tier-2", 40),
        ("achieving", 45),
        ("leading", 26),
    ]
    assert [name for _, name, _ in tier_rows] == ["Tier 1", "Tier 2", "Achieving", "Leading"]
    theme_rows = dict(
        re.findall(r'<a href="/toolkit/themes/([^/]+)/">[^<]+</a>.*?numeric">(\d+)<', html)
    )
    assert theme_rows["access-and-flexibility"] == "22"
    assert sum(int(v) for v in theme_rows.values()) == 116
    assert count_shown(html) == 116
    assert len(result_keys(html)) == 116
    assert pack.attribution.split(".")[0] in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "tier-1"}, lambda p: p.actions_in(tier="tier-1")),
        ({"theme": "digital-inclusion"}, lambda p: p.actions_in(theme="digital-inclusion")),
        ({"effort": "high"}, lambda p: [a for a in p.actions if a.effort == "high"]),
        ({"group": "carer"}, lambda p: [a for a in p.actions if "carer" in a.groups]),
        (
            {"core20plus5": "hypertension"},
            lambda p: [a for a in p.actions if "hypertension" in a.core20plus5],
        ),
        ({"principle": "commit"}, lambda p: [a for a in p.actions if "commit" in a.principles]),
        (
            {"tier": "tier-2", "theme": "access-and-flexibility", "effort": "low"},
            lambda p: [
                a
                for a in p.actions_in(tier="tier-2", theme="access-and-flexibility")
                if a.effort == "low"
            ],
        ),
    ],
)
def test_filters_combine(client, pack, params, expected):
    html = client.get("/toolkit/", params).content.decode()
    want = [a.key for a in expected(pack)]
    assert want, "the case should select something in the real pack"
    assert result_keys(html) == want
    assert count_shown(html) == len(want)
    assert "Clear filters" in html


def test_search_is_case_insensitive_over_title_summary_and_code(client, pack):
    by_title = client.get("/toolkit/", {"q": "INCLUSIVE REGISTRATION"}).content.decode()
    assert "acc_01" in result_keys(by_title)
    by_code = client.get("/toolkit/", {"q": "hna_01"}).content.decode()
    assert result_keys(by_code) == ["hna_01"]
    word = "interpreter"
    want = [
        a.key for a in pack.actions if word in (a.title + " " + a.summary + " " + a.code).lower()
    ]
    got = result_keys(client.get("/toolkit/", {"q": "Interpreter"}).content.decode())
    assert got == want and got
    # Words combine: every word must appear somewhere in the action.
    both = result_keys(client.get("/toolkit/", {"q": "interpreter tier"}).content.decode())
    assert set(both) <= set(got)


def test_search_finds_official_descriptor_only_after_import(client, tmp_path):
    assert result_keys(client.get("/toolkit/", {"q": SEARCH_WORD}).content.decode()) == []
    from gpequity.web.catalogue import services
    from tests.web.catalogue.factories import read_bytes, toolkit_workbook

    services.import_official_text(result=read_bytes(tmp_path, toolkit_workbook()))
    found = client.get("/toolkit/", {"q": SEARCH_WORD.upper()}).content.decode()
    assert result_keys(found) == ["acc_01"]


def test_no_results_says_so(client):
    html = client.get("/toolkit/", {"q": "nothing-matches-this-xyzzy"}).content.decode()
    assert count_shown(html) == 0
    assert "No actions match" in html


def test_unknown_filter_value_is_an_error_not_a_crash(client):
    response = client.get("/toolkit/", {"tier": "tier-99"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert count_shown(html) == 116


def test_pack_chooser_switches_framework(client):
    html = client.get("/toolkit/").content.decode()
    assert '?pack=nhse-inclusion-health"' in html
    other = client.get("/toolkit/", {"pack": "nhse-inclusion-health"}).content.decode()
    assert "National framework for NHS action on inclusion health" in other
    assert count_shown(other) == len(load_pack("nhse-inclusion-health").actions)
    assert client.get("/toolkit/", {"pack": "no-such-pack"}).status_code == 404


def test_browse_by_tier_and_theme(client, pack):
    html = client.get("/toolkit/tiers/leading/").content.decode()
    assert sorted(result_keys(html)) == sorted(a.key for a in pack.actions_in(tier="leading"))
    assert "26 actions" in html
    html = client.get("/toolkit/themes/research/").content.decode()
    assert sorted(result_keys(html)) == sorted(a.key for a in pack.actions_in(theme="research"))
    assert client.get("/toolkit/tiers/nope/").status_code == 404
    assert client.get("/toolkit/themes/nope/").status_code == 404


def test_action_page_without_official_text(client, pack):
    action = pack.action("acc_01")
    html = client.get("/toolkit/actions/acc_01/").content.decode()
    assert html.count("<h1") == 1
    assert action.code in html and action.title in html and action.summary in html
    assert "Inclusion health principles" in html and "Core20PLUS5 areas" in html
    for group in action.groups:
        assert vocab.GROUPS[group] in html
    for ind in action.indicators:
        assert vocab.INDICATORS[ind] in html
    assert "Official toolkit text" in html
    assert "site staff can import it" in html
    assert "Official text imported from your copy" not in html
    nxt = pack.actions[1]
    assert f'href="/toolkit/actions/{nxt.key}/" rel="next"' in html
    assert 'rel="prev"' not in html  # first action of the pack
    assert client.get("/toolkit/actions/no_such_action/").status_code == 404


def test_indicator_sentences_cover_every_indicator():
    from gpequity.web.catalogue.presenters import INDICATOR_EXPLAINED

    assert set(INDICATOR_EXPLAINED) == set(vocab.INDICATORS)


def test_action_page_with_official_text_and_tier_names(client, pack, imported):
    html = client.get("/toolkit/actions/acc_01/").content.decode()
    assert "Invented wording for acc_01, edition 1." in html
    # Line breaks in the spreadsheet cell are kept.
    assert "on purpose.<br>Second line kept apart." in html
    assert "Made-up approach for acc_01.<br>Made-up benefit." in html
    assert "Made-up resource for acc_01" in html
    date = imported.created_at.astimezone().strftime("%-d %B %Y")
    assert f"Official text imported from your copy on {date}" in html
    assert pack.attribution.split(".")[0] in html
    assert "site staff can import it" not in html
    # The user's copy names the first two tiers; those names replace "Tier 1"/"Tier 2".
    tier1 = pack.actions_in(tier="tier-1")[0]
    page = client.get(f"/toolkit/actions/{tier1.key}/").content.decode()
    assert "Starting Out" in page and ">Tier 1<" not in page
    overview = client.get("/toolkit/").content.decode()
    assert "Groundwork" in overview


def test_action_of_another_pack_found_by_key(client):
    response = client.get("/toolkit/actions/ih-commit-01/")
    assert response.status_code == 200
    assert "National framework for NHS action on inclusion health" in response.content.decode()


def test_exports_download_the_pack(client, pack):
    data = json.loads(client.get("/toolkit/download/json/").content)
    assert len(data) == 116 and data[0]["key"] == pack.actions[0].key
    assert "official_descriptor" not in data[0]
    response = client.get("/toolkit/download/csv/")
    assert response["Content-Disposition"] == 'attachment; filename="rcgp-fairer-practice.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 116
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/toolkit/download/xlsx/").content))
    assert len(wb.sheetnames) == 4
    assert client.get("/toolkit/download/pdf/").status_code == 404
    html = client.get("/toolkit/").content.decode()
    assert 'href="/toolkit/download/xlsx/"' in html


def test_exports_include_official_text_once_imported(client, imported):
    data = json.loads(client.get("/toolkit/download/json/").content)
    acc = next(r for r in data if r["key"] == "acc_01")
    assert acc["official_descriptor"].startswith("Invented wording for acc_01")


def test_action_page_shows_the_signed_in_users_practice_and_add_to_plan(client):
    from tests.factories import PracticeFactory, member

    practice = PracticeFactory(name="Card Surgery")
    lead = member(practice, "equity_lead")
    nurse = member(practice, "member")
    client.force_login(lead)
    html = client.get("/toolkit/actions/acc_01/").content.decode()
    assert "In your practice" in html and "Card Surgery" in html
    assert f"/orgs/{practice.ods_code}/plan/adopt/acc_01/" in html
    client.force_login(nurse)
    html = client.get("/toolkit/actions/acc_01/").content.decode()
    assert "Card Surgery" in html and "/plan/adopt/acc_01/" not in html
    client.logout()
    assert "In your practice" not in client.get("/toolkit/actions/acc_01/").content.decode()
