"""Time `GET /api/orgs/{ods}/network/hna` (and the progress API) on an existing database.

Run it through the Django shell of the configured database, e.g. on a demo built with
`GPEQUITY_VAR_DIR=/tmp/demo gpequity demo --no-serve`:

    GPEQUITY_VAR_DIR=/tmp/demo gpequity manage shell -c \
        "exec(open('bench/network_api_bench.py').read())"

Environment: BENCH_ODS (default QZZ, the demo ICB), BENCH_USER (default analyst),
BENCH_REPEAT (default 7). Prints practices, rows, queries per request, each timing, the
median wall and CPU time (warm: the first request is made and not counted; CPU time is the
less disturbed by other work on the machine), and the load average.
"""

import os
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, reset_queries
from django.test import Client

settings.DEBUG = True  # count queries
ods = os.environ.get("BENCH_ODS", "QZZ")
repeat = int(os.environ.get("BENCH_REPEAT", "7"))
client = Client()
client.force_login(get_user_model().objects.get(username=os.environ.get("BENCH_USER", "analyst")))
for path in (f"/api/orgs/{ods}/network/hna", f"/api/orgs/{ods}/network/progress"):
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    times, cpu, queries = [], [], []
    for _ in range(repeat):
        reset_queries()
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        queries.append(len(connection.queries))
    body = response.json()
    practices = body["practices"] if isinstance(body, dict) else body
    rows = len(body["rows"]) if isinstance(body, dict) else len(body)
    print(
        f"{path}: {len(practices)} practices, {rows} rows, "
        f"{max(queries)} queries, {len(response.content) // 1024} KiB; "
        f"ms {[round(t * 1000) for t in times]}; median {statistics.median(times) * 1000:.0f} ms"
        f" wall, {statistics.median(cpu) * 1000:.0f} ms CPU"
    )
print("load average", [round(x, 2) for x in os.getloadavg()])
