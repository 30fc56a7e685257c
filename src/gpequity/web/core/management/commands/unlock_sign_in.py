"""`gpequity manage unlock_sign_in USERNAME [--as STAFF]`: lift a sign-in lockout, audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gpequity.web.core import signin


class Command(BaseCommand):
    help = "Unlock sign-in for an account locked after too many wrong passwords."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--as", dest="as_user", help="Staff username for the audit trail.")

    def handle(self, *args, username: str, as_user: str | None = None, **options) -> None:
        actor = None
        if as_user:
            actor = get_user_model().objects.filter(username=as_user, is_staff=True).first()
            if actor is None:
                raise CommandError(f"No staff account {as_user!r}.")
        lifted = signin.unlock(actor=actor, username=username)
        if lifted:
            self.stdout.write(f"Unlocked sign-in for {username}.")
        else:
            self.stdout.write(f"{username} was not locked out.")
