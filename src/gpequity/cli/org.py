"""`gpequity org ...`: administer organisations from the command line (list, export, import).

These commands are for whoever runs the installation, so they see every organisation. The
import is exactly the web page's: all or nothing, through the same services, audited under
the ``--as`` user or the ``gpequity-system`` account. Django is set up lazily here so the
core commands never import it.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class ExportFormat(StrEnum):
    json = "json"
    xlsx = "xlsx"


def _setup() -> None:
    """Set Django up unless the caller (a test run, `manage shell`) already did."""
    from django.apps import apps
    from django.conf import settings

    if settings.configured and apps.ready:
        return
    from .web import django_setup

    django_setup()


def _org(ods_code: str):
    from gpequity.web.orgs.models import Organisation

    org = Organisation.objects.filter(ods_code__iexact=ods_code.strip()).first()
    if org is None:
        typer.secho(f"No organisation with ODS code {ods_code!r}.", fg="red", err=True)
        raise typer.Exit(2)
    return org


@app.command("list")
def list_orgs(
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", help="table or json"),
) -> None:
    """List every organisation with its kind, parent and number of members."""
    _setup()
    from django.db.models import Count

    from gpequity.web.orgs.models import Organisation

    orgs = (
        Organisation.objects.select_related("parent")
        .annotate(n_members=Count("memberships"))
        .order_by("kind", "ods_code")
    )
    rows = [
        {
            "ods_code": o.ods_code,
            "name": o.name,
            "kind": o.kind,
            "parent": o.parent.ods_code if o.parent_id else None,
            "members": o.n_members,
            "framework": o.framework,
        }
        for o in orgs
    ]
    if fmt is ListFormat.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(rows)} organisations")
    for col in ("ODS code", "Name", "Kind", "Parent", "Members"):
        table.add_column(col)
    for r in rows:
        cells = (r["ods_code"], r["name"], r["kind"], r["parent"] or "", str(r["members"]))
        table.add_row(*(escape(c) for c in cells))  # names are text, not Rich markup
    Console(width=120).print(table)


@app.command("export")
def export(
    ods_code: str = typer.Argument(..., help="ODS code of the organisation."),
    fmt: ExportFormat = typer.Option(..., "--format", help="json (everything) or xlsx"),
    out: Path = typer.Option(..., "--out", help="File to write.", dir_okay=False),
) -> None:
    """Export an organisation: all its data as JSON, or the practice workbook as .xlsx."""
    _setup()
    org = _org(ods_code)
    if fmt is ExportFormat.json:
        from gpequity.web.reports.export_json import org_export_bytes

        data = org_export_bytes(org)
    else:
        from gpequity.web.reports.xlsx import export_workbook

        data = export_workbook(org)
    out.write_bytes(data)
    typer.echo(f"Wrote {out} ({len(data):,} bytes) for {org.name} ({org.ods_code}).")


@app.command("import")
def import_(
    ods_code: str = typer.Argument(..., help="ODS code of the organisation."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes; save nothing."),
    as_user: str = typer.Option(
        None, "--as", help="Username recorded in the audit trail (default: gpequity-system)."
    ),
) -> None:
    """Import an edited practice workbook, all or nothing (exit 1 and no change on errors)."""
    _setup()
    from django.contrib.auth import get_user_model

    from gpequity.web.reports import services

    org = _org(ods_code)
    if as_user:
        actor = get_user_model().objects.filter(username=as_user).first()
        if actor is None:
            typer.secho(f"No user {as_user!r}.", fg="red", err=True)
            raise typer.Exit(2)
    else:
        actor = services.system_actor()
    data = file.read_bytes()
    preview = services.preview_import(org, data, actor=actor, name=file.name)
    _print_preview(preview)
    if not preview.ok:
        typer.secho("Nothing was imported.", fg="red", err=True)
        raise typer.Exit(1)
    if dry_run or not preview.changes:
        typer.echo("Dry run: nothing was saved." if dry_run else "Nothing to import.")
        return
    try:
        applied = services.apply_import(
            actor=actor,
            organisation=org,
            data=data,
            name=file.name,
            expected_fingerprint=preview.fingerprint,
        )
    except services.ImportFailed as exc:
        for issue in exc.preview.errors:
            typer.secho(f"ERROR {issue}", fg="red", err=True)
        typer.secho("Nothing was imported.", fg="red", err=True)
        raise typer.Exit(1) from None
    n = len(applied.changes)
    typer.secho(f"Imported {n} change{'s' if n != 1 else ''} into {org.ods_code}.", fg="green")


def _print_preview(preview) -> None:
    for issue in preview.errors:
        typer.secho(f"ERROR {issue}", fg="red", err=True)
    for issue in preview.warnings:
        typer.secho(f"WARNING {issue}", fg="yellow", err=True)
    for c in preview.changes:
        where = f"{c.sheet} row {c.row}" if c.row else c.sheet
        typer.echo(f"CHANGE {where}: {c.key} {c.label}: {c.before!r} -> {c.after!r}")
    if preview.ok:
        typer.echo(f"{len(preview.changes)} change(s).")
