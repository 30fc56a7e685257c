"""Template context shared by every page: navigation and the organisations a user can see."""

from __future__ import annotations

from django.urls import reverse


def navigation(request):
    items = [("Toolkit", reverse("catalogue:index"))]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        items.insert(0, ("My organisations", reverse("orgs:list")))
    current = request.path
    return {
        "nav_items": [
            {"label": label, "url": url, "current": current.startswith(url)} for label, url in items
        ]
    }
