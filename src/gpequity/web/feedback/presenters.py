"""Shaping feedback for the practice's pages: labels, the role rule, the QR code."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.urls import reverse

from gpequity.feedback import ROLES, TOPICS

from .models import Channel, Feedback, Status


def breadcrumbs(org, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(org.name, f"/orgs/{org.ods_code}/"), *extra]


def inbox_crumb(org) -> tuple[str, str]:
    return ("Staff feedback", reverse("feedback:inbox", args=[org.ods_code]))


@dataclass
class Row:
    item: Feedback

    @property
    def topic(self) -> str:
        return TOPICS.get(self.item.topic, self.item.topic)

    @property
    def role(self) -> str:
        """The coarse role, only ever present when its whole batch kept roles (ADR 22)."""
        return ROLES.get(self.item.role, "")

    @property
    def status_tag(self) -> str:
        return {
            Status.NEW: "nhsuk-tag--blue",
            Status.ACKNOWLEDGED: "nhsuk-tag--yellow",
            Status.ACTED_ON: "nhsuk-tag--green",
            Status.CLOSED: "nhsuk-tag--grey",
        }[self.item.status]

    @property
    def replies(self) -> int:
        return sum(1 for m in self.item.messages.all() if m.from_practice)

    @property
    def answers(self) -> int:
        return sum(1 for m in self.item.messages.all() if not m.from_practice)


def batches(items) -> list[dict]:
    """Items grouped by release (newest first), as the lead sees them."""
    out: dict = {}
    for item in items:
        out.setdefault((item.released_week, item.batch), []).append(Row(item))
    return [
        {"week": week, "batch": batch, "rows": rows}
        for (week, batch), rows in sorted(out.items(), key=lambda kv: kv[0][0], reverse=True)
    ]


def link_url(request_or_base, channel: Channel) -> str:
    path = reverse("staff_feedback:write", args=[channel.link_token])
    if isinstance(request_or_base, str):
        return request_or_base.rstrip("/") + path
    return request_or_base.build_absolute_uri(path)


def qr_svg(url: str, *, title: str) -> str:
    """An inline SVG QR code (segno), with a title for screen readers."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=6, border=4, dark="#212b32", light="#ffffff", title=title)
    return svg.replace("<svg ", '<svg role="img" aria-label="' + title + '" focusable="false" ', 1)
