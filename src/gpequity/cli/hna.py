"""`gpequity hna ...` commands: validate an extract, run the health needs assessment."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(no_args_is_help=True)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def _console() -> Console:
    return Console(stderr=True)


def _print_error(exc: Exception | str) -> None:
    """An error as text, not Rich markup; one line per problem, however narrow the terminal."""
    _console().print(f"[bold red]Error:[/] {escape(str(exc))}", soft_wrap=True)


def _limits(max_unzipped: str | None):
    """The zip limits from ``--max-unzipped`` (else the environment's, else 4 GB)."""
    from gpequity.archives import ArchiveError, default_limits, parse_size

    try:
        limits = default_limits()
    except ArchiveError as exc:
        raise typer.BadParameter(exc.message, param_hint="GPEQUITY_MAX_UNZIPPED_BYTES") from exc
    if max_unzipped is None:
        return limits
    try:
        return limits.with_total(parse_size(max_unzipped))
    except ValueError as exc:
        raise typer.BadParameter(
            "use a size such as 500MB or 8GB", param_hint="--max-unzipped"
        ) from exc


_MAX_UNZIPPED_HELP = (
    "Largest a zipped extract may unpack to, e.g. 500MB or 8GB "
    "(default 4GB, or GPEQUITY_MAX_UNZIPPED_BYTES)."
)


@app.command()
def validate(
    extract: Path = typer.Argument(..., help="Extract folder or .zip (patients.csv, ...)."),
    format: ReportFormat = typer.Option(ReportFormat.text, "--format", help="text or json."),
    max_per_kind: int = typer.Option(5, "--max-per-kind", min=0, help="Examples per problem."),
    max_unzipped: str | None = typer.Option(None, "--max-unzipped", help=_MAX_UNZIPPED_HELP),
) -> None:
    """Check an extract against the data contract; exit 1 when it has errors."""
    from gpequity.hna.validate import validate_extract

    report = validate_extract(extract, limits=_limits(max_unzipped))
    if format is ReportFormat.json:
        typer.echo(report.to_json(indent=2))
    else:
        typer.echo(report.summary(max_per_kind=max_per_kind))
        profile = report.profile()
        if profile:
            typer.echo(profile)
    if not report.ok:
        raise typer.Exit(1)


def _as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("use an ISO date, YYYY-MM-DD", param_hint="--as-of") from exc


@app.command()
def run(
    extract: Path = typer.Argument(..., help="Extract folder or .zip."),
    as_of: str = typer.Option(..., "--as-of", help="Assessment date, YYYY-MM-DD."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder for indicators/gradients CSV and JSON, and run.json (needed unless "
        "--store is given).",
    ),
    focus: str | None = typer.Option(
        None, "--focus", help="Focus Patient criteria: a JSON/YAML file or inline JSON."
    ),
    indicators: Path | None = typer.Option(
        None, "--indicators", help="YAML file of extra indicators (same id replaces a default)."
    ),
    engine: EngineName = typer.Option(
        EngineName.duckdb,
        "--engine",
        help="duckdb or spark. Spark reads GPEQUITY_SPARK_MEMORY (e.g. 12g), "
        "GPEQUITY_SPARK_MASTER (a cluster) and GPEQUITY_SPARK_SCRATCH (a folder it can read).",
    ),
    shareable: bool = typer.Option(
        False, "--shareable", help="Apply disclosure control (for sharing beyond the practice)."
    ),
    drop_bad_rows: bool = typer.Option(
        False, "--drop-bad-rows", help="Leave out rows that break the contract instead of stopping."
    ),
    max_unzipped: str | None = typer.Option(None, "--max-unzipped", help=_MAX_UNZIPPED_HELP),
    store: str | None = typer.Option(
        None,
        "--store",
        help="ODS code of a PCN or ICB: store a system extract's results in the web database, "
        "one run for each of its practices (all or nothing).",
    ),
    as_user: str | None = typer.Option(
        None,
        "--as",
        help="With --store: staff username recorded in the audit trail (default: gpequity-system).",
    ),
) -> None:
    """Run the health needs assessment and write its tables; prints a short summary.

    With --store, a system extract's per-practice results are also stored in the web
    database as each practice's run, as if uploaded there (set DJANGO_SETTINGS_MODULE and
    the database as for `gpequity serve`)."""
    from gpequity.hna.api import FocusError
    from gpequity.hna.api import run as run_hna
    from gpequity.hna.engine import EngineError
    from gpequity.hna.indicators import IndicatorError
    from gpequity.hna.results import OutputFolderError, check_output_folder
    from gpequity.hna.validate import ExtractError

    when = _as_of(as_of)
    limits = _limits(max_unzipped)
    console = _console()
    if out is None and store is None:
        raise typer.BadParameter("give --out (a folder for the results), --store, or both")
    if out is not None:
        try:  # before the long part: a bad --out fails at once
            check_output_folder(out)
        except OutputFolderError as exc:
            raise typer.BadParameter(str(exc), param_hint="--out") from exc
    target = _store_target(store, as_user) if store is not None else None
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("Reading the extract", total=1.0)

            def progress(message: str, fraction: float) -> None:
                bar.update(task, description=message, completed=min(max(fraction, 0.0), 1.0))

            result = run_hna(
                extract,
                as_of=when,
                focus=focus,
                indicators=indicators,
                engine=engine.value,
                shareable=shareable,
                drop_bad_rows=drop_bad_rows,
                progress=progress,
                limits=limits,
            )
    except ExtractError as exc:
        console.print("[bold red]The extract has errors; nothing was written.[/]")
        typer.echo(exc.report.summary(), err=True)
        raise typer.Exit(1) from exc
    except (FocusError, IndicatorError, EngineError) as exc:
        _print_error(exc)
        raise typer.Exit(2) from exc
    if target is not None:  # before any file is written: a refused store writes nothing
        _check_store(target, result)
    written = None
    if out is not None:
        try:
            written = result.write(out)
        except OSError as exc:  # e.g. the disk filled up, or the folder cannot be made
            _print_error(f"cannot write the results to {out}: {exc.strerror or exc}")
            raise typer.Exit(2) from exc
    typer.echo(result.summary())
    practices = ""
    if result.practices is not None:
        codes = result.practices.codes
        practices = (
            f", and practice_indicators and practice_gradients for {len(codes)} practices "
            "(a system extract)"
        )
    if written is not None:
        typer.echo(
            f"\nWrote indicators and gradients (CSV and JSON), and run.json (what the run used)"
            f"{practices}, to {written}"
        )
    if target is not None:
        _store(target, result, extract, console)


def _store_target(ods_code: str, as_user: str | None):
    """The PCN or ICB and the acting user for --store, checked before the long run."""
    from .org import _actor, _org, _setup

    _setup()
    organisation = _org(ods_code)
    from gpequity.web.orgs.models import OrgKind

    if organisation.kind not in (OrgKind.PCN, OrgKind.ICB):
        _print_error(
            f"{organisation.ods_code} is a practice: --store takes the ODS code of a PCN or an "
            "ICB, whose practices the system extract covers"
        )
        raise typer.Exit(2)
    return organisation, _actor(as_user)


def _check_store(target, result) -> None:
    from django.core.exceptions import ValidationError

    from gpequity.web.hna.system import match_practices

    organisation, _actor = target
    if result.practices is None:
        _print_error(
            "--store needs a system extract (patients with a practice_code column); this "
            "extract is one practice's: upload it on that practice's page. Nothing was stored."
        )
        raise typer.Exit(2)
    codes = result.practices.codes
    try:
        match_practices(organisation, codes)
    except ValidationError as exc:
        _print_error(exc.messages[0])
        raise typer.Exit(2) from exc


def _store(target, result, extract: Path, console: Console) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    from gpequity.web.hna.system import system_run_store

    organisation, actor = target
    files = extract.name
    size = _size(extract)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("Storing each practice's run", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            runs = system_run_store(
                actor=actor,
                organisation=organisation,
                result=result,
                files=files,
                size=size,
                progress=progress,
            )
    except (ValidationError, PermissionDenied) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        _print_error(
            message if "Nothing was stored" in message else f"{message} Nothing was stored."
        )
        raise typer.Exit(2) from exc
    typer.echo(
        f"Stored {len(runs)} practice run{'s' if len(runs) != 1 else ''} for "
        f"{organisation.name} ({organisation.ods_code}), as of {runs[0].as_of if runs else ''}, "
        f"system run {runs[0].system_run_id if runs else ''}."
    )


def _size(extract: Path) -> int:
    if extract.is_file():
        return extract.stat().st_size
    return sum(p.stat().st_size for p in extract.iterdir() if p.is_file())


@app.command("indicators")
def indicators_cmd(
    indicators: Path | None = typer.Option(
        None, "--indicators", help="YAML file of extra indicators, checked and merged."
    ),
    format: ReportFormat = typer.Option(ReportFormat.text, "--format", help="text or json."),
) -> None:
    """List the indicators a run computes, in plain English; with --indicators, check a file.

    --format json prints them as an indicator file (a starting point for your own).
    """
    import json

    from gpequity.hna.indicators import IndicatorError, default_indicators, describe, resolve

    try:
        chosen = resolve(indicators)
    except IndicatorError as exc:
        _print_error(exc)
        raise typer.Exit(2) from exc
    defaults = {d.id: d for d in default_indicators()}
    if format is ReportFormat.json:
        data = [d.model_dump(mode="json", exclude_defaults=True) for d in chosen]
        typer.echo(json.dumps({"version": 1, "indicators": data}, indent=2, ensure_ascii=False))
        return
    for d in chosen:
        if d.id not in defaults:
            origin = f" [from {indicators}]"
        elif d != defaults[d.id]:
            origin = f" [from {indicators}, replacing the default]"
        else:
            origin = ""
        level = ", appointments" if d.level == "appointment" else ""
        typer.echo(f"{d.id}: {d.title} ({d.kind}{level}){origin}")
        typer.echo(f"    out of: {describe(d.denominator)}")
        if d.numerator is not None:
            typer.echo(f"    counts: {describe(d.numerator)}")
        else:
            typer.echo(f"    averages: {d.value}")
        if d.needs_appointments:
            typer.echo("    needs appointments.csv")
    typer.echo(f"{len(chosen)} indicator(s). To add your own, see docs/indicators.md.")
