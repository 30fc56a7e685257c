"""``{% feedback_counts org as counts %}`` for the practice equity report."""

from __future__ import annotations

from django import template

from gpequity.feedback import TOPICS

from ..models import Status
from ..selectors import counts

register = template.Library()


@register.simple_tag
def feedback_counts(org) -> dict:
    c = counts(org)
    return {
        "total": c["total"],
        "statuses": [(label, c["by_status"].get(value, 0)) for value, label in Status.choices],
        "topics": [
            (label, c["by_topic"][key]) for key, label in TOPICS.items() if c["by_topic"][key]
        ],
    }
