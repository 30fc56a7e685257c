"""Site-wide pages: home, about, accessibility statement, health check."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from gpequity.web.orgs.access import visible_organisations


def home(request):
    orgs = visible_organisations(request.user) if request.user.is_authenticated else []
    return render(request, "core/home.html", {"organisations": orgs})


def about(request):
    return render(request, "core/about.html")


def accessibility(request):
    return render(request, "core/accessibility.html")


def healthz(request):
    return JsonResponse({"status": "ok"})
