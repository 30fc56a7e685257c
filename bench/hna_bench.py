"""Benchmark of the HNA engine against baselines measured in the same run.

For each size a synthetic extract (gpequity.synth, about 3 appointments per patient) is
written once, then each measurement runs in its own fresh child process, so wall time
includes interpreter start-up and imports, and peak memory (ru_maxrss of that child, read
with wait4) is not shared:

- ``scan``: a bare DuckDB scan of the same CSVs: count(*) and min/max of every column;
- ``hna``: ``gpequity.hna.run`` on the folder with the DuckDB engine: read and validate the
  extract, count every indicator in every group, statistics and gradients, then write the
  four result files; i.e. what ``gpequity hna run`` does, minus printing the summary;
- ``pandas``: the pandas twin end to end: ``pandas.read_csv`` and per-column conversion
  (``twin.pandas_read_extract``), counting in vectorised pandas (``twin.pandas_counts``),
  then the same statistics. It does not validate, which only flatters it;
- ``python``: the plain-Python twin end to end: the csv module (``twin.plain_read_extract``)
  and one patient at a time (``twin.twin_counts``). Full size by default; with
  ``--python-sample N`` it counts the first N patients and scales the counting time
  linearly (reading is always full size), and the output says so. ``--python-sample -1``
  skips it.

Both twins are held to the loader and the engine by tests (tests/hna). The load average
before each measurement and each child's CPU seconds (user + system) are printed beside
wall time: on a shared 2-core machine CPU time is the fairer comparison. Ratios: hna/scan,
and each twin against the HNA, end to end and for the counting step alone.

Scan and HNA run ``--repeat`` times (default 3), alternating, so that each pair meets the
same machine load; the tables show the median run and the median (and range) of the pairs'
HNA/scan ratios. The twins run once each.

With ``--spark``, the same run on the spark engine, once per size (wall time: Spark's JVM
is not the measured child, so its CPU and memory are not counted).

Usage: .venv/bin/python bench/hna_bench.py [--sizes 10000,100000,2000000] [--repeat 3]
       [--spark]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

AS_OF = date(2024, 3, 31)

# Stage times are taken from run()'s own progress messages: reading, counting, statistics.
HNA = """
import json, sys, tempfile, time
t0 = time.perf_counter()
marks = {{}}
def progress(message, fraction):
    marks.setdefault(message.split(" ")[0], time.perf_counter() - t0)
from gpequity.hna import run
imported = time.perf_counter() - t0
r = run(sys.argv[1], as_of="{as_of}", progress=progress, engine="{engine}")
with tempfile.TemporaryDirectory() as out:
    r.write(out + "/results")
done = time.perf_counter() - t0
count = marks["Aggregated"] - marks["Counting"]
print(json.dumps({{"seconds": done, "import": imported, "count": count,
                  "rows": len(r.indicator_rows), "gradients": len(r.gradient_rows),
                  "pandas": "pandas" in sys.modules}}))
"""

SCAN = """
import json, sys, time
t0 = time.perf_counter()
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # as the HNA does: stdout is for the result
out = {{}}
for name in ("patients", "appointments"):
    path = f"{{sys.argv[1]}}/{{name}}.csv"
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_csv('{{path}}')").fetchall()]
    parts = ["count(*)"] + [f'min("{{c}}"), max("{{c}}")' for c in cols]
    out[name] = con.execute(f"SELECT {{', '.join(parts)}} FROM read_csv('{{path}}')").fetchone()[0]
print(json.dumps({{"seconds": time.perf_counter() - t0, "rows": out}}))
"""

# The pandas twin end to end: pandas reads the CSVs itself, counts in vectorised pandas
# (twin.pandas_counts, held to the plain-Python twin by a test), then the same statistics.
PANDAS = """
import json, sys, time
t0 = time.perf_counter()
from datetime import date
from gpequity.hna.indicators import default_indicators
from gpequity.hna.twin import pandas_counts, pandas_read_extract
from gpequity.hna import results
patients, appointments = pandas_read_extract(sys.argv[1])
t1 = time.perf_counter()
counts, plan = pandas_counts(patients, appointments, as_of=date.fromisoformat("{as_of}"),
                             indicators=default_indicators())
t2 = time.perf_counter()
info = [results.IndicatorInfo(i.id, i.kind) for i in plan.indicators]
table = results.indicators_table(counts, info)
results.gradients_table(counts, info)
done = time.perf_counter() - t0
print(json.dumps({{"seconds": done, "load": t1 - t0, "count": t2 - t1, "rows": len(table)}}))
"""

# The plain-Python twin end to end: the csv module, one cell and one patient at a time.
# With a sample size below the practice size it counts the first N patients only and
# scales its counting time linearly (reading is always measured at full size).
PYTHON = """
import json, sys, time
t0 = time.perf_counter()
from datetime import date
from gpequity.hna.indicators import default_indicators
from gpequity.hna.twin import plain_read_extract, twin_counts
from gpequity.hna import results
patients, appointments, p_cols, a_cols = plain_read_extract(sys.argv[1])
load = time.perf_counter() - t0
n = len(patients)
k = n if int(sys.argv[2]) <= 0 else min(n, int(sys.argv[2]))
if k < n:
    patients = patients[:k]
    keep = {{p["patient_id"] for p in patients}}
    appointments = [a for a in appointments or [] if a["patient_id"] in keep]
t1 = time.perf_counter()
counts, plan = twin_counts(patients, appointments, as_of=date.fromisoformat("{as_of}"),
                           indicators=default_indicators(), patient_columns=p_cols,
                           appointment_columns=a_cols)
count = (time.perf_counter() - t1) * n / k
t2 = time.perf_counter()
info = [results.IndicatorInfo(i.id, i.kind) for i in plan.indicators]
table = results.indicators_table(counts, info)
results.gradients_table(counts, info)
stats = time.perf_counter() - t2
print(json.dumps({{"seconds": load + count + stats, "load": load, "count": count,
                  "sample": k, "scaled": k < n, "rows": len(table)}}))
"""


def _measure(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; reap it with wait4 for its own peak memory and CPU."""
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
        wall=wall,
        load=load,
        peak_mb=usage.ru_maxrss / 1024,
        cpu=usage.ru_utime + usage.ru_stime,
    )
    return result


def _extract(n: int, workdir: Path) -> Path:
    folder = workdir / f"synth-{n}"
    if not (folder / "patients.csv").exists():
        from gpequity.synth import generate

        t = time.perf_counter()
        generate(n, seed=20240331, as_of=AS_OF, out=folder, appointments_per_patient=3.0)
        print(f"  generated {n:,} patients in {time.perf_counter() - t:.1f} s", flush=True)
    return folder


def _mid(values: list, key=None):
    """The middle item by ``key`` (the upper one of an even number): a median that is a run."""
    return sorted(values, key=key)[len(values) // 2]


def _span(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}x"


def _line(name: str, r: dict) -> str:
    extra = f", count {r['count']:.2f} s" if "count" in r else ""
    return (
        f"  {name:<7} {r['wall']:7.2f} s wall, {r['cpu']:6.1f} s cpu, "
        f"{r['peak_mb']:6.0f} MB peak, load {r['load']:.1f}{extra}"
    )


def _table(rows: list[dict]) -> str:
    head = (
        "| patients | scan s (cpu) | HNA s (cpu) | HNA peak MB | HNA count s "
        "| pandas s (cpu) | pandas peak MB | python s (cpu) | python peak MB "
        "| HNA/scan (pairs) | pandas/HNA | python/HNA | pandas/HNA count "
        "| python/HNA count | load |\n" + "| ---: " * 15 + "|"
    )
    lines = [head]
    for r in rows:
        s, h, p, py = r["scan"], r["hna"], r["pandas"], r.get("python")
        star = "*" if py and py["scaled"] else ""
        py_time = f"{py['seconds']:.1f}{star} ({py['cpu']:.0f})" if py else "-"
        py_peak = f"{py['peak_mb']:.0f}" if py else "-"
        py_ratio = f"{py['seconds'] / h['wall']:.1f}x{star}" if py else "-"
        py_count = f"{py['count'] / h['count']:.0f}x{star}" if py else "-"
        lines.append(
            f"| {r['n']:,} | {s['wall']:.2f} ({s['cpu']:.1f}) | {h['wall']:.2f} ({h['cpu']:.1f}) "
            f"| {h['peak_mb']:.0f} | {h['count']:.2f} | {p['wall']:.2f} ({p['cpu']:.1f}) "
            f"| {p['peak_mb']:.0f} | {py_time} | {py_peak} "
            f"| {_mid(r['ratios']):.2f}x ({_span(r['ratios'])}) "
            f"| {p['wall'] / h['wall']:.1f}x | {py_ratio} "
            f"| {p['count'] / h['count']:.1f}x | {py_count} | {h['load']:.1f} |"
        )
    return "\n".join(lines)


def _spark_table(rows: list[dict]) -> str:
    """The spark engine beside the default one: wall time (its JVM's CPU and memory are not
    the measured child's), the counting step (after DuckDB has handed it the extract)."""
    lines = [
        "| patients | Spark s | Spark count s | DuckDB HNA s | Spark/DuckDB |\n"
        + "| ---: " * 5
        + "|"
    ]
    for r in rows:
        sp, h = r["spark"], r["hna"]
        lines.append(
            f"| {r['n']:,} | {sp['wall']:.1f} | {sp['count']:.1f} | {h['wall']:.2f} "
            f"| {sp['wall'] / h['wall']:.1f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,2000000")
    parser.add_argument(
        "--python-sample",
        type=int,
        default=0,
        help="patients the plain-Python twin counts (time scaled to full size); "
        "0 = all of them, -1 skips it",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="scan and HNA runs per size, alternating (the twins run once)",
    )
    parser.add_argument(
        "--spark",
        action="store_true",
        help="also time the same run on the spark engine (once per size, wall time only)",
    )
    parser.add_argument("--workdir", default="/tmp/gpequity-bench")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    print(f"date: {date.today().isoformat()}, load average at start {os.getloadavg()}")
    rows = []
    for n in sizes:
        print(f"size {n:,}", flush=True)
        folder = _extract(n, workdir)
        as_of = AS_OF.isoformat()
        row: dict = {"n": n}
        # Scan and HNA alternate, so each pair sees the same machine load; the ratio reported
        # is the median of the pairs' ratios, and each row the median run.
        scans, hnas = [], []
        for _ in range(args.repeat):
            scans.append(_measure(SCAN.format(), str(folder)))
            print(_line("scan", scans[-1]), flush=True)
            hnas.append(_measure(HNA.format(as_of=as_of, engine="duckdb"), str(folder)))
            print(_line("hna", hnas[-1]), flush=True)
        row["scan"], row["hna"] = (_mid(runs, key=lambda r: r["wall"]) for runs in (scans, hnas))
        row["ratios"] = sorted(h["wall"] / s["wall"] for s, h in zip(scans, hnas, strict=True))
        row["hna_walls"] = sorted(h["wall"] for h in hnas)
        row["pandas"] = _measure(PANDAS.format(as_of=as_of), str(folder))
        print(_line("pandas", row["pandas"]), flush=True)
        if args.python_sample >= 0:
            row["python"] = _measure(
                PYTHON.format(as_of=as_of), str(folder), str(args.python_sample)
            )
            note = (
                f" (on {row['python']['sample']:,} patients, scaled)"
                if row["python"]["scaled"]
                else ""
            )
            print(_line("python", row["python"]) + note, flush=True)
        if args.spark:
            row["spark"] = _measure(HNA.format(as_of=as_of, engine="spark"), str(folder))
            print(_line("spark", row["spark"]) + " (Python process only)", flush=True)
        h, s, p = row["hna"], row["scan"], row["pandas"]
        print(
            f"  hna/scan {_mid(row['ratios']):.2f}x (pairs {_span(row['ratios'])}; "
            f"cpu {h['cpu'] / s['cpu']:.2f}x) | "
            f"pandas/hna {p['wall'] / h['wall']:.1f}x end to end, "
            f"{p['count'] / h['count']:.1f}x counting"
            + (
                f" | python/hna {row['python']['seconds'] / h['wall']:.1f}x end to end"
                if "python" in row
                else ""
            ),
            flush=True,
        )
        rows.append(row)
    print()
    print(_table(rows))
    if args.spark:
        print()
        print(_spark_table(rows))
    if any(r.get("python", {}).get("scaled") for r in rows):
        print(
            f"* plain-Python twin timed on {args.python_sample:,} patients, counting time "
            "scaled linearly"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
