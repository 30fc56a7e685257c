"""Load test (issue 22): 50 signed-in people across the main pages, with writes, against
gunicorn with production settings, from this second process over loopback.

    make bench-load                        # PostgreSQL (a throwaway cluster) then SQLite
    .venv/bin/python bench/load_test.py --db sqlite --rates 25 --seconds 20

Steps: a fresh database with the demo PCN (``gpequity.web.demo``) plus ``--users`` team
members of the demo practice; gunicorn (``--workers``) on a free loopback port with
``bench/load_settings.py`` (production settings: HTTPS behind a proxy, secure cookies,
manifest static files; PostgreSQL, or the embedded SQLite default with ``--db sqlite``).
Each person signs in through the sign-in page, then requests are sent open loop at each
offered rate in ``--rates`` for ``--seconds``: a request is due at a fixed time and its
response time counts from then (so a queue behind a slow server is not hidden), taken by
the next free person. One request in ten is a write (a measurement on a plan item, through
the page's form with its CSRF token) and each write's note is unique, so the writes the
server answered "saved" are counted against the rows in the database afterwards. Then a
closed loop (every person sends the next request as soon as the last returns) measures the
most the server gives. The load average is printed with every figure: the machine is shared.

Results go to bench/results/load-<db>-<time>.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PRACTICE = "Y99001"
PASSWORD = "bench-load-2026-password"
WRITE_SHARE = 0.1
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
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_COOKIE = re.compile(r"^([^=]+)=([^;]*)")

SETUP = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from gpequity.web.demo import build_demo
from gpequity.web.orgs import services as org_services
from gpequity.web.orgs.models import Organisation, Role
from gpequity.web.plans.models import PlanItem
build_demo(reset=True, echo=lambda s: None)
practice = Organisation.objects.get(ods_code=sys.argv[1])
User = get_user_model()
for i in range(int(sys.argv[2])):
    user = User.objects.create_user(username=f"bench{i:02d}", password=sys.argv[3])
    org_services.membership_set(user=user, organisation=practice, role=Role.EQUITY_LEAD)
items = list(PlanItem.objects.filter(organisation=practice).values_list("pk", flat=True))
# A database in service has its statistics; a freshly loaded one is analysed first, so the
# planner's first guesses and autovacuum's catching up do not land inside a measured step.
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
print(json.dumps({"items": items}))
"""

COUNT = r"""
import json, sys
import django
django.setup()
from gpequity.web.plans.models import Measurement
rows = Measurement.objects.filter(note__startswith="bench-load ")
notes = list(rows.values_list("note", flat=True))
print(json.dumps({"rows": len(notes), "distinct": len(set(notes))}))
"""


def load_average() -> str:
    return "{:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Person:
    """One signed-in person: a connection of their own and their cookies."""

    def __init__(self, port: int, username: str):
        self.port, self.username = port, username
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",  # gunicorn sits behind TLS in production
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                found = _COOKIE.match(value)
                if found:
                    self.cookies[found.group(1)] = found.group(2)
        return response.status, text

    def sign_in(self) -> None:
        status, page = self.request("GET", "/sign-in/")
        token = _CSRF_FIELD.search(page).group(1)
        status, _ = self.request(
            "POST",
            "/sign-in/",
            {"csrfmiddlewaretoken": token, "username": self.username, "password": PASSWORD},
        )
        if status != 302:
            raise SystemExit(f"{self.username} could not sign in ({status})")

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


class Run:
    """Requests and their outcomes for one step."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.by_page: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.writes_saved: list[str] = []
        self.writes_sent = 0

    def record(self, page: str, seconds: float, ok: bool, what: str) -> None:
        with self.lock:
            self.times.append(seconds)
            self.by_page.setdefault(page, []).append(seconds)
            if not ok:
                self.errors.append(what)


def _do(person: Person, items: list[int], run: Run, rng: random.Random, due: float) -> None:
    write = rng.random() < WRITE_SHARE
    if write:
        item = rng.choice(items)
        path = f"/orgs/{PRACTICE}/plan/{item}/measurements/new/"
        note = f"bench-load {person.username} {time.time_ns()} {rng.random()}"
        body = {
            "csrfmiddlewaretoken": person.csrf(),
            "measured_on-day": "1",
            "measured_on-month": "11",
            "measured_on-year": "2026",
            "value": f"{rng.randint(1, 999)}.5",
            "note": note,
        }
        with run.lock:
            run.writes_sent += 1
        try:
            status, _ = person.request("POST", path, body)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none hidden
            run.record("write", time.monotonic() - due, False, f"write: {exc!r}")
            return
        ok = status == 302
        if ok:
            with run.lock:
                run.writes_saved.append(note)
        run.record("write", time.monotonic() - due, ok, f"write {status}")
        return
    page = rng.choice(PAGES)
    path = f"/orgs/{PRACTICE}/plan/{rng.choice(items)}/" if page == "PLAN_ITEM" else page
    try:
        status, _ = person.request("GET", path)
    except Exception as exc:  # noqa: BLE001
        run.record(page, time.monotonic() - due, False, f"{path}: {exc!r}")
        return
    run.record(page, time.monotonic() - due, status == 200, f"{path} {status}")


def open_loop(people, items, rate: float, seconds: float, seed: int) -> Run:
    """Requests due at ``rate`` a second for ``seconds``, each taken by the next free person."""
    run = Run()
    due_times: queue.Queue = queue.Queue()
    start = time.monotonic() + 0.5
    for i in range(int(rate * seconds)):
        due_times.put(start + i / rate)
    free: queue.Queue = queue.Queue()
    for p in people:
        free.put(p)

    def worker(rng: random.Random) -> None:
        while True:
            try:
                due = due_times.get_nowait()
            except queue.Empty:
                return
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            person = free.get()
            try:
                _do(person, items, run, rng, due)
            finally:
                free.put(person)

    threads = [
        threading.Thread(target=worker, args=(random.Random(seed + i),), daemon=True)
        for i in range(len(people))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.elapsed = time.monotonic() - start
    return run


def closed_loop(people, items, seconds: float, seed: int) -> Run:
    run = Run()
    stop = time.monotonic() + seconds

    def worker(person: Person, rng: random.Random) -> None:
        while time.monotonic() < stop:
            _do(person, items, run, rng, time.monotonic())

    threads = [
        threading.Thread(target=worker, args=(p, random.Random(seed + i)), daemon=True)
        for i, p in enumerate(people)
    ]
    begun = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.elapsed = time.monotonic() - begun
    return run


_TICK = os.sysconf("SC_CLK_TCK")


def server_cpu(pgid: int) -> float:
    """CPU seconds used so far by gunicorn (the master and its workers: one process group)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def machine_busy() -> float:
    """CPU seconds the whole machine has spent not idle (every process, the database too)."""
    parts = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(parts[:7]) - parts[3] - parts[4]) / _TICK  # less idle, iowait and steal


class CpuMeter:
    """CPU per request of one step: this client, the server, and the whole machine."""

    def __init__(self, pgid: int):
        self.pgid = pgid
        self.client, self.server, self.machine = (
            time.process_time(),
            server_cpu(pgid),
            machine_busy(),
        )

    def per_request(self, requests: int) -> dict:
        n = max(requests, 1)
        return {
            "client_cpu_ms_per_request": round(1000 * (time.process_time() - self.client) / n, 1),
            "server_cpu_ms_per_request": round(1000 * (server_cpu(self.pgid) - self.server) / n, 1),
            "machine_busy_ms_per_request": round(1000 * (machine_busy() - self.machine) / n, 1),
        }


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(kind: str, offered, run: Run) -> dict:
    n = len(run.times)
    return {
        "kind": kind,
        "offered_rps": offered,
        "requests": n,
        "achieved_rps": round(n / run.elapsed, 1) if run.elapsed else 0,
        "errors": len(run.errors),
        "error_examples": sorted(set(run.errors))[:5],
        "p50_ms": round(1000 * pct(run.times, 0.50)),
        "p95_ms": round(1000 * pct(run.times, 0.95)),
        "p99_ms": round(1000 * pct(run.times, 0.99)),
        "mean_ms": round(1000 * statistics.fmean(run.times)) if run.times else 0,
        "writes_sent": run.writes_sent,
        "writes_saved": len(run.writes_saved),
        "p95_ms_by_page": {p: round(1000 * pct(t, 0.95)) for p, t in sorted(run.by_page.items())},
        "load_average_after": load_average(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rates", default="25,50,75,100")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--closed-seconds", type=float, default=20)
    # Every worker meets each page's first view (imports, templates, caches) before the clock
    # runs; the warm-up is recorded as its own row and never counted against the targets.
    parser.add_argument("--warm-seconds", type=float, default=20)
    parser.add_argument("--warm-rate", type=float, default=10)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    # A stopped run must stop its gunicorn too (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    var = Path(tempfile.mkdtemp(prefix="gpequity-load-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "bench"),
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "GPEQUITY_SECRET_KEY": "bench-load-not-secret-" + "x" * 40,
        "GPEQUITY_ALLOWED_HOSTS": "127.0.0.1",
        "GPEQUITY_VAR_DIR": str(var),
        "BENCH_STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        "BENCH_DB": args.db,
        # the sign-in lockout counts per address: every bench person signs in from loopback
        "GPEQUITY_SIGNIN_FAILURE_LIMIT": "1000",
    }
    env.pop("GPEQUITY_DATABASE", None)
    if args.db == "postgres":
        if "PGHOST" not in os.environ:
            raise SystemExit("run under scripts/throwaway-postgres (PGHOST is not set)")
        env["PGDATABASE"] = "gpequity_load"
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS gpequity_load")
            conn.execute("CREATE DATABASE gpequity_load")
    print(f"# load test on {args.db}, {args.users} people, {args.workers} gunicorn workers")
    print(f"setting up (load average {load_average()}) ...", flush=True)
    begun = time.monotonic()
    setup = subprocess.run(
        [PY, "-c", SETUP, PRACTICE, str(args.users), PASSWORD],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    items = json.loads(setup.stdout.strip().splitlines()[-1])["items"]
    if not (ROOT / "var" / "bench-static" / "staticfiles.json").exists():
        subprocess.run(
            [PY, "-m", "django", "collectstatic", "--noinput", "-v", "0"], env=env, check=True
        )
    print(f"set up in {time.monotonic() - begun:.0f} s; {len(items)} plan items", flush=True)

    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "gpequity.web.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            str(var / "gunicorn.log"),
        ],
        env=env,
        start_new_session=True,
    )
    results: list[dict] = []
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        warm = Person(port, "warm-up")
        for _ in range(2 * args.workers):  # every worker loads the app before the clock runs
            warm.conn.close()
            warm.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            warm.request("GET", "/sign-in/")
        people = [Person(port, f"bench{i:02d}") for i in range(args.users)]
        for p in people:
            p.sign_in()
        print(f"{len(people)} people signed in (load average {load_average()})", flush=True)
        saved: list[str] = []
        sent = 0
        steps = [("warm-up", args.warm_rate, args.warm_seconds, 7)] if args.warm_seconds else []
        steps += [
            ("open", float(r), args.seconds, 1000 * n) for n, r in enumerate(args.rates.split(","))
        ]
        if args.closed_seconds:
            steps.append(("closed", None, args.closed_seconds, 99))
        for kind, rate, seconds, seed in steps:
            before = load_average()
            meter = CpuMeter(server.pid)
            if kind == "closed":
                run = closed_loop(people, items, seconds, seed=seed)
            else:
                run = open_loop(people, items, rate, seconds, seed=seed)
            row = summary(kind, rate, run)
            row.update(meter.per_request(len(run.times)))
            row["load_average_before"] = before
            results.append(row)
            saved += run.writes_saved
            sent += run.writes_sent
            print(json.dumps(row), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    counted = json.loads(
        subprocess.run([PY, "-c", COUNT], env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    writes = {
        "sent": sent,
        "answered_saved": len(saved),
        "rows_stored": counted["rows"],
        "distinct_rows": counted["distinct"],
        "lost": len(set(saved)) - counted["distinct"],
    }
    crossing = next(
        (r["offered_rps"] for r in results if r["kind"] == "open" and r["p95_ms"] > 1000), None
    )
    record = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "db": args.db,
        "label": args.label,
        "users": args.users,
        "gunicorn_workers": args.workers,
        "seconds_per_step": args.seconds,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "steps": results,
        "writes": writes,
        "first_offered_rate_with_p95_over_1s": crossing,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"load-{args.db}-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print()
    print(
        "| step | offered/s | achieved/s | requests | errors | p50 ms | p95 ms | p99 ms "
        "| CPU ms/request: server, client, machine | load avg |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for r in results:
        print(
            f"| {r['kind']} | {r['offered_rps'] or '-'} | {r['achieved_rps']} | {r['requests']} "
            f"| {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
            f"| {r['server_cpu_ms_per_request']}, {r['client_cpu_ms_per_request']}, "
            f"{r['machine_busy_ms_per_request']} "
            f"| {r['load_average_before']} -> {r['load_average_after']} |"
        )
    print(f"\nwrites: {writes}")
    print(f"first offered rate with p95 over 1 s: {crossing}")
    print(f"recorded in {path.relative_to(ROOT)}")
    shutil.rmtree(var, ignore_errors=True)
    failed = any(r["errors"] for r in results) or writes["lost"] != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
