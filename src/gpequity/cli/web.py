"""`gpequity demo`, `gpequity serve` and `gpequity manage ...`: the web application.

Django is set up lazily inside these commands so the core commands never import it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import typer

DEFAULT_SETTINGS = "gpequity.web.settings.dev"


def django_setup(settings: str | None = None) -> None:
    """Configure Django for a command that needs the web database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings or DEFAULT_SETTINGS)
    import django

    django.setup()


def _start_worker() -> subprocess.Popen:
    """The background-task worker (report PDFs, ADR 9; daily reminders, ADR 23), as a child
    process of the server."""
    # The child inherits DJANGO_SETTINGS_MODULE, set by django_setup().
    return subprocess.Popen([sys.executable, "-m", "django", "db_worker", "--interval", "0.5"])


def _runserver(host: str, port: int, *, worker: bool = True) -> None:
    from django.core.management import call_command

    if worker:
        from gpequity.web.plans.reminders import ensure_scheduled

        ensure_scheduled()  # the daily plan reminders, run by the worker
    child = _start_worker() if worker else None
    if child is not None:
        typer.echo(f"Background worker started (process {child.pid}).")
        # A terminated server stops its worker too (SystemExit runs the finally below).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def register(app: typer.Typer) -> None:
    """Add the web commands to the top-level app."""

    @app.command()
    def demo(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        reset: bool = typer.Option(True, help="Rebuild the demo database from scratch."),
        no_serve: bool = typer.Option(False, "--no-serve", help="Build the demo data only."),
    ) -> None:
        """Build the demo (SQLite, the toolkit and a synthetic practice) and serve it."""
        django_setup()
        from gpequity.web.demo import build_demo

        info = build_demo(reset=reset, echo=typer.echo)
        typer.echo("")
        typer.secho("gpequity demo is ready", bold=True)
        typer.echo(f"  Open:      http://{host}:{port}/")
        for line in info.sign_in_lines():
            typer.echo(f"  {line}")
        typer.echo("  Stop with Ctrl+C.")
        if not no_serve:
            _runserver(host, port)

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        worker: bool = typer.Option(
            True,
            help="Also run the background worker (PDF builds). Use --no-worker when a separate "
            "`.venv/bin/gpequity manage db_worker` runs.",
        ),
    ) -> None:
        """Apply migrations and serve the web app on the configured database."""
        django_setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        typer.echo(f"Serving gpequity at http://{host}:{port}/")
        _runserver(host, port, worker=worker)

    @app.command(
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        help="Run a Django management command, e.g. `gpequity manage migrate`.",
    )
    def manage(ctx: typer.Context) -> None:
        django_setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["gpequity manage", *ctx.args])
        sys.stdout.flush()
