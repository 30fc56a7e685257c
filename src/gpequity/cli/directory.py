"""`gpequity directory ...`: import an Open Referral UK feed (or the directory of a gpequity
organisation export) into an organisation's directory, and export it as ORUK JSON.

The import is the web's: all or nothing, through the same service, audited under the ``--as``
user or the ``gpequity-system`` account. A bad record is reported with its id, field and
value, and nothing is written. Django is set up lazily so the core commands never import it.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


def _org(ods_code: str):
    from .org import _org as find
    from .org import _setup

    _setup()
    return find(ods_code)


@app.command("import")
def import_(
    source: str = typer.Argument(
        ...,
        help="An ORUK service or page JSON file, a CSV data package (folder or .zip), "
        "the base address of an ORUK API (https://...), or an organisation's JSON export "
        "from gpequity (its directory is imported as it was, checked and changed dates too, "
        "with its shortlists and problem reports).",
    ),
    org: str = typer.Option(
        ..., "--org", help="ODS code of the organisation that will own the services."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes; save nothing."),
    as_user: str = typer.Option(
        None, "--as", help="Username recorded in the audit trail (default: gpequity-system)."
    ),
) -> None:
    """Import services all or nothing (exit 1 and no change on any problem)."""
    from gpequity.oruk import FeedError, ImportPlan, read_source
    from gpequity.oruk.listings import export_section, read_directory

    organisation = _org(org)
    from django.contrib.auth import get_user_model

    from gpequity.web.directory import services
    from gpequity.web.reports.services import system_actor

    if as_user:
        actor = get_user_model().objects.filter(username=as_user).first()
        if actor is None:
            typer.secho(f"No user {as_user!r}.", fg="red", err=True)
            raise typer.Exit(2)
    else:
        actor = system_actor()
    try:
        section = None if "://" in source else export_section(Path(source))
        feed = (
            None
            if section is not None
            else read_source(source if "://" in source else Path(source))
        )
    except FeedError as exc:
        typer.secho(f"ERROR {exc}", fg="red", err=True)
        typer.secho("Nothing was imported.", fg="red", err=True)
        raise typer.Exit(1) from None
    try:
        if section is not None:
            part, problems = read_directory(section)
            if problems:
                raise services.FeedRefused(ImportPlan(problems=problems))
            typer.echo(f"{source}: the directory of an organisation export.")
            plan = services.import_directory(
                actor=actor,
                owner=organisation,
                part=part,
                source=Path(source).name,
                dry_run=dry_run,
            )
        else:
            for note in feed.notes:
                typer.secho(f"NOTE {note}", fg="yellow", err=True)
            plan = services.import_feed(
                actor=actor,
                owner=organisation,
                docs=feed.services,
                source=feed.origin,
                dry_run=dry_run,
            )
    except services.FeedRefused as exc:
        for problem in exc.plan.problems:
            typer.secho(f"ERROR {problem}", fg="red", err=True)
        typer.secho("Nothing was imported.", fg="red", err=True)
        raise typer.Exit(1) from None
    for c in plan.added:
        typer.echo(f"NEW {c.id} {c.name}")
    for c in plan.changed:
        typer.echo(f"CHANGE {c.id} {c.name}: {', '.join(c.fields)}")
    typer.echo(f"{plan.summary()}.")
    if dry_run:
        typer.echo("Dry run: nothing was saved.")
    elif plan.has_changes:
        typer.secho(f"Imported into {organisation.ods_code}.", fg="green")
    else:
        typer.echo("Nothing to import.")


@app.command("export")
def export(
    org: str = typer.Option(..., "--org", help="ODS code of the organisation."),
    out: Path = typer.Option(..., "--out", help="File to write.", dir_okay=False),
) -> None:
    """Write the organisation's own services as an ORUK page of full services (JSON)."""
    organisation = _org(org)
    from gpequity.web.directory.exports import oruk_page

    data = json.dumps(oruk_page(organisation), indent=2, ensure_ascii=False).encode()
    out.write_bytes(data)
    typer.echo(
        f"Wrote {out} ({len(data):,} bytes) for {organisation.name} ({organisation.ods_code})."
    )
