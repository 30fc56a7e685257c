"""`gpequity token create USERNAME --name NAME`: a personal API token for automation.

The token is printed once and stored only as a hash; it acts with its user's permissions.
"""

from __future__ import annotations

import datetime as dt

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("create")
def create(
    username: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option(..., "--name", help="What will use it, e.g. 'nightly export'."),
    expires: str = typer.Option(
        "", "--expires", help="The date it stops working (YYYY-MM-DD); none by default."
    ),
) -> None:
    """Create a personal API token and print it once."""
    from .org import _setup

    _setup()
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from gpequity.web.accounts import services

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        typer.secho(f"No active user {username!r}.", fg="red", err=True)
        raise typer.Exit(2)
    try:
        expires_on = dt.date.fromisoformat(expires) if expires else None
    except ValueError:
        typer.secho(f"--expires {expires!r}: use YYYY-MM-DD.", fg="red", err=True)
        raise typer.Exit(2) from None
    try:
        token, raw = services.token_create(actor=user, name=name, expires_on=expires_on)
    except ValidationError as exc:
        typer.secho(" ".join(exc.messages), fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(raw)
    typer.secho(
        f"Token {token.name!r} for {username}: shown once, keep it safe. "
        "Use it as: Authorization: Bearer <token>",
        err=True,
    )
