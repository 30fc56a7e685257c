"""Entry point of the ``gpequity`` command: mounts one Typer sub-app per area.

Each area lives in its own module so that it can change without touching the others.
Commands that need the web database (``org``, ``manage``, ``demo``, ``serve`` and saving a
catalogue import) set Django up lazily inside the command, so the core commands start fast
and never import Django.
"""

from __future__ import annotations

import typer

from . import catalogue, directory, feedback, hna, org, synth, web

app = typer.Typer(
    name="gpequity",
    help="gpequity: find and close health inequalities in general practice.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(catalogue.app, name="catalogue", help="Browse, import and export framework packs.")
app.add_typer(hna.app, name="hna", help="Validate an extract and run the health needs assessment.")
app.add_typer(org.app, name="org", help="Administer organisations (export, import).")
app.add_typer(
    feedback.app, name="feedback", help="Anonymous staff feedback: the address, releases."
)
app.add_typer(directory.app, name="directory", help="Import and export Open Referral UK feeds.")
app.command("synth")(synth.synth)
web.register(app)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
