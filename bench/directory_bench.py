"""Search timing of the directory over 5,000 services (issue 17: under 300 ms).

Builds a throwaway database (SQLite by default; PostgreSQL with GPEQUITY_DATABASE=postgres,
e.g. under scripts/throwaway-postgres) with one PCN and a practice, 5,000 services made from
the demo's synthetic feed (each of its 40 services repeated with new ids, names, languages,
groups and postcodes so the filters select different shares), stored through the same column
indexing as an import. Then times, median of --repeat runs after one warm-up:

- ``query``: what the page asks of the database for each kind of filter: the ordered ids of
  every match (``selectors.search_ids``, counted and paged) and the 20 services of the page;
- ``page``: wall time, and the CPU time of this process (fairer on a shared, loaded machine;
  SQLite runs in-process, so it includes the database), for the whole search page as a
  signed-in user gets it (Django test client: access
  check, filters, query, paging, 20 result cards rendered), which is what the target is for.

Usage: .venv/bin/python bench/directory_bench.py [--services 5000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
import uuid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpequity.web.settings.test")
    import django

    django.setup()
    from django.db import connection

    # No setup_test_environment(): it instruments template rendering for the test client's
    # assertions, which costs a third of this page's CPU and is not there in production.
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def build(n: int):
    from django.utils import timezone

    from gpequity.oruk import from_oruk
    from gpequity.web.directory import services
    from gpequity.web.directory.demo import demo_feed
    from gpequity.web.directory.models import Service
    from tests.factories import PCNFactory, PracticeFactory, member

    pcn = PCNFactory(name="Bench PCN")
    practice = PracticeFactory(name="Bench Surgery", parent=pcn)
    user = member(practice, "equity_lead", username="bench")
    services.ensure_categories()
    base = demo_feed(dt.date.today())
    langs = ["en", "pl", "ur", "pa", "bn", "ar", "so", "ro", "ti", "fa"]
    groups = ["carer", "homeless", "veteran", "core20", "learning_disability", "lgbtq"]
    now = timezone.now()
    rows = []
    for i in range(n):
        doc = dict(base[i % len(base)])
        doc["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench{i}"))
        doc["name"] = f"{doc['name']} {i}"
        doc["languages"] = [{"id": str(uuid.uuid4()), "code": langs[i % 10]},
                            {"id": str(uuid.uuid4()), "code": "en"}]  # fmt: skip
        doc["gpequity_groups"] = [groups[i % 6]]
        if "service_at_locations" in doc and doc["service_at_locations"][0]["location"].get(
            "addresses"
        ):
            import copy

            doc["service_at_locations"] = copy.deepcopy(doc["service_at_locations"])
            addr = doc["service_at_locations"][0]["location"]["addresses"][0]
            addr["postal_code"] = f"RV{i % 9 + 1} {i % 10}AB"
        s = Service(owner=pcn if i % 4 else practice, document=doc, changed_at=now, public=True)
        services.index_columns(s, from_oruk(doc))
        rows.append(s)
    Service.objects.bulk_create(rows, batch_size=500)
    return practice, user


QUERIES = {
    "everything (first page)": "",
    "text: debt": "q=debt",
    "text: two words": "q=support+group",
    "need: housing": "need={housing}",
    "group: carers": "group=carer",
    "language: Polish": "language=pl",
    "free only": "free=on",
    "referral route: self": "route=self_referral",
    "postcode area: RV3": "postcode=RV3",
    "open now": "open_now=on",
    "all filters at once": "q=advice&language=pl&free=on&route=self_referral&postcode=RV1",
}


def run(args) -> None:
    from django.test import Client
    from django.utils import timezone

    from gpequity.web.directory import selectors
    from gpequity.web.directory.categories import term_id
    from gpequity.web.directory.forms import SearchForm
    from gpequity.web.directory.models import Service

    t0 = time.perf_counter()
    practice, user = build(args.services)
    print(f"Built {args.services} services in {time.perf_counter() - t0:.1f} s")
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    from django.db import connection

    print(
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {connection.vendor}; load average {load:.2f}"
    )
    client = Client()
    client.force_login(user)
    url = f"/orgs/{practice.ods_code}/directory/"
    housing = term_id("Housing and homelessness")
    # A weekday at 11:00, when many services are open.
    now = timezone.make_aware(dt.datetime(2026, 12, 1, 11, 0))
    print("\n| search | results | query median ms | page median ms (max) | page CPU ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    worst = 0.0
    for label, query in QUERIES.items():
        query = query.replace("{housing}", housing)
        terms, languages = selectors.facets(practice)
        form = SearchForm(dict(p.split("=") for p in query.split("&") if p) if query else None,
                          terms=terms, languages=languages)  # fmt: skip
        form.is_valid()
        d = form.cleaned_data if query else {}
        params = selectors.Search(
            q=d.get("q", "").replace("+", " "), need=d.get("need", ""), group=d.get("group", ""),
            language=d.get("language", ""), free=d.get("free", False),
            route=d.get("route", ""), postcode=d.get("postcode", ""),
            open_now=d.get("open_now", False),
        )  # fmt: skip
        found = len(selectors.search_ids(practice, params, now=now))
        q_times, p_times, cpu_times = [], [], []
        client.get(f"{url}?{query}")  # warm-up
        for _ in range(args.repeat):
            t = time.perf_counter()
            ids = selectors.search_ids(practice, params, now=now)
            list(Service.objects.filter(pk__in=ids[:20]))  # what the page asks of the database
            q_times.append((time.perf_counter() - t) * 1000)
            t, c = time.perf_counter(), time.process_time()
            response = client.get(f"{url}?{query}")
            p_times.append((time.perf_counter() - t) * 1000)
            cpu_times.append((time.process_time() - c) * 1000)
            assert response.status_code == 200
        worst = max(worst, max(p_times))
        print(
            f"| {label} | {found} | {statistics.median(q_times):.0f} | "
            f"{statistics.median(p_times):.0f} ({max(p_times):.0f}) | "
            f"{statistics.median(cpu_times):.0f} |"
        )
    print(f"\nSlowest page over all searches and runs: {worst:.0f} ms (target 300 ms).")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    main()
