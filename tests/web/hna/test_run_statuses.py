"""A run moving through its statuses as the worker really passes through them: each write the
worker makes is followed by a look at the run as a user sees it (the API and the progress
feed), with a real extract, so the sequence is observed rather than set by hand."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings

from gpequity.web.hna import runs, services, uploads
from gpequity.web.hna.models import Run

from .extracts import AS_OF, extract_zip
from .test_runs import base, leftovers

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _start(practice, lead, *, enqueue: bool) -> Run:
    folder, stored = uploads.store_uploaded(
        {"extract": SimpleUploadedFile("extract.zip", extract_zip())}
    )
    return services.run_start(
        actor=lead, organisation=practice, folder=folder, stored=stored, as_of=AS_OF,
        enqueue=enqueue,
    )  # fmt: skip


class Watcher:
    """After each of the worker's writes, what the API and the progress feed say."""

    def __init__(self, client, practice, run, monkeypatch, fail_when=None):
        self.client, self.seen = client, []
        self.api = f"/api/orgs/{practice.ods_code}/hna/runs/{run.pk}"
        self.feed = base(practice) + f"runs/{run.pk}/status/"
        real = runs._update

        def update(run_id, attempt, **fields):
            if fail_when and fields.get("status") == fail_when:
                raise OperationalError("database is locked")  # the write the worker needed
            changed = real(run_id, attempt, **fields)
            self.look()
            return changed

        monkeypatch.setattr(runs, "_update", update)

    def look(self):
        api = self.client.get(self.api).json()
        feed = self.client.get(self.feed).json()
        assert api["status"] == feed["status"]
        state = (api["status"], feed["finished"])
        if not self.seen or self.seen[-1][0] != state:
            self.seen.append((state, api["progress"], feed["html"]))

    @property
    def statuses(self):
        return [state for (state, _finished), _, _ in self.seen]


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_the_worker_takes_a_run_from_queued_through_validating_and_running_to_done(
    client, practice, lead, monkeypatch
):
    client.force_login(lead)
    run = _start(practice, lead, enqueue=True)
    watch = Watcher(client, practice, run, monkeypatch)
    watch.look()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    watch.look()  # the final state is written in one transaction with the results
    assert watch.statuses == ["queued", "validating", "running", "done"]
    (_, _, waiting), (_, checking, reading), (_, running, working), (_, done, finished) = watch.seen
    assert "Waiting to start" in waiting
    assert "Checking the extract" in reading and "Running the assessment" in working
    assert 0 <= checking < running < done == 1
    assert "The assessment is finished" in finished
    progress = [p for _, p, _ in watch.seen]
    assert progress == sorted(progress)
    assert leftovers() == []


@pytest.mark.django_db
def test_a_run_that_breaks_while_running_is_failed_then_retried_to_done(
    client, practice, lead, monkeypatch
):
    client.force_login(lead)
    run = _start(practice, lead, enqueue=False)
    watch = Watcher(client, practice, run, monkeypatch, fail_when="running")
    watch.look()
    assert runs.run_body(str(run.pk), 1) == "failed"
    watch.look()
    assert watch.statuses == ["queued", "validating", "failed"]
    (_, _, failed) = watch.seen[-1]
    assert "The assessment did not finish" in failed and "database is locked" not in failed
    run.refresh_from_db()
    assert run.upload_folder and run.message == runs.FAILED_MESSAGE  # kept for a retry

    monkeypatch.undo()
    watch = Watcher(client, practice, run, monkeypatch)
    watch.look()
    services.run_retry(actor=lead, run=run)  # the immediate backend runs it at once
    watch.look()
    assert watch.statuses == ["failed", "validating", "running", "done"]
    run.refresh_from_db()
    assert run.attempt == 2 and leftovers() == []
