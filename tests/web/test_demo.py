"""`gpequity demo` builds a complete worked example on a fresh SQLite database."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_command_builds_every_worked_example(tmp_path):
    # The demo is the embedded (SQLite) configuration, whatever database the suite uses.
    drop = {"DJANGO_SETTINGS_MODULE", "GPEQUITY_DATABASE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["GPEQUITY_VAR_DIR"] = str(tmp_path)
    gpequity = Path(sys.executable).with_name("gpequity")
    result = subprocess.run(
        [str(gpequity), "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "http://127.0.0.1:8000/" in out
    assert "Password for every demo account: demo-equity-2026" in out
    for username in ("lead", "nurse", "partner", "pcnlead", "analyst", "admin"):
        assert f"Sign in as {username}" in out

    db = sqlite3.connect(tmp_path / "gpequity.sqlite3")

    def count(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    roles = {r for (r,) in db.execute("select role from orgs_membership")}
    assert roles == {"equity_lead", "member", "viewer", "network_lead", "analyst"}
    assert count("select count(*) from assessment_assessmententry") >= 15
    assert count("select count(*) from assessment_assessmententry where status = 'embedded'") >= 2
    assert count("select count(*) from assessment_evidence") >= 2
    assert count("select count(*) from assessment_snapshot") == 1
    assert count("select count(*) from focus_focusgroupversion") == 1
    riverside = "(select id from orgs_organisation where ods_code = 'Y99001')"
    # Riverside's plan: four items, one added from an HNA finding.
    assert count(f"select count(*) from plans_planitem where organisation_id = {riverside}") == 4
    assert count("select count(*) from plans_cycle") >= 2
    assert count("select count(*) from plans_measurement") >= 8
    assert count("select count(*) from audit_auditevent") > 20
    assert count("select count(*) from feedback_feedback") == 4
    assert count("select count(*) from feedback_heldfeedback") == 1
    assert count("select count(*) from feedback_message where from_practice") == 1
    states = dict(db.execute("select state, count(*) from casestudies_casestudy group by state"))
    assert states.get("published", 0) + states.get("review_due", 0) >= 6
    assert states.get("in_review") == 1 and states.get("draft") == 1
    levels = {v for (v,) in db.execute("select level from engagement_activity")}
    assert levels == {"inform", "consult", "involve", "collaborate", "co_produce"}
    assert count("select count(*) from engagement_insight where loop_closed_on is not null") >= 5
    assert count("select count(*) from engagement_insight where response = ''") >= 2
    assert count("select count(*) from engagement_evaluationmeasurement") >= 10
    # Three HNA runs over a year; the planted gap put into the plan narrows run by run.
    assert (
        count(
            f"select count(*) from hna_run where status = 'done' and organisation_id = {riverside}"
        )
        == 3
    )
    # The network (issue 19): two PCNs in the ICB, five practices in the demo PCN, runs over
    # time for the others, one practice keeping its results to itself.
    demo_icb = "(select id from orgs_organisation where ods_code = 'QZZ')"
    assert count(f"select count(*) from orgs_organisation where parent_id = {demo_icb}") == 2
    demo_pcn = "(select id from orgs_organisation where ods_code = 'U99001')"
    assert count(f"select count(*) from orgs_organisation where parent_id = {demo_pcn}") == 5
    assert count("select count(*) from hna_run where status = 'done'") == 3 + 6 * 2
    assert count("select count(*) from network_sharingsettings where not hna_to_pcn") >= 1
    fed = db.execute(
        "select m.value from plans_measurement m join plans_planitem p on p.id = m.plan_item_id "
        "where m.source_run_id is not null and p.measure_group = 'Q1' order by m.measured_on"
    ).fetchall()
    assert len(fed) == 3 and fed[0][0] < fed[1][0] < fed[2][0]

    hna = tmp_path / "demo" / "hna"
    for name in ("indicators.csv", "gradients.csv", "indicators.json", "gradients.json"):
        assert (hna / name).stat().st_size > 0
    indicators = (hna / "indicators.csv").read_text()
    assert "focus_group" in indicators and "cervical_screening" in indicators
    assert (tmp_path / "demo" / "extract" / "patients.csv").exists()

    # `gpequity serve` starts the background worker beside the server: a report PDF queued
    # on the demo database gets built, and stopping the server stops the worker too.
    queue = (
        "from gpequity.web.orgs.models import Organisation; "
        "from django.contrib.auth import get_user_model; "
        "from gpequity.web.reports.builds import request_build; "
        "org = Organisation.objects.get(ods_code='Y99001'); "
        "lead = get_user_model().objects.get(username='lead'); "
        "print(request_build(actor=lead, organisation=org).status)"
    )
    queued = subprocess.run(
        [str(gpequity), "manage", "shell", "-c", queue],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queued.stdout.split()[-1] == "queued", queued.stdout + queued.stderr
    server = subprocess.Popen(
        [str(gpequity), "serve", "--port", str(_free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        status = ""
        while time.monotonic() < deadline and status != "done":
            time.sleep(0.5)
            status = count_text(db, "select status from reports_reportbuild")
        assert status == "done"
        assert count("select size from reports_reportbuild") > 1000
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    worker = int(re.search(r"Background worker started \(process (\d+)\)", out).group(1))
    # The worker is stopped with the server; give it a moment to go, as a slow machine may.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(worker):
        time.sleep(0.1)
    assert not _alive(worker), f"the background worker (process {worker}) outlived the server"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A reaped-late child shows as a zombie until its parent collects it: that is gone too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def count_text(db: sqlite3.Connection, sql: str) -> str:
    row = db.execute(sql).fetchone()
    return row[0] if row else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
