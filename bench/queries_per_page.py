"""Queries per page on the main pages (issue 22): where the time of a request goes.

    GPEQUITY_VAR_DIR=/tmp/demo .venv/bin/python bench/queries_per_page.py [--build]

Runs against the demo database in GPEQUITY_VAR_DIR (``--build`` builds it first), signed in
as the demo equity lead, with Django's test client in this process: for each main page the
number of SQL queries, the time, and the query shapes repeated most (an N+1 shows as one
shape run once per row).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections import Counter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpequity.web.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PRACTICE = "Y99001"
PAGES = [
    "/",
    f"/orgs/{PRACTICE}/",
    f"/orgs/{PRACTICE}/assessment/",
    f"/orgs/{PRACTICE}/plan/",
    "PLAN_ITEM",
    f"/orgs/{PRACTICE}/focus/",
    f"/orgs/{PRACTICE}/reports/",
    f"/orgs/{PRACTICE}/hna/",
    f"/orgs/{PRACTICE}/directory/",
    f"/orgs/{PRACTICE}/engagement/",
]


def shape(sql: str) -> str:
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"IN \([?, ]+\)", "IN (...)", sql)[:140]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.build:
        from gpequity.web.demo import build_demo

        build_demo(reset=True, echo=lambda s: None)
    from gpequity.web.plans.models import PlanItem

    item = PlanItem.objects.filter(organisation__ods_code=PRACTICE).first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="lead"))
    print("| page | status | queries | repeated shapes (count) | best ms |")
    print("| --- | ---: | ---: | --- | ---: |")
    for page in PAGES:
        path = f"/orgs/{PRACTICE}/plan/{item.pk}/" if page == "PLAN_ITEM" else page
        best = None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                begun = time.perf_counter()
                response = client.get(path)
                took = time.perf_counter() - begun
            best = took if best is None else min(best, took)
        counts = Counter(shape(q["sql"]) for q in ctx.captured_queries)
        repeated = [(s, n) for s, n in counts.most_common(3) if n > 2]
        worst = "; ".join(f"{n}x {s[:70]}" for s, n in repeated) or "-"
        print(
            f"| {path} | {response.status_code} | {len(ctx.captured_queries)} | {worst} "
            f"| {1000 * best:.0f} |"
        )


if __name__ == "__main__":
    main()
