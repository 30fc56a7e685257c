"""The bar of issue 19: every network page, API response and export, as each oversight role,
shows no count from 1 to 7, every count a multiple of 5, and nothing of a practice that does
not share its results."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gpequity.web.engagement import services as engagement
from gpequity.web.network import board
from gpequity.web.network.demo import FOCUS, store_practice_run
from gpequity.web.network.models import SharingSettings
from tests.factories import PracticeFactory, member

from .world import AS_OF, network_world, tables

pytestmark = pytest.mark.django_db
VIEWS = ("overall", "q1", "focus")
COUNT = re.compile(r"<span data-count>([^<]*)</span>")


def _ok(n) -> bool:
    n = float(n)
    return n == int(n) and (n == 0 or (n > 7 and int(n) % 5 == 0))


@pytest.fixture
def world():
    w = network_world()
    # Engagement the practices share by default: small numbers the board must not show.
    for name, n in (("Hill Surgery", 3), ("Dale Surgery", 11), ("Moor Surgery", 2)):
        for i in range(n):
            engagement.activity_create(
                actor=w["leads"][name],
                organisation=w[name],
                data={
                    "title": f"Listening event {i + 1}",
                    "start_date": dt.date.today() - dt.timedelta(days=10 + i),
                    "level": ("inform", "consult", "co_produce")[i % 3],
                },
            )
    return w


def _indicators(rows) -> list[str]:
    return list(dict.fromkeys(r["indicator"] for r in next(iter(rows.values()))))


def _walk(client: Client, user, org, indicators) -> dict[str, str]:
    """Every network page, export and API answer of ``org`` by URL, as text."""
    base = f"/orgs/{org.ods_code}/network/"
    urls = [base, base + "benchmarks/", base + "needs/", base + "board/"]
    for ind in indicators:
        for view in VIEWS:
            urls.append(f"{base}benchmarks/{ind}/?view={view}")
            urls.append(f"{base}benchmarks/{ind}.csv?view={view}")
    api = f"/api/orgs/{org.ods_code}/network/"
    urls += [api + "hna", api + "hna?indicator=ethnicity_recorded", api + "progress"]
    out = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out[url] = response.content.decode()
    # The board report's PDF is drawn from its print page.
    out[base + "board/print"] = board.report_html(user, org)
    return out


BOARD_CELL = re.compile(r'<td class="nhsuk-table__cell nhsuk-table__cell--numeric">(.*?)</td>')


def _check_board(url: str, text: str) -> int:
    """Every figure of the board's engagement table is a disclosed count, suppressed, or a
    share worked out from two shown counts; the summary's count too."""
    table = text.split('id="board-engagement-table"')[1].split("</table>")[0]
    checked = 0
    for cell in BOARD_CELL.findall(table):
        cell = re.sub(r"</?span[^>]*>", "", cell).strip()
        if cell in ("suppressed", "No activities") or cell.endswith("%"):
            continue
        assert _ok(cell), (url, cell)
        checked += 1
    for n in re.findall(r"(\d+) engagement activit", text):
        assert _ok(n), (url, n)
    return checked


def _check_counts(answers: dict[str, str]) -> int:
    checked = 0
    for url, text in answers.items():
        if "/network/hna" in url:
            import json

            body = json.loads(text)
            for row in body["rows"]:
                for field in ("numerator", "denominator"):
                    if row[field] is not None and not (
                        field == "numerator" and row["indicator"].startswith("continuity")
                    ):
                        assert _ok(row[field]), (url, row)
                        checked += 1
                if row["suppressed"]:
                    assert row["value"] is None and row["lower"] is None, row
        elif url.endswith("/progress"):
            import json

            for practice in json.loads(text):
                engaged = practice["engagement_last_12_months"]
                if engaged is None:
                    continue
                for band in ("done_to", "done_for", "done_with"):
                    if engaged[band] is None:  # said to be suppressed, never just missing
                        assert band in engaged["suppressed"], (url, practice)
                    else:
                        assert _ok(engaged[band]) and band not in engaged["suppressed"], (
                            url,
                            practice,
                        )
                        checked += 1
        elif ".csv" in url:
            for row in csv.DictReader(io.StringIO(text)):
                for field in ("numerator", "denominator"):
                    cell = row[field]
                    if cell not in ("", "suppressed"):
                        assert _ok(cell), (url, row)
                        checked += 1
                if row["status"] == "suppressed":
                    assert row["value"] == "" and row["numerator"] == "suppressed", row
        elif "/api/" not in url:
            if "/board/" in url:
                checked += _check_board(url, text)
            for cell in COUNT.findall(text):
                assert _ok(cell), (url, cell)
                checked += 1
    return checked


def test_every_network_answer_is_disclosed_and_nothing_unshared_appears(world):
    rows, _ = tables()
    indicators = _indicators(rows)
    client = Client()
    checked = 0
    for role, org, absent in (
        ("network_lead", world["pcn"], ("Oak Surgery", "H10004", "Moor Surgery", "H10005")),
        ("analyst", world["icb"], ("Oak Surgery", "H10004")),
        ("analyst", world["pcn"], ("Oak Surgery", "H10004", "Moor Surgery")),
    ):
        client.force_login(world[role])
        answers = _walk(client, world[role], org, indicators)
        checked += _check_counts(answers)
        for url, text in answers.items():
            if url.endswith(("/network/", "/progress", "/board/", "/board/print")):
                # The dashboard, progress API and board report name every practice (not
                # shared as such).
                continue
            for name in absent:
                assert name not in text, (role, url, name)
        # Oak's progress is not shared either: the dashboard says so.
        dashboard = answers[f"/orgs/{org.ods_code}/network/"]
        oak = dashboard.split('id="progress"')[1].split("Oak Surgery")[1].split("</tr>")[0]
        assert "Not shared" in oak
    assert checked > 500  # the walk really met counts


def test_the_small_practice_is_mostly_suppressed_and_said_so(world):
    client = Client()
    client.force_login(world["network_lead"])
    base = f"/orgs/{world['pcn'].ods_code}/network/benchmarks/"
    page = client.get(base + "ethnicity_recorded/?view=q1").content.decode()
    tiny = page.split('id="benchmark-table"')[1].split("Tiny Surgery")[1].split("</tr>")[0]
    assert "Suppressed" in tiny
    hna = client.get(f"/api/orgs/{world['pcn'].ods_code}/network/hna").json()
    mine = [r for r in hna["rows"] if r["practice_code"] == "H10003"]
    assert sum(r["suppressed"] for r in mine) > len(mine) / 2
    # "Suppressed", "no patients" and "cannot be calculated" read differently.
    page = client.get(base + "ld_health_check/?view=focus").content.decode()
    assert "Suppressed" in page or "No patients in this group" in page


def test_funnel_page_has_chart_text_table_and_direction(world):
    client = Client()
    client.force_login(world["network_lead"])
    page = client.get(
        f"/orgs/{world['pcn'].ods_code}/network/benchmarks/ethnicity_recorded/"
    ).content.decode()
    assert "Higher is better." in page
    assert 'role="img"' in page and "Funnel plot of" in page and "99.8% limits" in page
    assert "Practices ranked" in page and 'id="benchmark-table"' in page
    assert "The network&#x27;s value" in page or "The network's value" in page
    needs = client.get(f"/orgs/{world['pcn'].ods_code}/network/needs/").content.decode()
    assert "Practices covered" in needs and "3 of 4" in needs
    assert AS_OF.strftime("%-d %B %Y") in needs


def test_benchmark_pages_need_the_same_queries_for_more_practices(world):
    rows, definitions = tables()
    client = Client()
    client.force_login(world["analyst"])
    urls = [
        f"/orgs/{world['icb'].ods_code}/network/benchmarks/ethnicity_recorded/?view=q1",
        f"/orgs/{world['icb'].ods_code}/network/needs/",
        f"/orgs/{world['icb'].ods_code}/network/",
        f"/api/orgs/{world['icb'].ods_code}/network/hna",
    ]
    before = []
    for url in urls:
        client.get(url)
        cache.clear()  # measure the needs page's uncached path
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        before.append(len(q))
    for n in range(3):
        practice = PracticeFactory(parent=world["south"], name=f"Extra {n}")
        lead = member(practice, "equity_lead")
        store_practice_run(
            practice=practice,
            lead=lead,
            as_of=AS_OF,
            rows=rows["H10001"],
            definitions=definitions,
            focus=FOCUS,
        )
        SharingSettings.objects.create(organisation=practice, hna_to_icb=True)
    after = []
    for url in urls:
        client.get(url)  # as before: the new practices' charts drawn and kept once
        cache.clear()
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        after.append(len(q))
    assert after == before, (before, after)
    assert max(after) <= 20


def test_continuity_indices_get_a_funnel_of_means_with_limits_from_the_spread(world):
    """A continuity index is a mean of patients' scores: its funnel's limits come from the
    spread of the scores (each practice's exact interval gives its sd back), the practices
    are placed against them, and the page says why the limits are what they are."""
    import math

    from gpequity.benchmark import mean_limits

    rows, _ = tables()
    client = Client()
    client.force_login(world["network_lead"])
    url = f"/orgs/{world['pcn'].ods_code}/network/benchmarks/continuity_upc/"
    page = client.get(url).content.decode()
    assert 'id="funnel"' in page and "Funnel plot of" in page and "99.8% limits" in page
    assert 'id="mean-funnel"' in page and "average of each patient" in page
    assert 'id="no-funnel"' not in page
    assert "Practices ranked" in page and "Against the network" in page
    # The network's value is the mean over all the sharing practices' patients.
    sharing = ("H10001", "H10002", "H10003")
    exact = [
        next(
            r for r in rows[c] if r["indicator"] == "continuity_upc" and r["grouping"] == "overall"
        )
        for c in sharing
    ]
    total = sum(r["denominator"] for r in exact)
    mean = sum(r["numerator"] for r in exact) / total
    assert f"{mean:.2f}" in page
    # Hill Surgery sits where the limits of a mean put it (sd from the intervals).
    z = 1.959964
    sds = [(r["upper"] - r["lower"]) / (2 * z) * math.sqrt(r["denominator"]) for r in exact]
    n1 = [r["denominator"] - 1 for r in exact]
    sd = math.sqrt(sum(k * s * s for k, s in zip(n1, sds, strict=True)) / sum(n1))
    hill = exact[0]
    (lim,) = mean_limits(mean, sd, [hill["denominator"]])
    inside = lim.lower_95 <= hill["value"] <= lim.upper_95
    row = page.split('id="benchmark-table"')[1].split("Hill Surgery")[1].split("</tr>")[0]
    assert ("Within" in row or "within" in row) == inside, row
    # The table's counts are still disclosed: the numerator of a mean is not a count.
    csv_text = client.get(url.rstrip("/") + ".csv").content.decode()
    for r in csv.DictReader(io.StringIO(csv_text)):
        assert r["numerator"] in ("", "suppressed")
        assert r["denominator"] == "suppressed" or _ok(r["denominator"])


def test_kept_benchmark_figures_follow_a_practices_newer_run(world):
    # Each practice's disclosed figures are kept by run and indicator; a newer run must be
    # what the page shows next, never the figures kept from the older one.
    client = Client()
    client.force_login(world["network_lead"])
    url = f"/orgs/{world['pcn'].ods_code}/network/benchmarks/ethnicity_recorded.csv"

    def by_practice() -> dict[str, list[str]]:
        lines = list(csv.reader(io.StringIO(client.get(url).content.decode())))
        return {line[1]: line[4:] for line in lines[1:] if line}  # name: its figures

    before = by_practice()
    assert before["Dale Surgery"] != before["Hill Surgery"]
    assert by_practice() == before  # the kept figures give the same page
    rows, definitions = tables()
    store_practice_run(
        practice=world["Dale Surgery"],
        lead=world["leads"]["Dale Surgery"],
        as_of=AS_OF + dt.timedelta(days=30),
        rows=rows["H10001"],  # Hill's results, so Dale's figures must now match Hill's
        definitions=definitions,
        focus=FOCUS,
    )
    after = by_practice()
    assert after["Dale Surgery"] == after["Hill Surgery"]


def test_the_network_hna_api_gives_one_indicator_exactly_as_in_the_whole_answer(world):
    """``?indicator=`` limits the answer (an ICB's whole answer runs to tens of megabytes) to
    exactly that indicator's rows of the whole answer: disclosure control works within each
    indicator, so asking for one changes none of its figures."""
    client = Client()
    client.force_login(world["analyst"])
    url = f"/api/orgs/{world['icb'].ods_code}/network/hna"
    whole = client.get(url).json()
    for indicator in ("ethnicity_recorded", "continuity_upc", "ld_health_check"):
        one = client.get(url, {"indicator": indicator}).json()
        assert one["practices"] == whole["practices"]
        assert one["rows"] == [r for r in whole["rows"] if r["indicator"] == indicator]
        assert one["rows"]
    assert client.get(url, {"indicator": "no_such_thing"}).json()["rows"] == []
    bad = client.get(url, {"indicator": "DROP TABLE"})
    assert bad.status_code == 400 and "not an indicator id" in bad.json()["detail"]


def test_engagement_counts_above_the_practice_are_disclosed_on_the_dashboard_and_api(world):
    """The dashboard's engagement table, an ICB's PCN sums and the progress API show the
    activities' counts through disclosure control, as the board does: Hill Surgery's three
    activities (one in each band) are suppressed and said so, not shown as 1."""
    import json

    client = Client()
    client.force_login(world["network_lead"])
    base = f"/orgs/{world['pcn'].ods_code}/network/"
    page = client.get(base).content.decode()
    table = page.split('id="engagement"')[1].split("</table>")[0]
    hill = table.split("Hill Surgery")[1].split("</tr>")[0]
    assert hill.count("Suppressed") == 3 and "data-count" not in hill
    assert all(_ok(n) for n in COUNT.findall(table))
    api = json.loads(client.get(f"/api/orgs/{world['pcn'].ods_code}/network/progress").content)
    hill_api = next(p for p in api if p["name"] == "Hill Surgery")["engagement_last_12_months"]
    assert hill_api == {
        "done_to": None,
        "done_for": None,
        "done_with": None,
        "suppressed": ["done_to", "done_for", "done_with"],
    }
    client.force_login(world["analyst"])
    icb = client.get(f"/orgs/{world['icb'].ods_code}/network/").content.decode()
    pcns = icb.split('id="pcns"')[1].split("</table>")[0]
    assert "Suppressed" in pcns or "data-count" in pcns
    assert all(_ok(n) for n in COUNT.findall(pcns))


def test_the_dashboard_counts_the_boards_period_not_planned_activities(world):
    """Activities planned for next month have not started: the dashboard counts, like the
    board, those started in the last 12 months up to today."""
    from gpequity.web.network.selectors import engagement_bands, network_for

    hill = world["Hill Surgery"]
    for i in range(25):
        engagement.activity_create(
            actor=world["leads"]["Hill Surgery"],
            organisation=hill,
            data={
                "title": f"Planned event {i + 1}",
                "start_date": dt.date.today() + dt.timedelta(days=30 + i),
                "level": "inform",
            },
        )
    net = network_for(world["network_lead"], world["pcn"])
    today = dt.date.today()
    bands = engagement_bands(net, since=today - dt.timedelta(days=365), until=today)
    assert dict(bands[hill.pk]) == {"to": 1, "for": 1, "with": 1}
