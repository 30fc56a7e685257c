"""Benchmark of a system run (an ICB's extract with ``practice_code``) against the same
extract without ``practice_code``, measured in the same run (issue 19, ADR 28).

A synthetic system extract (gpequity.synth with ``practices``; default an ICB of 200
practices and 2M patients, about 3 appointments per patient) is written once, and beside it
the same files without the ``practice_code`` column (the baseline: one practice's run over
the same patients). Then, alternating ``--repeat`` times so each pair meets the same machine
load, each in a fresh child process (start-up and imports included; CPU and peak memory of
that child read with wait4):

- ``plain``: ``gpequity.hna.run`` on the extract without ``practice_code``, files written;
- ``system``: the same on the system extract: the whole extract's tables as ``plain``, plus
  each practice's ``practice_indicators`` and ``practice_gradients``, files written.

Both write their files as ``gpequity hna run`` does. The system run's ``practice_indicators``
dict rows are made only when asked for (``PracticeTables.indicators``: the web store and
the Python API ask, the command line and this child do not; about 0.2-0.4 s more at 200
practices, measured in process and reported beside the ratio in bench/RESULTS.md).

The ratio system/plain is the target (within 1.5x). Stage times come from the run's own
progress messages: reading, counting, and the statistics and files after counting.

``--icb-db PATH`` also builds the ICB in a SQLite database for the network pages' timings:
the ICB, its PCNs (10 practices each) and practices with the synthetic codes, and each
practice's stored run from the system run (``gpequity.web.hna.system.system_run_store``, as
``gpequity hna run --store`` stores them). ``--pages`` then times the ICB dashboard and
benchmarking pages of that database, if the network pages are installed (they are another
area's; until they land the harness says so and times what exists).

Usage: .venv/bin/python bench/system_bench.py [--patients 2000000] [--practices 200]
       [--repeat 3] [--icb-db var/icb-bench.sqlite3] [--pages]
(``make bench-system`` with BENCH_ARGS.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

AS_OF = date(2024, 3, 31)

CHILD = """
import json, sys, tempfile, time
t0 = time.perf_counter()
marks = {{}}
def progress(message, fraction):
    marks.setdefault(message.split(" ")[0], time.perf_counter() - t0)
from gpequity.hna import run
r = run(sys.argv[1], as_of="{as_of}", progress=progress)
with tempfile.TemporaryDirectory() as out:
    r.write(out + "/results")
done = time.perf_counter() - t0
practices = r.practices
print(json.dumps({{
    "seconds": done,
    "read": marks["Counting"],
    "count": marks["Aggregated"] - marks["Counting"],
    "stats": done - marks["Aggregated"],
    "rows": len(r.indicator_rows),
    "practice_rows": len(practices) if practices else 0,
}}))
"""


def _run_child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter, reaped with wait4 (its own CPU and peak memory)."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(err.decode()[-3000:])
    result = json.loads(out.decode().strip().splitlines()[-1])
    result.update(
        wall=wall, load=load, peak_mb=usage.ru_maxrss / 1024, cpu=usage.ru_utime + usage.ru_stime
    )
    return result


def extracts(patients: int, practices: int, workdir: Path) -> tuple[Path, Path]:
    """The system extract and the same without ``practice_code`` (made once, then kept)."""
    system = workdir / f"system-{patients}-{practices}"
    plain = workdir / f"plain-{patients}-{practices}"
    if not (system / "patients.csv").exists():
        from gpequity.synth import generate

        t = time.perf_counter()
        generate(
            patients,
            seed=20240331,
            as_of=AS_OF,
            out=system,
            appointments_per_patient=3.0,
            practices=practices,
        )
        print(f"  generated {patients:,} patients in {time.perf_counter() - t:.1f} s", flush=True)
    if not (plain / "patients.csv").exists():
        import duckdb

        plain.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        # Every cell as text, written back as read: the same file but for the one column.
        src, dst = system / "patients.csv", plain / "patients.csv"
        con.execute(
            f"COPY (SELECT * EXCLUDE (practice_code) FROM read_csv('{src}', all_varchar = true,"
            f" header = true)) TO '{dst}' (HEADER, DELIMITER ',')"
        )
        con.close()
        appointments = plain / "appointments.csv"
        if not appointments.exists():  # a hard link (the loader refuses symbolic ones)
            try:
                os.link(system / "appointments.csv", appointments)
            except OSError:
                import shutil

                shutil.copyfile(system / "appointments.csv", appointments)
    return system, plain


def _line(name: str, r: dict) -> str:
    return (
        f"  {name:<7} {r['wall']:7.2f} s wall, {r['cpu']:6.1f} s cpu, {r['peak_mb']:6.0f} MB"
        f" peak, load {r['load']:.1f} (read {r['read']:.2f}, count {r['count']:.2f},"
        f" statistics and files {r['stats']:.2f})"
    )


def _mid(values: list, key=None):
    return sorted(values, key=key)[len(values) // 2]


# --------------------------------------------------------------------------- the ICB database


def setup_django(database: Path) -> None:
    """Django on a SQLite file of its own (migrated), with the test settings' fast hashers."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "gpequity.web.settings.test"
    os.environ.setdefault("GPEQUITY_VAR_DIR", str(database.parent))
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = str(database)
    settings.ALLOWED_HOSTS = ["testserver"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_icb(system_extract: Path, *, pcn_size: int = 10, ods_code: str = "QBX") -> dict:
    """The ICB of the system extract in the configured database: the ICB, PCNs of
    ``pcn_size`` practices, the practices with the extract's codes, an analyst of the ICB
    and each PCN's network lead, and every practice's run stored from one system run (as
    ``gpequity hna run --store`` stores them). Django must be set up. Returns what it made."""
    from django.contrib.auth import get_user_model

    from gpequity.hna import run
    from gpequity.web.hna.system import system_run_store
    from gpequity.web.orgs.models import Membership, Organisation, OrgKind

    t = time.perf_counter()
    result = run(system_extract, as_of=AS_OF)
    ran = time.perf_counter() - t
    codes = result.practices.codes
    icb, _ = Organisation.objects.get_or_create(
        ods_code=ods_code, defaults={"kind": OrgKind.ICB, "name": "Bench Valley ICB"}
    )
    User = get_user_model()
    analyst, _ = User.objects.get_or_create(username="bench-analyst")
    Membership.objects.get_or_create(user=analyst, organisation=icb, defaults={"role": "analyst"})
    for start in range(0, len(codes), pcn_size):
        number = start // pcn_size + 1
        pcn, _ = Organisation.objects.get_or_create(
            ods_code=f"U9{number:04d}",
            defaults={"kind": OrgKind.PCN, "name": f"Bench PCN {number}", "parent": icb},
        )
        lead, _ = User.objects.get_or_create(username=f"bench-lead-{number}")
        Membership.objects.get_or_create(
            user=lead, organisation=pcn, defaults={"role": "network_lead"}
        )
        for code in codes[start : start + pcn_size]:
            Organisation.objects.get_or_create(
                ods_code=code,
                defaults={"kind": OrgKind.PRACTICE, "name": f"Practice {code}", "parent": pcn},
            )
    _share_hna(codes)
    t = time.perf_counter()
    runs = system_run_store(
        actor=analyst, organisation=icb, result=result, files=system_extract.name
    )
    stored = time.perf_counter() - t
    return {
        "icb": icb.ods_code,
        "practices": len(codes),
        "runs": len(runs),
        "run_seconds": ran,
        "store_seconds": stored,
        "analyst": analyst.username,
    }


def _share_hna(codes: list[str]) -> None:
    """Every practice shares its HNA results with its PCN and ICB, as each lead would choose
    on the sharing page (HNA results are not shared by default, and the benchmarking pages
    would have nothing to show)."""
    try:
        from gpequity.web.network.models import SharingSettings
    except ImportError:  # the network area is not installed on this branch
        return
    from gpequity.web.orgs.models import Organisation

    for practice in Organisation.objects.filter(ods_code__in=codes):
        SharingSettings.objects.update_or_create(
            organisation=practice, defaults={"hna_to_pcn": True, "hna_to_icb": True}
        )


# Pages of the network area (another helper's, issue 19): timed when their URL names exist.
# (URL name, extra URL arguments): the names on the network branch when this was written.
NETWORK_PAGES = (
    ("network:dashboard", {}),
    ("network:benchmarks", {}),
    ("network:benchmark", {"indicator": "cervical_screening"}),
    ("network:needs", {}),
)


def time_pages(icb_code: str, analyst: str, repeat: int = 5) -> list[tuple[str, str]]:
    """Median render time of each network page for the ICB's analyst (and the database
    queries of one render), or why not."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    client = Client()
    client.force_login(get_user_model().objects.get(username=analyst))
    out = []
    for name, extra in NETWORK_PAGES:
        try:
            url = reverse(name, kwargs={"ods_code": icb_code, **extra})
        except NoReverseMatch:
            out.append((name, "not installed on this branch (the network area's page)"))
            continue
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            times.append(time.perf_counter() - t)
            if response.status_code != 200:
                out.append((name, f"HTTP {response.status_code}"))
                break
        else:
            ms = [1000 * x for x in times]
            out.append(
                (
                    name,
                    f"{statistics.median(ms):.0f} ms median ({min(ms):.0f}-{max(ms):.0f} ms, "
                    f"first {ms[0]:.0f} ms, {repeat} renders, {len(queries)} queries)",
                )
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2_000_000)
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/gpequity-bench")
    parser.add_argument("--icb-db", help="also build the ICB in this SQLite database")
    parser.add_argument("--pages", action="store_true", help="time the network pages (--icb-db)")
    parser.add_argument("--skip-runs", action="store_true", help="only the database and pages")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    print(f"date: {date.today().isoformat()}, load average at start {os.getloadavg()}")
    print(f"{args.patients:,} patients in {args.practices} practices", flush=True)
    system, plain = extracts(args.patients, args.practices, workdir)
    out: dict = {"patients": args.patients, "practices": args.practices}
    if not args.skip_runs:
        plains, systems = [], []
        code = CHILD.format(as_of=AS_OF.isoformat())
        for _ in range(args.repeat):
            plains.append(_run_child(code, str(plain)))
            print(_line("plain", plains[-1]), flush=True)
            systems.append(_run_child(code, str(system)))
            print(_line("system", systems[-1]), flush=True)
        ratios = sorted(s["wall"] / p["wall"] for p, s in zip(plains, systems, strict=True))
        cpu = sorted(s["cpu"] / p["cpu"] for p, s in zip(plains, systems, strict=True))
        p, s = _mid(plains, key=lambda r: r["wall"]), _mid(systems, key=lambda r: r["wall"])
        print(
            f"\nsystem/plain {_mid(ratios):.2f}x wall (pairs {min(ratios):.2f}-{max(ratios):.2f}x),"
            f" {_mid(cpu):.2f}x cpu; median runs: plain {p['wall']:.2f} s, system "
            f"{s['wall']:.2f} s (target: within 1.5x)"
        )
        out.update(plain=plains, system=systems, ratios=ratios, cpu_ratios=cpu)
    if args.icb_db:
        database = Path(args.icb_db).resolve()
        database.parent.mkdir(parents=True, exist_ok=True)
        setup_django(database)
        built = build_icb(system)
        print(
            f"ICB {built['icb']} in {database}: {built['practices']} practices, "
            f"{built['runs']} runs stored in {built['store_seconds']:.1f} s "
            f"(the system run took {built['run_seconds']:.1f} s)",
            flush=True,
        )
        out["icb"] = built
        if args.pages:
            pages = time_pages(built["icb"], built["analyst"])
            for name, text in pages:
                print(f"  {name}: {text}")
            out["pages"] = pages
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
