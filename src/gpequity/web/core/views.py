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


def api_docs(request):
    """The API reference as an NHS.UK page, built from the OpenAPI document."""
    from gpequity.web.api import api

    schema = api.get_openapi_schema(path_prefix="/api/")
    groups: dict[str, list[dict]] = {}
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            params = [
                {
                    "name": p["name"],
                    "where": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            groups.setdefault((op.get("tags") or ["other"])[0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "auth": bool(op.get("security")),
                }
            )
    return render(
        request,
        "core/api_docs.html",
        {"schema": schema, "groups": sorted(groups.items())},
    )


def healthz(request):
    return JsonResponse({"status": "ok"})
