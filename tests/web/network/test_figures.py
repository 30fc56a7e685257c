"""Each practice's disclosed figures kept in the database with its run (network.figures):
the same figures as disclosure control applied afresh, whichever way they were kept, and
sharing still decided at every view."""

from __future__ import annotations

import math
import re

import pytest
from django.test import Client

from gpequity.hna.indicators import Indicator
from gpequity.web.hna.models import Run
from gpequity.web.network import figures, selectors, services
from gpequity.web.network.benchmarking import VIEWS, practice_figures
from gpequity.web.network.models import DisclosedFigures

from .world import network_world

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
KEYS = [(v["grouping"], v["group"]) for v in VIEWS.values()]


def _same(a, b) -> bool:
    """Equal, NaN equal to NaN (a value that cannot be calculated)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _same_rows(a: dict | None, b: dict | None, fields=None) -> bool:
    if a is None or b is None:
        return a is b
    keys = set(fields) if fields else set(a) | set(b)
    return all(_same(a.get(k), b.get(k)) for k in keys)


def _fresh(run, definition) -> tuple[dict, dict]:
    """Disclosure control applied now to the run's stored rows, as before anything was kept."""
    rows = selectors.run_rows({run.pk: run}, definition.id).get(run.pk, [])
    return practice_figures(definition, rows)


def _check_same(kept: tuple[dict, dict], fresh: tuple[dict, dict]) -> int:
    compared = 0
    for key in KEYS:
        assert _same_rows(kept[0].get(key), fresh[0].get(key)), (key, kept[0], fresh[0])
        assert _same_rows(kept[1].get(key), fresh[1].get(key), figures.EXACT_FIELDS), key
        compared += fresh[0].get(key) is not None
    return compared


@pytest.fixture
def world():
    return network_world()


def _definitions(run) -> list[Indicator]:
    return [Indicator.model_validate(d) for d in run.definitions]


def test_kept_figures_are_the_figures_disclosure_control_gives_afresh(world):
    runs = {r.organisation_id: r for r in Run.objects.filter(status="done")}
    assert len(runs) == 5
    # Every run was kept as it was stored: one row per indicator.
    definitions = _definitions(next(iter(runs.values())))
    assert DisclosedFigures.objects.count() == 5 * len(definitions)
    compared = suppressed = 0
    for definition in definitions:
        kept = figures.for_indicator(definition, runs)
        for pk, run in runs.items():
            fresh = _fresh(run, definition)
            compared += _check_same(kept[pk], fresh)
            suppressed += sum(bool(fresh[0].get(k) and fresh[0][k]["suppressed"]) for k in KEYS)
    assert compared > 100 and suppressed > 10  # the world has both kinds of row


def test_figures_of_a_run_kept_before_are_worked_out_at_first_view_and_kept(world):
    DisclosedFigures.objects.all().delete()
    runs = {r.organisation_id: r for r in Run.objects.filter(status="done")}
    definition = next(d for d in _definitions(next(iter(runs.values()))) if d.kind == "mean")
    first = figures.for_indicator(definition, runs)
    assert DisclosedFigures.objects.filter(indicator=definition.id, mean=True).count() == 5
    again = figures.for_indicator(definition, runs)  # read back from the database
    for pk, run in runs.items():
        fresh = _fresh(run, definition)
        _check_same(first[pk], fresh)
        _check_same(again[pk], fresh)
        # A mean's numerator is a sum of scores: never shown, even when kept.
        assert all(r["numerator"] is None for r in first[pk][0].values())


def test_numbers_json_cannot_hold_survive_the_database(world):
    run = Run.objects.filter(status="done").first()
    row = {
        "indicator": "x",
        "grouping": "overall",
        "group": "all",
        "numerator": 10,
        "denominator": 20,
        "value": math.nan,
        "lower": math.inf,
        "upper": -math.inf,
        "compared_with_rest": "",
        "suppressed": False,
    }
    exact = {**row, "numerator": 12.5, "lower": math.nan}
    made = ({("overall", "all"): row}, {("overall", "all"): exact})
    DisclosedFigures.objects.create(
        run=run, indicator="x", mean=False, figures=figures.to_stored(made)
    )
    stored = DisclosedFigures.objects.get(run=run, indicator="x").figures
    shown, raw = figures.from_stored(stored)
    assert _same_rows(shown[("overall", "all")], row)
    assert _same_rows(raw[("overall", "all")], exact, figures.EXACT_FIELDS)
    assert ("imd_quintile", "Q1") not in shown and ("imd_quintile", "Q1") not in raw


def test_the_page_is_the_same_from_kept_figures_and_from_figures_worked_out_afresh(world):
    client = Client()
    client.force_login(world["analyst"])
    base = f"/orgs/{world['icb'].ods_code}/network/benchmarks/"
    urls = [
        f"{base}{ind}/?view={view}"
        for ind in ("ethnicity_recorded", "continuity_upc", "ld_health_check")
        for view in VIEWS
    ]

    def page(url: str) -> str:  # the page less the sign-out form's token, new each time
        return CSRF.sub("", client.get(url).content.decode())

    kept = {url: page(url) for url in urls}
    DisclosedFigures.objects.all().delete()
    afresh = {url: page(url) for url in urls}
    assert afresh == kept
    assert DisclosedFigures.objects.exists()


def test_withdrawing_sharing_hides_a_practice_at_once_though_its_figures_are_kept(world):
    client = Client()
    client.force_login(world["analyst"])
    url = f"/orgs/{world['icb'].ods_code}/network/benchmarks/ethnicity_recorded/"
    assert "Hill Surgery" in client.get(url).content.decode()
    hill = world["Hill Surgery"]
    services.sharing_update(
        actor=world["leads"]["Hill Surgery"],
        organisation=hill,
        settings={"hna_to_pcn": True, "hna_to_icb": False},
    )
    # Hill's figures are still kept in the database, and not shown.
    assert DisclosedFigures.objects.filter(run__organisation=hill).exists()
    page = client.get(url).content.decode()
    assert "Hill Surgery" not in page and "H10001" not in page
    csv_text = client.get(url.rstrip("/") + ".csv").content.decode()
    assert "Hill Surgery" not in csv_text
    # Its PCN still sees it: the PCN's setting did not change.
    client.force_login(world["network_lead"])
    pcn_url = f"/orgs/{world['pcn'].ods_code}/network/benchmarks/ethnicity_recorded/"
    assert "Hill Surgery" in client.get(pcn_url).content.decode()


def test_a_deleted_run_takes_its_kept_figures_with_it(world):
    run = Run.objects.filter(organisation=world["Dale Surgery"]).get()
    assert DisclosedFigures.objects.filter(run=run).exists()
    run.delete()
    assert not DisclosedFigures.objects.filter(run_id=run.pk).exists()


def test_a_chart_shows_the_practices_that_share_now_never_a_remembered_drawing(world):
    from gpequity.web.network import charts

    client = Client()
    client.force_login(world["analyst"])
    url = f"/orgs/{world['icb'].ods_code}/network/benchmarks/ethnicity_recorded/"

    def ranked() -> str:
        return client.get(url).content.decode().split('id="ranked"')[1].split("</figure>")[0]

    assert "Hill Surgery" in ranked()
    assert charts._CACHE  # this process remembers what it drew
    # Hill withdraws: the same page (this process has drawn it) draws without Hill.
    services.sharing_update(
        actor=world["leads"]["Hill Surgery"],
        organisation=world["Hill Surgery"],
        settings={"hna_to_pcn": True, "hna_to_icb": False},
    )
    assert "Hill Surgery" not in ranked()  # other figures: another chart


def test_a_long_name_is_cut_on_the_ranked_charts_axis_and_whole_elsewhere(world):
    from gpequity.web.network import charts

    long = "The Riverside Medical Practice at Old Market Street Health Centre"
    hill = world["Hill Surgery"]
    hill.name = long
    hill.save()
    charts._CACHE.clear()
    client = Client()
    client.force_login(world["network_lead"])
    page = client.get(
        f"/orgs/{world['pcn'].ods_code}/network/benchmarks/ethnicity_recorded/"
    ).content.decode()
    ranked = page.split('id="ranked"')[1].split("</figure>")[0]
    drawn = ranked.split("</title>", 1)[1]  # the drawing, less its spoken label
    assert long[: charts.NAME_CHARS - 1] + "\u2026" in drawn and long not in drawn
    assert long in ranked.split("</title>", 1)[0]  # the label says it whole
    assert long in page.split('id="benchmark-table"')[1]  # and the table
