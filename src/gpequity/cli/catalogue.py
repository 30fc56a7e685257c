"""`gpequity catalogue ...` commands: browse, import and export framework packs.

Everything here runs on the core catalogue without Django, except storing an import
(``import`` without ``--dry-run``), which sets Django up lazily in :func:`save_import`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from gpequity.catalogue.importer import ImportResult
    from gpequity.catalogue.schema import Action, Pack

# The catalogue (pydantic schema, packs, importer) is imported inside the commands that use
# it: every `gpequity ...` command loads this module, and the catalogue costs about 0.2 s,
# a tenth of a small practice's `gpequity hna run`. Same value as
# gpequity.catalogue.DEFAULT_PACK (a test holds them together).
DEFAULT_PACK = "rcgp-fairer-practice"

app = typer.Typer(no_args_is_help=True)


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    json = "json"


PackOpt = Annotated[str, typer.Option("--pack", "-p", help="Framework pack id.")]


def _console() -> Console:
    # Wide enough that tables are not squeezed when output is captured or piped.
    return Console(width=max(120, Console().width), soft_wrap=False)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def _pack(pack_id: str) -> Pack:
    from gpequity.catalogue.packs import load_pack

    try:
        return load_pack(pack_id)
    except KeyError as exc:
        raise _fail(str(exc.args[0])) from None


def _resolve(pack: Pack, value: str, what: str) -> str:
    """A tier or theme given by key or name, case-insensitively, as its key."""
    from gpequity.catalogue.importer import norm

    items = pack.tiers if what == "tier" else pack.themes
    for item in items:
        if norm(value) in (norm(item.key), norm(item.name)):
            return item.key
    choices = ", ".join(f"{i.key} ({i.name})" for i in items)
    raise _fail(f"unknown {what} {value!r}; choose from {choices}")


def _find_action(pack: Pack, ref: str) -> Action:
    """An action by key, or by published code when that code is unique."""
    from gpequity.catalogue.importer import norm

    for action in pack.actions:
        if action.key == ref.strip().lower():
            return action
    same = [a for a in pack.actions if a.code and norm(a.code) == norm(ref)]
    if len(same) == 1:
        return same[0]
    if same:
        keys = ", ".join(a.key for a in same)
        raise _fail(f"code {ref!r} is used by several actions ({keys}); give the key")
    raise _fail(f"no action {ref!r} in pack {pack.id!r}; see `.venv/bin/gpequity catalogue list`")


@app.command("packs")
def packs_cmd() -> None:
    """List the framework packs available."""
    from gpequity.catalogue.packs import all_packs

    table = Table("id", "name", "publisher", "version", "tiers", "actions")
    for pack in all_packs():
        cells = (pack.id, pack.name, pack.publisher, pack.version, len(pack.tiers))
        table.add_row(*(escape(str(c)) for c in (*cells, len(pack.actions))))
    _console().print(table)


@app.command("list")
def list_cmd(
    pack_id: PackOpt = DEFAULT_PACK,
    tier: Annotated[str | None, typer.Option(help="Tier key or name.")] = None,
    theme: Annotated[str | None, typer.Option(help="Theme key or name.")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
) -> None:
    """List actions, optionally filtered by tier and theme."""
    from gpequity.catalogue.export import pack_records

    pack = _pack(pack_id)
    tier_key = _resolve(pack, tier, "tier") if tier else None
    theme_key = _resolve(pack, theme, "theme") if theme else None
    keys = {a.key for a in pack.actions_in(tier=tier_key, theme=theme_key)}
    records = [r for r in pack_records(pack) if r["key"] in keys]
    if fmt is ListFormat.json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif fmt is ListFormat.csv:
        typer.echo(_csv_text(records), nl=False)
    else:
        table = Table("key", "code", "title", "theme", "tier", "effort", title=escape(pack.name))
        for r in records:
            cells = (r["key"], r["code"] or "-", r["title"], r["theme"], r["tier"], r["effort"])
            table.add_row(*(escape(str(c)) for c in cells))  # text, not Rich markup
        console = _console()
        console.print(table)
        console.print(f"{len(records)} action(s). {escape(pack.attribution)}")


def _csv_text(records: list[dict[str, Any]]) -> str:
    from gpequity.catalogue.export import FIELDS
    from gpequity.spreadsheets import csv_cell

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow(
            {k: csv_cell(";".join(v) if isinstance(v, list) else v) for k, v in r.items()}
        )
    return buf.getvalue()


@app.command("show")
def show_cmd(
    key: Annotated[str, typer.Argument(help="Action key (or its code, when unique).")],
    pack_id: PackOpt = DEFAULT_PACK,
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.text,
) -> None:
    """Show one action: code, theme, tier, summary and tags."""
    from gpequity.catalogue.export import pack_records

    pack = _pack(pack_id)
    action = _find_action(pack, key)
    record = next(r for r in pack_records(pack) if r["key"] == action.key)
    if fmt is ShowFormat.json:
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    lines = [
        f"{record['title']}",
        f"  key: {record['key']}   code: {record['code'] or '(none)'}",
        f"  theme: {record['theme']}   tier: {record['tier']}   effort: {record['effort']}",
        "",
        f"  {record['summary']}",
        "",
    ]
    for name in ("principles", "core20plus5", "groups", "indicators"):
        if record[name]:
            lines.append(f"  {name}: {', '.join(record[name])}")
    shared = [a.key for a in pack.actions if a.code and a.code == action.code and a != action]
    if shared:
        lines.append(f"  note: code {action.code} is also used by {', '.join(shared)}")
    lines.append(f"\n  {pack.attribution}")
    typer.echo("\n".join(lines))


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="Your copy of the toolkit (.xlsx or .csv).")],
    pack_id: PackOpt = DEFAULT_PACK,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report only; store nothing.")
    ] = False,
    tier: Annotated[
        str | None, typer.Option(help="Tier of rows with no tier column (e.g. a one-tier CSV).")
    ] = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.text,
) -> None:
    """Import the official text from your copy of the toolkit and report what was found."""
    from gpequity.catalogue.importer import read_official

    pack = _pack(pack_id)
    result = read_official(file, pack, default_tier=tier)
    if fmt is ShowFormat.json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(result, pack))
    if result.errors:
        raise typer.Exit(1)
    if not dry_run:
        stored = save_import(result, pack.id)
        if fmt is ShowFormat.text:
            typer.echo(f"Stored: {stored}")


def format_report(result: ImportResult, pack: Pack) -> str:
    """Human-readable import report: totals, then each problem with where it is."""
    from gpequity.catalogue.importer import iter_issues

    lines = [f"{result.source_name}: read {result.rows_read} action row(s)"]
    if result.errors:
        lines.append("Import failed; nothing was imported.")
    else:
        lines.append(f"Matched {result.matched} of {len(pack.actions)} actions in {pack.name}.")
        for key, name in result.tier_names.items():
            lines.append(f"Tier {pack.tier(key).name!r} is called {name!r} in this file.")
    for label, issue in iter_issues(result):
        lines.append(f"  {label}: {issue}")
    if not result.errors:
        lines.append(f"{len(result.warnings)} warning(s).")
    return "\n".join(lines)


def save_import(result: ImportResult, pack_id: str = DEFAULT_PACK) -> Any:
    """Store a successful import in the web database (Django set up only here, lazily)."""
    from gpequity.cli.web import django_setup

    try:
        django_setup()
        from django.core.exceptions import ValidationError

        from gpequity.web.catalogue.services import import_official_text
    except ImportError as exc:
        raise _fail(
            f"cannot store the import: the web application is not available ({exc}); "
            "use --dry-run to check the file only"
        ) from None
    try:
        stored = import_official_text(result=result, user=None, pack_id=pack_id)
    except ValidationError as exc:
        raise _fail("; ".join(exc.messages)) from None
    return f"version {stored.version} of {pack_id}"


@app.command("export")
def export_cmd(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.json,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file.")] = None,
    pack_id: PackOpt = DEFAULT_PACK,
    official: Annotated[
        Path | None,
        typer.Option(help="Also include the official text from your copy of the toolkit."),
    ] = None,
) -> None:
    """Export the pack (xlsx needs --out; json and csv go to stdout without it)."""
    from gpequity.catalogue.export import export_pack
    from gpequity.catalogue.importer import read_official

    pack = _pack(pack_id)
    entries = None
    if official is not None:
        result = read_official(official, pack)
        if result.errors:
            typer.echo(format_report(result, pack), err=True)
            raise typer.Exit(1)
        entries = result.entries
    if out is None:
        if fmt is ExportFormat.xlsx:
            raise _fail("an xlsx export needs --out FILE")
        buf = io.BytesIO()
        export_pack(pack, fmt.value, buf, official=entries)
        text = buf.getvalue().decode("utf-8").removeprefix("\ufeff")
        typer.echo(text, nl=False)
        return
    export_pack(pack, fmt.value, out, official=entries)
    typer.echo(f"Wrote {len(pack.actions)} actions to {out}", err=True)


if __name__ == "__main__":  # pragma: no cover
    app(sys.argv[1:])
