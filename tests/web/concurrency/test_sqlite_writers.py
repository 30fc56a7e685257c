"""Finding 5 of issue 22: the embedded SQLite database takes many concurrent writers with no
"database is locked" error and no lost write.

Each writer runs the shape of transaction the services run (read, then insert and update, in
one atomic block) on its own connection to one file-based database, configured exactly as
``settings.DATABASES`` configures SQLite (``SQLITE_OPTIONS``). With Django's defaults instead
(deferred transactions, no WAL, 5 s timeout) the same load fails: a deferred transaction that
read first cannot take the write lock while another writer holds it, and SQLite refuses it at
once rather than wait; ``test_django_defaults_do_lose_writes`` keeps that measured.
"""

from __future__ import annotations

import threading

from django.db import OperationalError, connections, transaction

from gpequity.web.settings.base import SQLITE_OPTIONS

WRITERS = 16
EACH = 25


def _run(tmp_path, options: dict) -> tuple[int, list[str]]:
    alias = f"writers_{len(options)}_{id(options)}"
    connections.settings[alias] = {
        **connections.settings["default"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "writers.sqlite3"),
        "OPTIONS": dict(options),
        "TEST": {},
    }
    setup = connections[alias]
    with setup.cursor() as c:
        c.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        c.execute("CREATE TABLE item (id INTEGER PRIMARY KEY AUTOINCREMENT, worker INT, k INT)")
        c.execute("INSERT INTO counter (id, n) VALUES (1, 0)")
    setup.close()
    errors: list[str] = []
    done = 0
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(worker: int) -> None:
        nonlocal done
        conn = connections[alias]
        start.wait()
        try:
            for k in range(EACH):
                try:
                    with transaction.atomic(using=alias), conn.cursor() as c:
                        c.execute("SELECT n FROM counter WHERE id = 1")
                        c.fetchone()
                        c.execute("INSERT INTO item (worker, k) VALUES (%s, %s)", [worker, k])
                        c.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
                    with lock:
                        done += 1
                except OperationalError as exc:
                    with lock:
                        errors.append(str(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    check = connections[alias]
    with check.cursor() as c:
        c.execute("SELECT n FROM counter WHERE id = 1")
        (counted,) = c.fetchone()
        c.execute("SELECT count(*) FROM item")
        (stored,) = c.fetchone()
    check.close()
    del connections.settings[alias]
    assert counted == stored == done  # whatever committed is all there, nothing half-written
    return stored, errors


def test_the_configured_sqlite_takes_concurrent_writers_without_errors(
    tmp_path, settings, django_db_blocker
):
    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3"):
        assert default["OPTIONS"] == SQLITE_OPTIONS  # what the test measures is what runs
    with django_db_blocker.unblock():  # its own database file, not the test database
        stored, errors = _run(tmp_path, SQLITE_OPTIONS)
    assert errors == [] and stored == WRITERS * EACH


def test_django_defaults_do_lose_writes(tmp_path, django_db_blocker):
    """The measurement behind the settings: with the defaults, writes fail under this load."""
    with django_db_blocker.unblock():
        stored, errors = _run(tmp_path, {})
    assert errors and all("database is locked" in e for e in errors)
    assert stored == WRITERS * EACH - len(errors)
