"""Benchmark of the HNA engine against two baselines measured in the same run.

For each size a synthetic extract (gpequity.synth, about 3 appointments per patient) is
written once, then three measurements run, each in its own child process so that wall time
includes start-up and peak memory (ru_maxrss of that child) is not shared:

- ``hna``: ``gpequity.hna.run`` on the folder, DuckDB engine (read, validate, indicators,
  statistics), i.e. what ``gpequity hna run`` does minus writing four small files;
- ``scan``: a bare DuckDB scan of the same CSVs: count(*) and min/max of every column;
- ``twin``: the pure-Python twin (read with the same loader, then one patient at a time).
  Above ``--twin-sample`` patients the twin runs on the first N patients (and their
  appointments) and its compute time is scaled linearly to the full size; the table says so.

Usage: .venv/bin/python bench/hna_bench.py [--sizes 10000,100000,2000000]
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

HNA = """
import json, sys, time
t0 = time.perf_counter()
from gpequity.hna import run
r = run(sys.argv[1], as_of="{as_of}")
print(json.dumps({{"seconds": time.perf_counter() - t0, "rows": len(r.indicators)}}))
"""

SCAN = """
import json, sys, time
t0 = time.perf_counter()
import duckdb
con = duckdb.connect()
out = {{}}
for name in ("patients", "appointments"):
    path = f"{{sys.argv[1]}}/{{name}}.csv"
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_csv('{{path}}')").fetchall()]
    parts = ["count(*)"] + [f'min("{{c}}"), max("{{c}}")' for c in cols]
    out[name] = con.execute(f"SELECT {{', '.join(parts)}} FROM read_csv('{{path}}')").fetchone()[0]
print(json.dumps({{"seconds": time.perf_counter() - t0, "rows": out}}))
"""

TWIN = """
import json, sys, time
t0 = time.perf_counter()
import pyarrow.compute as pc
from datetime import date
from gpequity.hna.extract import load_extract
from gpequity.hna.indicators import default_indicators
from gpequity.hna.twin import twin_counts_from_arrow
from gpequity.hna import results
ex = load_extract(sys.argv[1])
load = time.perf_counter() - t0
n = ex.patients.num_rows
k = min(n, int(sys.argv[2]))
p = ex.patients.slice(0, k)
a = ex.appointments
if a is not None and k < n:
    a = a.filter(pc.is_in(a["patient_id"], value_set=p["patient_id"]))
t1 = time.perf_counter()
counts, plan = twin_counts_from_arrow(p, a, as_of=date.fromisoformat("{as_of}"),
                                      indicators=default_indicators())
info = [results.IndicatorInfo(i.id, i.kind) for i in plan.indicators]
results.indicators_table(counts, info)
results.gradients_table(counts, info)
compute = time.perf_counter() - t1
print(json.dumps({{"seconds": load + compute * n / k, "load": load, "compute": compute,
                  "sample": k, "scaled": k < n}}))
"""


def _child_rusage(code: str, *args: str) -> dict:
    """Like _child, but reaps the process itself with wait4 to read its own ru_maxrss."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(err.decode()[-2000:])
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["wall"] = wall
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result


def _extract(n: int, workdir: Path) -> Path:
    folder = workdir / f"synth-{n}"
    if not (folder / "patients.csv").exists():
        from gpequity.synth import generate

        t = time.perf_counter()
        generate(n, seed=20240331, as_of=AS_OF, out=folder, appointments_per_patient=3.0)
        print(f"  generated {n:,} patients in {time.perf_counter() - t:.1f} s", flush=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,2000000")
    parser.add_argument("--twin-sample", type=int, default=100_000)
    parser.add_argument("--workdir", default="/tmp/gpequity-bench")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    print(f"date: {date.today().isoformat()}")
    rows = []
    for n in sizes:
        print(f"size {n:,}", flush=True)
        folder = _extract(n, workdir)
        scan = _child_rusage(SCAN.format(), str(folder))
        hna = _child_rusage(HNA.format(as_of=AS_OF.isoformat()), str(folder))
        twin = _child_rusage(
            TWIN.format(as_of=AS_OF.isoformat()), str(folder), str(args.twin_sample)
        )
        rows.append((n, scan, hna, twin))
        twin_note = f" (twin on {twin['sample']:,}, scaled)" if twin["scaled"] else ""
        print(
            f"  scan {scan['wall']:.2f} s ({scan['peak_mb']:.0f} MB) | "
            f"hna {hna['wall']:.2f} s ({hna['peak_mb']:.0f} MB) | "
            f"twin {twin['seconds']:.1f} s ({twin['peak_mb']:.0f} MB){twin_note} | "
            f"hna/scan {hna['wall'] / scan['wall']:.2f}x | twin/hna "
            f"{twin['seconds'] / hna['wall']:.1f}x",
            flush=True,
        )
    print(
        "\n| patients | scan s (cpu) | hna s (cpu) | hna peak MB | twin s | hna/scan | twin/hna |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, scan, hna, twin in rows:
        mark = "*" if twin["scaled"] else ""
        print(
            f"| {n:,} | {scan['wall']:.2f} ({scan['cpu']:.1f}) | {hna['wall']:.2f} "
            f"({hna['cpu']:.1f}) | {hna['peak_mb']:.0f} | "
            f"{twin['seconds']:.1f}{mark} | {hna['wall'] / scan['wall']:.2f}x | "
            f"{twin['seconds'] / hna['wall']:.1f}x |"
        )
    if any(t["scaled"] for *_, t in rows):
        print(f"* twin timed on {args.twin_sample:,} patients, compute scaled linearly")


if __name__ == "__main__":
    main()
