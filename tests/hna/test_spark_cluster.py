"""The same code scales out, tested rather than stated (issue 19, ADR 28): a real Spark
standalone cluster on loopback, a master and a worker started with the PySpark
distribution's own ``spark-class``, runs a system extract through ``GPEQUITY_SPARK_MASTER``
and ``GPEQUITY_SPARK_SCRATCH`` and writes byte for byte the DuckDB engine's files.

The cluster's processes run in their own process group, are told to die with the test
process (the parent-death signal) and are killed when the module ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed")

pytestmark = pytest.mark.spark
AS_OF = "2025-03-31"
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
STARTED = 120.0  # seconds a JVM may take to say it is up on a busy shared machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Daemon:
    """A Spark daemon started with ``spark-class``; its log is kept and read as it comes, so
    the test waits for the line that says it is ready (no fixed sleep) and the pipe never
    fills up."""

    def __init__(self, args: list[str], env: dict[str, str], ready: str) -> None:
        spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
        self.log: list[str] = []
        self._ready_text = ready
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [str(spark_class), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_die_with_parent,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line)
            if self._ready_text in line:
                self.ready.set()
        self.ready.set()  # the process ended: stop waiting (the test then sees why)

    def wait_ready(self) -> None:
        if not self.ready.wait(STARTED) or self.proc.poll() is not None:
            raise AssertionError(f"{self.proc.args[1]} did not start:\n" + "".join(self.log[-30:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)


def _spark_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(Path(pyspark.__file__).parent),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_LOG_DIR=str(tmp / "logs"),
        SPARK_WORKER_DIR=str(tmp / "work"),
        SPARK_NO_DAEMONIZE="1",
        PYSPARK_PYTHON=sys.executable,
    )
    if "JAVA_HOME" not in env and os.path.isdir(JAVA_HOME):
        env["JAVA_HOME"] = JAVA_HOME
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[tuple[str, _Daemon]]:
    """``spark://127.0.0.1:<port>`` of a running master, and its one registered worker."""
    tmp = tmp_path_factory.mktemp("spark-cluster")
    env = _spark_env(tmp)
    port = _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    daemons: list[_Daemon] = []
    try:
        master = _Daemon(
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(_free_port()),
            ],
            env,
            ready="I have been elected leader",
        )
        daemons.append(master)
        master.wait_ready()
        worker = _Daemon(
            [
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(_free_port()),
                "--webui-port",
                str(_free_port()),
                "--cores",
                "2",
                "--memory",
                "1g",
                "--work-dir",
                str(tmp / "work"),
                master_url,
            ],
            env,
            ready="Successfully registered with master",
        )
        daemons.append(worker)
        worker.wait_ready()
        yield master_url, worker
    finally:
        for daemon in reversed(daemons):
            daemon.stop()
        for daemon in daemons:
            assert daemon.proc.poll() is not None


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    gpequity = Path(sys.executable).with_name("gpequity")
    return subprocess.run(
        [str(gpequity), *args], env=env, capture_output=True, text=True, timeout=1200
    )


def test_a_standalone_cluster_writes_the_duckdb_engines_files_byte_for_byte(cluster, tmp_path):
    from gpequity.synth import generate

    extract = tmp_path / "system"
    generate(
        400,
        seed=19,
        as_of=date.fromisoformat(AS_OF),
        out=extract,
        appointments_per_patient=2.0,
        practices=3,
    )
    scratch = tmp_path / "shared"  # on a real cluster: a folder every node mounts
    scratch.mkdir()
    env = _spark_env(tmp_path)
    master_url, worker = cluster
    env.update(
        GPEQUITY_SPARK_MASTER=master_url,
        GPEQUITY_SPARK_SCRATCH=str(scratch),
        GPEQUITY_SPARK_MEMORY="1g",
    )
    focus = '{"any": [{"imd_decile": {"le": 2}}]}'
    common = [str(extract), "--as-of", AS_OF, "--focus", focus]
    on_cluster = _cli(
        ["hna", "run", *common, "--engine", "spark", "--out", str(tmp_path / "s")], env
    )
    assert on_cluster.returncode == 0, on_cluster.stderr[-3000:]
    on_duckdb = _cli(["hna", "run", *common, "--out", str(tmp_path / "d")], env)
    assert on_duckdb.returncode == 0, on_duckdb.stderr[-3000:]

    def files(folder: Path) -> dict[str, bytes]:
        return {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.name != "run.json"}

    spark_files, duckdb_files = files(tmp_path / "s"), files(tmp_path / "d")
    assert set(duckdb_files) == {
        *(f"{t}.{x}" for t in ("indicators", "gradients") for x in ("csv", "json")),
        *(f"practice_{t}.{x}" for t in ("indicators", "gradients") for x in ("csv", "json")),
    }
    assert spark_files == duckdb_files
    assert list(scratch.iterdir()) == []  # the handover is cleared away
    # The cluster did the counting: its worker was asked to launch the run's executor.
    assert any("launch executor" in line and "gpequity-hna" in line for line in worker.log)
