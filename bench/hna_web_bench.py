"""Benchmark of the HNA in the web app against the CLI on the same extract, in the same run.

For each size a synthetic extract (gpequity.synth, about 3 appointments per patient) is
written once and zipped, as a practice would upload it. Then, alternating ``--repeat``
times so each pair meets the same machine load:

- ``cli``: ``gpequity hna run extract.zip --as-of ... --focus ... --out DIR`` in a fresh
  child process (interpreter start-up and imports included, as a user running it pays);
- ``web``: in one warm Django process (as a web server is), the upload POST through the real
  view (streamed to private storage, checked, the run queued) with django-tasks' immediate
  backend, so the run executes in the request exactly as the worker would run it, then the
  GET of the finished report's overview page: upload to finished report.

The worker also draws the run's charts after marking it done (``HNA_WARM_CHARTS``); that
time is reported on its own (``warm``), since the report is readable before it ends.

Then, with 20 finished runs stored for one practice, the time to render the report pages
(overview, one indicator page, trends) with a cold chart cache and a warm one.

Usage: .venv/bin/python bench/hna_web_bench.py [--sizes 10000,100000] [--repeat 3]
(``make bench-web`` with BENCH_ARGS.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2024, 3, 31)
FOCUS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _extract(size: int, folder: Path) -> Path:
    from gpequity.synth import generate

    out = folder / f"synth-{size}"
    generate(size, seed=7, as_of=AS_OF, out=out)
    target = folder / f"extract-{size}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("patients.csv", "appointments.csv"):
            zf.write(out / name, name)
    return target


def _cli(path: Path, out: Path) -> tuple[float, float]:
    gpequity = Path(sys.executable).with_name("gpequity")
    t0 = time.perf_counter()
    before = os.times()
    subprocess.run(
        [
            str(gpequity),
            "hna",
            "run",
            str(path),
            "--as-of",
            AS_OF.isoformat(),
            "--focus",
            json.dumps(FOCUS),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return time.perf_counter() - t0, cpu


def _setup_django(var: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "gpequity.web.settings.test"
    os.environ["GPEQUITY_VAR_DIR"] = str(var)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    settings.HNA_WARM_CHARTS = False
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)


def _practice(code: str):
    from django.contrib.auth import get_user_model

    from gpequity.web.focus import services as focus
    from gpequity.web.orgs.models import Membership, Organisation

    org = Organisation.objects.create(kind="practice", ods_code=code, name=f"Bench {code}")
    user = get_user_model().objects.create_user(username=f"lead-{code}", password="x")
    Membership.objects.create(user=user, organisation=org, role="equity_lead")
    focus.focus_group_save(actor=user, organisation=org, criteria=FOCUS, based_on=0)
    return org, user


def _web(client, org, data: bytes) -> tuple[float, float, str]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gpequity.web.hna.models import Run

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    response = client.post(
        f"/orgs/{org.ods_code}/hna/runs/new/",
        {
            "extract": SimpleUploadedFile("extract.zip", data),
            "as_of_day": str(AS_OF.day),
            "as_of_month": str(AS_OF.month),
            "as_of_year": str(AS_OF.year),
            "focus": "saved",
        },
    )
    assert response.status_code == 302, response.status_code
    run = Run.objects.filter(organisation=org).order_by("-created_at").first()
    assert run.status == "done", (run.status, run.message)
    page = client.get(f"/orgs/{org.ods_code}/hna/runs/{run.pk}/report/")
    assert page.status_code == 200
    return time.perf_counter() - t0, time.process_time() - cpu0, str(run.pk)


def _timed(client, url: str) -> float:
    t0 = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return time.perf_counter() - t0


def _cpu(client, url: str) -> float:
    """CPU seconds of one view in this process: less at the mercy of other work on a shared
    machine than wall time."""
    t0 = time.process_time()
    assert client.get(url).status_code == 200
    return time.process_time() - t0


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _profile(client, url: str, top: int = 25) -> None:
    """cProfile of one warm view, the ``top`` functions by cumulative time."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    client.get(url)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--no-warm", action="store_true", help="skip timing the worker's chart warming"
    )
    parser.add_argument(
        "--profile", default="", help="comma-separated pages to cProfile (list,overview,...)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="gpequity-hna-web-bench-") as tmp:
        folder = Path(tmp)
        _setup_django(folder / "var")
        from django.test import Client

        from gpequity.web.hna import runs as web_runs
        from gpequity.web.hna.models import Run

        print(f"# HNA web bench, {time.strftime('%Y-%m-%d %H:%M')}, load {_load()}")
        print(
            "| patients | cli wall s (cpu) | web upload-to-report wall s (cpu) | web/cli "
            "| pairs web/cli | chart warming s |"
        )
        print("| ---: | ---: | ---: | ---: | --- | ---: |")
        for size in sizes:
            path = _extract(size, folder)
            data = path.read_bytes()
            org, user = _practice(f"B{size}")
            client = Client()
            client.force_login(user)
            cli, web, ratios = [], [], []
            last_run = ""
            for i in range(args.repeat):
                c = _cli(path, folder / f"cli-{size}-{i}")
                w = _web(client, org, data)
                cli.append(c)
                web.append(w[:2])
                ratios.append(w[0] / c[0])
                last_run = w[2]
            warm_text = "not measured"
            if (
                size == sizes[0] and not args.no_warm
            ):  # the charts do not depend on the list size: once is enough
                t0 = time.perf_counter()
                drawn = web_runs.warm_charts(Run.objects.get(pk=last_run))
                warm_text = f"{time.perf_counter() - t0:.1f} ({drawn} charts)"
            mc = statistics.median(c[0] for c in cli)
            mw = statistics.median(w[0] for w in web)
            cc = statistics.median(c[1] for c in cli)
            cw = statistics.median(w[1] for w in web)
            print(
                f"| {size:,} | {mc:.2f} ({cc:.2f}) | {mw:.2f} ({cw:.2f}) | {mw / mc:.2f}x | "
                f"{', '.join(f'{r:.2f}' for r in ratios)} | {warm_text} |",
                flush=True,
            )

        # Report pages with 20 runs stored for one practice.
        org, user = _practice("P20")
        client = Client()
        client.force_login(user)
        source = Run.objects.filter(status="done").first()
        from gpequity.web.hna.models import GradientResult, IndicatorResult

        rows = list(IndicatorResult.objects.filter(run=source).values())
        grads = list(GradientResult.objects.filter(run=source).values())
        ids = []
        for n in range(args.runs):
            run = Run.objects.create(
                organisation=org,
                as_of=AS_OF - timedelta(days=30 * n),
                status="done",
                definitions=source.definitions,
                focus_criteria=FOCUS,
                notes=source.notes,
                validation=source.validation,
                fingerprint=source.fingerprint,
            )
            IndicatorResult.objects.bulk_create(
                [IndicatorResult(**{**r, "id": None, "run_id": run.pk}) for r in rows]
            )
            GradientResult.objects.bulk_create(
                [GradientResult(**{**g, "id": None, "run_id": run.pk}) for g in grads]
            )
            ids.append(run.pk)
        latest = ids[0]
        base = f"/orgs/{org.ods_code}/hna/"
        pages = {
            "list": base,
            "overview": f"{base}runs/{latest}/report/",
            "indicator": f"{base}runs/{latest}/indicators/cervical_screening/",
            "trends": f"{base}trends/",
        }
        print(f"\n# Report pages with {args.runs} runs stored, load {_load()}")
        print(
            "| page | cold ms (charts drawn) | warm ms (median of 5) | warm cpu ms (median of 5) "
            "| queries (warm) | load |"
        )
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for name, url in pages.items():
            cold = _timed(client, url)
            warm = statistics.median(_timed(client, url) for _ in range(5))
            cpu = statistics.median(_cpu(client, url) for _ in range(5))
            print(
                f"| {name} | {cold * 1000:.0f} | {warm * 1000:.0f} | {cpu * 1000:.0f} "
                f"| {_queries(client, url)} "
                f"| {_load()} |",
                flush=True,
            )
        for name in filter(None, args.profile.split(",")):
            print(f"\n# cProfile of the warm {name} page")
            _profile(client, pages[name])


if __name__ == "__main__":
    main()
