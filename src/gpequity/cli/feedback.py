"""`gpequity feedback ...`: a practice's anonymous staff feedback address, and releasing
batches that are due (for a daily timer). Django is set up lazily (see ``org``)."""

from __future__ import annotations

import os

import typer

from .org import _org, _setup

app = typer.Typer(no_args_is_help=True)


@app.command("link")
def link(
    ods_code: str = typer.Argument(..., help="The practice's ODS code."),
    base_url: str = typer.Option(
        os.environ.get("GPEQUITY_BASE_URL", "http://127.0.0.1:8000"),
        help="The address people use to reach gpequity (or set GPEQUITY_BASE_URL).",
    ),
) -> None:
    """Print the practice's staff feedback address (made on first use)."""
    _setup()
    from gpequity.web.feedback import presenters, services
    from gpequity.web.orgs.models import OrgKind

    org = _org(ods_code)
    if org.kind != OrgKind.PRACTICE:
        typer.secho(f"{org.ods_code} is not a GP practice.", fg="red", err=True)
        raise typer.Exit(2)
    channel = services.channel_get_or_create(organisation=org)
    typer.echo(presenters.link_url(base_url, channel))


@app.command("release")
def release() -> None:
    """Release every practice's held feedback whose batch is due (at least k, or the longest
    wait passed with at least two). Prints how many batches went out, never their contents."""
    _setup()
    from gpequity.web.feedback import services
    from gpequity.web.feedback.models import HeldFeedback
    from gpequity.web.orgs.models import Organisation

    ids = set(HeldFeedback.objects.values_list("organisation_id", flat=True))
    batches = 0
    for org in Organisation.objects.filter(pk__in=ids):
        if services.feedback_release_due(organisation=org):
            batches += 1
    typer.echo(f"{batches} batch{'es' if batches != 1 else ''} released.")
