"""Help pages written for a practice: open to everyone, no organisation data."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

PAGES = {
    "tiers": "What the tiers mean",
    "hna": "Running a health needs assessment",
    "glossary": "Words we use",
    "sharing": "How sharing works",
}


def index(request):
    return render(request, "help/index.html", {"pages": PAGES})


def page(request, slug: str):
    if slug not in PAGES:
        raise Http404("No such help page")
    return render(
        request,
        f"help/{slug}.html",
        {"title": PAGES[slug], "breadcrumbs": [("Help", "/help/")]},
    )
