"""`gpequity org ...`: administer organisations from the command line (create, add-member,
list, export, import).

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


class Kind(StrEnum):
    practice = "practice"
    pcn = "pcn"
    icb = "icb"


def _actor(as_user: str | None):
    from django.contrib.auth import get_user_model

    from gpequity.web.reports import services

    if not as_user:
        return services.system_actor()
    actor = get_user_model().objects.filter(username=as_user).first()
    if actor is None:
        typer.secho(f"No user {as_user!r}.", fg="red", err=True)
        raise typer.Exit(2)
    if not actor.is_staff:
        typer.secho(f"{as_user!r} is not site staff.", fg="red", err=True)
        raise typer.Exit(2)
    return actor


AS_USER = typer.Option(
    None, "--as", help="Staff username recorded in the audit trail (default: gpequity-system)."
)


@app.command("create")
def create(
    ods_code: str = typer.Argument(..., help="ODS code of the new organisation."),
    name: str = typer.Option(..., "--name", help="Its name."),
    kind: Kind = typer.Option(..., "--kind", help="practice, pcn or icb"),
    parent: str = typer.Option("", "--parent", help="ODS code of its PCN (or a PCN's ICB)."),
    as_user: str = AS_USER,
) -> None:
    """Create a practice, PCN or ICB (the ODS code is checked for shape and uniqueness)."""
    _setup()
    from django.core.exceptions import ValidationError

    from gpequity.web.orgs import services

    try:
        org = services.organisation_add(
            actor=_actor(as_user),
            kind=kind.value,
            ods_code=ods_code,
            name=name,
            parent_ods_code=parent,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                typer.secho(f"{field}: {message}", fg="red", err=True)
        typer.secho("Nothing was created.", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.secho(f"Created {org.get_kind_display()} {org.name} ({org.ods_code}).", fg="green")
    typer.echo(
        f"Invite its lead: .venv/bin/gpequity org add-member {org.ods_code} EMAIL "
        f"--role {services.LEAD_ROLE[org.kind].value}"
    )


@app.command("add-member")
def add_member(
    ods_code: str = typer.Argument(..., help="ODS code of the organisation."),
    email: str = typer.Argument(..., help="Their email address."),
    role: str = typer.Option(
        ...,
        "--role",
        help="equity_lead, member or viewer (practice); network_lead (PCN); "
        "analyst (ICB); viewer anywhere.",
    ),
    base_url: str = typer.Option(
        "http://127.0.0.1:8000/", "--base-url", help="Address of the site, for the link."
    ),
    as_user: str = AS_USER,
) -> None:
    """Give an existing account a role, or email an invitation to a new address."""
    _setup()
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from gpequity.web.orgs import services

    org = _org(ods_code)
    try:
        validate_email(email)
        outcome, _ = services.member_add(
            actor=_actor(as_user), organisation=org, email=email, role=role, base_url=base_url
        )
    except ValidationError as exc:
        typer.secho(" ".join(exc.messages), fg="red", err=True)
        raise typer.Exit(1) from None
    if outcome == "invited":
        typer.secho(f"Invitation emailed to {email} to join {org.name} as {role}.", fg="green")
    else:
        typer.secho(f"{email} now has the role {role} at {org.name}.", fg="green")


@app.command("load")
def load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file; save nothing."),
    as_user: str = AS_USER,
) -> None:
    """Create many organisations from a CSV file (ods_code, name, kind, parent_ods_code),
    all or nothing."""
    _setup()
    from gpequity.web.orgs import services

    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        typer.secho(f"{file}: not UTF-8 text (byte {exc.start + 1}).", fg="red", err=True)
        raise typer.Exit(1) from None
    rows, problems = services.organisations_preview(text)
    for p in problems:
        typer.secho(f"ERROR {file.name} {p}", fg="red", err=True)
    if problems:
        typer.secho("Nothing was loaded.", fg="red", err=True)
        raise typer.Exit(1)
    for r in rows:
        typer.echo(f"CREATE line {r.line}: {r.kind} {r.ods_code} {r.name}")
    if dry_run:
        typer.echo("Dry run: nothing was saved.")
        return
    created = services.organisations_import(actor=_actor(as_user), text=text)
    typer.secho(f"Loaded {len(created)} organisation(s).", fg="green")


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
