"""E-mail each plan item owner their overdue and due-soon items, one message per practice.

Run daily or weekly from cron: ``python -m django send_plan_digest [--days 14] [--dry-run]``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.management.base import BaseCommand

from gpequity.web.plans import selectors
from gpequity.web.plans.models import OPEN_STATUSES, PlanItem


def digest_messages(*, days: int, today: dt.date, base_url: str = "") -> list[EmailMessage]:
    """One message per (owner, organisation) that has anything overdue or due soon."""
    horizon = today + dt.timedelta(days=days)
    items = (
        PlanItem.objects.filter(
            status__in=OPEN_STATUSES,
            owner__isnull=False,
            owner__is_active=True,
            due_date__isnull=False,
            due_date__lte=horizon,
        )
        .exclude(owner__email="")
        .select_related("owner", "organisation")
        .order_by("organisation__name", "owner_id", "due_date", "id")
    )
    grouped: dict[tuple[int, int], list[PlanItem]] = defaultdict(list)
    for item in items:
        grouped[(item.owner_id, item.organisation_id)].append(item)
    out = []
    for group in grouped.values():
        owner, org = group[0].owner, group[0].organisation
        overdue = [i for i in group if i.due_date < today]
        soon = [i for i in group if i.due_date >= today]
        out.append(
            EmailMessage(
                subject=f"{org.name}: {len(overdue)} overdue, {len(soon)} due soon in your "
                "action plan",
                body=_body(owner, org, overdue, soon, days, base_url),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[owner.email],
            )
        )
    return out


def _body(owner, org, overdue, soon, days: int, base_url: str) -> str:
    name = owner.get_full_name() or owner.get_username()
    lines = [f"Hello {name},", "", f"Your actions in the {org.name} action plan:", ""]
    for heading, items in (("Overdue", overdue), (f"Due in the next {days} days", soon)):
        if not items:
            continue
        lines.append(f"{heading}:")
        for i in items:
            url = f"{base_url.rstrip('/')}/orgs/{org.ods_code}/plan/{i.pk}/"
            lines.append(f"- {i.title} (due {i.due_date:%d %B %Y}) {url}")
        lines.append("")
    lines.append(f"All your actions: {base_url.rstrip('/')}/orgs/{org.ods_code}/plan/mine/")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "E-mail plan item owners a digest of their overdue and due-soon actions."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=selectors.DUE_SOON_DAYS)
        parser.add_argument("--dry-run", action="store_true", help="List, do not send.")
        parser.add_argument(
            "--base-url",
            default=getattr(settings, "GPEQUITY_BASE_URL", ""),
            help="Site address for links, e.g. https://gpequity.example.org",
        )

    def handle(self, *args, days: int, dry_run: bool, base_url: str, **options):
        mails = digest_messages(days=days, today=selectors.today(), base_url=base_url)
        for mail in mails:
            self.stdout.write(
                f"{'Would send' if dry_run else 'Sending'} to {mail.to[0]}: {mail.subject}"
            )
        if not dry_run and mails:
            with get_connection() as connection:
                connection.send_messages(mails)
        self.stdout.write(f"{len(mails)} digest(s) {'prepared' if dry_run else 'sent'}.")
