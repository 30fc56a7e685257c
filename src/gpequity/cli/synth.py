"""`gpequity synth`: write a synthetic practice extract with planted inequalities."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def _parse_date(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter("use an ISO date, YYYY-MM-DD") from exc


def synth(
    patients: Annotated[int, typer.Option("--patients", min=1, help="Number of patients.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the extract into.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 1,
    as_of: Annotated[
        str, typer.Option("--as-of", help="Assessment date, YYYY-MM-DD (default: today).")
    ] = "",
    appointments_per_patient: Annotated[
        float,
        typer.Option("--appointments-per-patient", min=0.0, help="Mean appointments a year."),
    ] = 3.0,
    format: Annotated[  # noqa: A002 - the option is called --format
        str, typer.Option("--format", help="csv or parquet.")
    ] = "csv",
    practices: Annotated[
        int,
        typer.Option(
            "--practices",
            min=0,
            help="Make a system (PCN or ICB) extract: patients spread over this many "
            "practices, with a practice_code column.",
        ),
    ] = 0,
) -> None:
    """Write a synthetic practice extract (patients and appointments) for demos and tests."""
    from gpequity.synth import generate

    if format not in ("csv", "parquet"):
        raise typer.BadParameter("--format must be csv or parquet")
    as_of_date = _parse_date(as_of) if as_of else date.today()
    _writable_folder(out)
    console = Console()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("generating", total=1.0)

        def progress(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=stage)

        summary = generate(
            patients,
            seed=seed,
            as_of=as_of_date,
            out=out,
            appointments_per_patient=appointments_per_patient,
            format=format,  # type: ignore[arg-type]
            progress=progress,
            practices=practices,
        )

    console.print(
        f"Wrote {summary.n_patients:,} patients to {escape(str(summary.patients_path))}"
        + (
            f" and {summary.n_appointments:,} appointments to "
            f"{escape(str(summary.appointments_path))}"
            if summary.appointments_path
            else " (no appointments)"
        )
        + f" (seed {summary.seed}, as of {summary.as_of.isoformat()})"
        + (f", spread over {practices} practices (practice_code)." if practices else ".")
    )
    table = Table(title="Planted inequalities", show_lines=False)
    table.add_column("indicator")
    table.add_column("what was planted")
    for planted in summary.planted:
        table.add_row(planted.indicator, planted.description)
    console.print(table)


def _writable_folder(out: Path) -> None:
    """Refuse an --out that cannot take the files before generating anything."""
    from gpequity.hna.results import OutputFolderError, check_output_folder

    try:
        check_output_folder(out)
        out.mkdir(parents=True, exist_ok=True)
    except OutputFolderError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from exc
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write to {out}: {exc.strerror or exc}", param_hint="--out"
        ) from exc
