"""The demo: a fresh SQLite database with the toolkit, a synthetic PCN and a worked example
of every capability, built through the same services the pages use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections, transaction

from gpequity.web.orgs import services as org_services
from gpequity.web.orgs.models import OrgKind, Role

DEMO_PASSWORD = "demo-equity-2026"
PRACTICE_ODS = "Y99001"


@dataclass
class DemoInfo:
    practice_ods: str = PRACTICE_ODS
    users: list[tuple[str, str]] = field(default_factory=list)  # (username, what they are)

    def sign_in_lines(self) -> list[str]:
        lines = [f"Password for every demo account: {DEMO_PASSWORD}"]
        lines += [f"Sign in as {u:<22} ({what})" for u, what in self.users]
        return lines


def _reset_database() -> None:
    db = settings.DATABASES["default"]
    connections.close_all()
    if db["ENGINE"].endswith("sqlite3"):
        from pathlib import Path

        path = Path(db["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        call_command("flush", interactive=False, verbosity=0)


def build_demo(*, reset: bool = True, echo: Callable[[str], None] = print) -> DemoInfo:
    if reset:
        _reset_database()
    echo("Creating the database ...")
    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        info = _organisations_and_people()
    for step in DEMO_STEPS:
        echo(step.__doc__.strip().splitlines()[0])
        with transaction.atomic():
            step(info)
    return info


def _organisations_and_people() -> DemoInfo:
    User = get_user_model()
    icb = org_services.organisation_create(
        kind=OrgKind.ICB, ods_code="QZZ", name="Demo Integrated Care Board"
    )
    pcn = org_services.organisation_create(
        kind=OrgKind.PCN, ods_code="U99001", name="Riverside Primary Care Network", parent=icb
    )
    practice = org_services.organisation_create(
        kind=OrgKind.PRACTICE, ods_code=PRACTICE_ODS, name="Riverside Health Centre", parent=pcn
    )
    org_services.organisation_create(
        kind=OrgKind.PRACTICE, ods_code="Y99002", name="Hillview Surgery", parent=pcn
    )
    info = DemoInfo()
    people = [
        ("lead", "Asha", "Patel", practice, Role.EQUITY_LEAD, "equity lead, Riverside"),
        ("nurse", "Tom", "Okafor", practice, Role.MEMBER, "team member, Riverside"),
        ("manager", "Gill", "Evans", practice, Role.MEMBER, "team member, Riverside"),
        ("partner", "Ruth", "Hughes", practice, Role.VIEWER, "viewer, Riverside"),
        ("pcnlead", "Sam", "Byrne", pcn, Role.NETWORK_LEAD, "network lead, Riverside PCN"),
        ("analyst", "Lee", "Chen", icb, Role.ANALYST, "analyst, Demo ICB"),
    ]
    for username, first, last, org, role, what in people:
        user = User.objects.create_user(
            username=username,
            email=f"{username}@demo.gpequity.invalid",
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
        )
        org_services.membership_set(user=user, organisation=org, role=role)
        info.users.append((username, what))
    User.objects.create_user(
        username="admin",
        email="admin@demo.gpequity.invalid",
        password=DEMO_PASSWORD,
        first_name="Site",
        last_name="Admin",
        is_staff=True,
    )
    info.users.append(("admin", "site staff: can import the official toolkit"))
    return info


# Later steps add the worked examples; each docstring's first line is printed as progress.
DEMO_STEPS: list[Callable[[DemoInfo], None]] = []
