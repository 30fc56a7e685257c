"""Fault test (issue 22): SIGKILL the web process in the middle of a workbook import and the
background worker in the middle of a report PDF build, then check that nothing is half
written and that both can be retried to success.

Real processes on a database of their own (a SQLite file, or a fresh PostgreSQL database when
the suite runs with GPEQUITY_DATABASE=postgres): gunicorn serving the app and
`gpequity manage db_worker`, driven over loopback. "In the middle" is made certain, not left
to timing: the test holds a lock the import needs (SQLite: the database's write lock;
PostgreSQL: the audit table, so the import has already changed the assessment inside its
transaction when it waits) and kills the server once it has started the request (gunicorn's
debug log) and, on PostgreSQL, is seen waiting on the lock; the worker is killed once its
build is seen running.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POSTGRES = os.environ.get("GPEQUITY_DATABASE") == "postgres"
NOTE = "Agreed at the partners' meeting after the fault test"
WAIT = 240  # seconds: the longest any step may take on a busy machine before the test fails

SETUP = r"""
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.web.reports.factories import filled_practice
org, lead, helper, actions = filled_practice()
print(json.dumps({"ods": org.ods_code, "lead": lead.username, "action": actions[0].key}))
"""

STATE = r"""
import datetime as dt, json, sys
import django
django.setup()
from gpequity.web.orgs.models import Organisation
from gpequity.web.reports.export_json import org_export
from gpequity.web.reports.models import ReportBuild
org = Organisation.objects.get(ods_code=sys.argv[1])
export = org_export(org, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
builds = [
    {"id": str(b.id), "status": b.status, "attempt": b.attempt, "has_pdf": b.pdf is not None}
    for b in ReportBuild.objects.order_by("created_at")
]
if len(sys.argv) > 2 and sys.argv[2] == "expire":
    ReportBuild.objects.filter(status="running").update(
        heartbeat_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
print(json.dumps({"export": export, "builds": builds}, default=str))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    """The app in its own processes, on its own database."""

    def __init__(self, tmp: Path):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gpequity.web.settings.dev",
            "GPEQUITY_VAR_DIR": str(tmp),
            "PYTHONPATH": str(ROOT),
        }
        self.db_file = tmp / "gpequity.sqlite3"
        if POSTGRES:
            import psycopg

            name = f"gpequity_faults_{os.getpid()}"
            with psycopg.connect(dbname="postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}")
            self.env["PGDATABASE"] = name
        self.server: subprocess.Popen | None = None
        self.port = 0
        info = self.python(SETUP)
        self.ods, self.lead, self.action = info["ods"], info["lead"], info["action"]

    def python(self, code: str, *args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=WAIT * 2,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def build_statuses(self) -> list[str]:
        """The builds' statuses straight from the database (quick enough to watch a build)."""
        sql = "SELECT status FROM reports_reportbuild ORDER BY created_at"
        if POSTGRES:
            import psycopg

            with psycopg.connect(dbname=self.env["PGDATABASE"]) as conn:
                return [r[0] for r in conn.execute(sql)]
        import sqlite3

        conn = sqlite3.connect(self.db_file, timeout=WAIT)
        try:
            return [r[0] for r in conn.execute(sql)]
        finally:
            conn.close()

    def state(self, *args: str) -> dict:
        return self.python(STATE, self.ods, *args)

    def start(self) -> None:
        self.port = _free_port()
        self.server = subprocess.Popen(
            [str(BIN / "gunicorn"), "gpequity.web.wsgi:application", "--workers", "1",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "debug", "--timeout", "120"],
            env=self.env, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip

        self.log: queue.Queue = queue.Queue()
        threading.Thread(target=self._read_log, args=(self.server, self.log), daemon=True).start()
        self.wait_for_log("Booting worker")

    @staticmethod
    def _read_log(server: subprocess.Popen, lines: queue.Queue) -> None:
        for line in server.stderr:
            lines.put(line)
        lines.put(None)

    def wait_for_log(self, text: str) -> None:
        """Block on gunicorn's log until ``text`` appears (no polling)."""
        deadline = time.monotonic() + WAIT
        while True:
            line = self.log.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the server stopped before {text!r}"
            if text in line:
                return

    def kill(self) -> None:
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=WAIT)

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.kill()


class Browser:
    """A signed-in person: cookies and CSRF token, over plain HTTP on loopback."""

    def __init__(self, site: Site, username: str):
        self.site, self.cookies = site, {}
        status, page = self.request("GET", "/sign-in/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST", "/sign-in/",
            {"csrfmiddlewaretoken": token, "username": username, "password": "password"},
        )  # fmt: skip
        assert status == 302, "could not sign in"

    def request(self, method, path, fields=None, files=None, timeout=WAIT):
        conn = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=timeout)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if files:
            boundary = "----gpequityfaulttest"
            parts = []
            for k, v in (fields or {}).items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                    .encode()
                )  # fmt: skip
            for k, (name, data) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; '
                    f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                    + data + b"\r\n"
                )  # fmt: skip
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        ctype = response.getheader("Content-Type", "")
        return response.status, data if "text" not in ctype and "json" not in ctype else (
            data.decode()
        )

    def post(self, path, fields=None, **kw):
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **(fields or {})}
        return self.request("POST", path, fields, **kw)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The database, migrated and filled once for both tests (migrating takes a while)."""
    return Site(tmp_path_factory.mktemp("faults"))


@pytest.fixture
def site(prepared):
    prepared.start()
    yield prepared
    prepared.stop()


def _edited_workbook(browser: Browser, site: Site) -> bytes:
    import openpyxl

    status, data = browser.request("GET", f"/orgs/{site.ods}/reports/workbook.xlsx")
    assert status == 200
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        header = [c.value for c in ws[2]]
        if "Action Key" not in header or "Notes" not in header:
            continue
        for row in range(3, ws.max_row + 1):
            if ws.cell(row=row, column=header.index("Action Key") + 1).value == site.action:
                ws.cell(row=row, column=header.index("Notes") + 1, value=NOTE)
                out = io.BytesIO()
                wb.save(out)
                return out.getvalue()
    raise AssertionError("the action is not in the workbook")


class _Lock:
    """Holds what the import needs, from outside the app, until released."""

    def __init__(self, site: Site):
        if POSTGRES:
            import psycopg

            self.conn = psycopg.connect(dbname=site.env["PGDATABASE"])
            self.conn.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
        else:
            import sqlite3

            self.conn = sqlite3.connect(site.db_file, isolation_level=None, timeout=WAIT)
            self.conn.execute("BEGIN IMMEDIATE")

    def wait_for_a_waiter(self) -> None:
        """PostgreSQL: until the import is seen waiting on the lock, its first changes made."""
        if not POSTGRES:
            return
        import psycopg

        deadline = time.monotonic() + WAIT
        with psycopg.connect(dbname=self.conn.info.dbname, autocommit=True) as watch:
            while time.monotonic() < deadline:
                waiting = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE '%%audit_auditevent%%'"
                ).fetchone()[0]
                if waiting:
                    return
        raise AssertionError("the import never reached the audit table")

    def release(self) -> None:
        self.conn.rollback() if POSTGRES else self.conn.execute("ROLLBACK")
        self.conn.close()


def test_killing_the_web_process_mid_import_changes_nothing_and_a_retry_applies(site):
    browser = Browser(site, site.lead)
    edited = _edited_workbook(browser, site)
    base = f"/orgs/{site.ods}/reports/"
    status, _ = browser.post(base + "import/", files={"workbook": ("book.xlsx", edited)})
    assert status == 302  # previewed: waiting to be applied
    before = site.state()
    assert NOTE not in json.dumps(before["export"])

    lock = _Lock(site)

    def apply() -> None:
        try:
            browser.post(base + "import/apply/")
        except (OSError, http.client.HTTPException):
            pass  # the server was killed under it: no answer

    applying = threading.Thread(target=apply, daemon=True)
    applying.start()
    site.wait_for_log(f"POST {base}import/apply/")
    lock.wait_for_a_waiter()
    site.kill()
    lock.release()
    applying.join(WAIT)

    after = site.state()
    assert after["export"] == before["export"]  # nothing half-written

    site.start()  # the retry: sign in again, upload again, apply
    browser = Browser(site, site.lead)
    assert browser.post(base + "import/", files={"workbook": ("book.xlsx", edited)})[0] == 302
    status, _ = browser.post(base + "import/apply/")
    assert status == 302
    done = site.state()
    assert NOTE in json.dumps(done["export"])
    assert any(e["verb"] == "imported" for e in done["export"]["audit_events"])


def test_killing_the_worker_mid_build_leaves_no_pdf_and_the_build_is_retried(site):
    browser = Browser(site, site.lead)
    base = f"/orgs/{site.ods}/reports/"
    status, _ = browser.post(base + "pdf-builds/")
    assert status == 302
    (build,) = site.state()["builds"]
    assert build["status"] == "queued"

    worker = subprocess.Popen(
        [str(BIN / "gpequity"), "manage", "db_worker", "--no-startup-delay", "--interval", "0.1"],
        env=site.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + WAIT
    for line in worker.stdout:
        if "state=RUNNING" in line:
            break
        assert time.monotonic() < deadline, "the worker never started the build"
    while site.build_statuses() == ["queued"]:  # until it has begun to render
        assert time.monotonic() < deadline, "the build never started"
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=WAIT)

    (killed,) = site.state()["builds"]
    assert killed["status"] == "running" and not killed["has_pdf"]  # no half a PDF

    # Five minutes on (its lease runs out), the progress page's poll queues it again ...
    site.state("expire")
    status, body = browser.request("GET", base + f"pdf-builds/{build['id']}/status/")
    assert status == 200 and json.loads(body)["status"] == "queued"
    # ... and the next worker builds it.
    subprocess.run(
        [str(BIN / "gpequity"), "manage", "db_worker", "--batch", "--no-startup-delay"],
        env=site.env, cwd=ROOT, check=True, capture_output=True, timeout=WAIT * 2,
    )  # fmt: skip
    (rebuilt,) = site.state()["builds"]
    assert rebuilt == {"id": build["id"], "status": "done", "attempt": 2, "has_pdf": True}
    status, pdf = browser.request("GET", base + f"pdf-builds/{build['id']}/download/")
    assert status == 200 and pdf.startswith(b"%PDF")
