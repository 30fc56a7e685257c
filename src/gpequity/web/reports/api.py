"""REST endpoints of the reports area (mounted on /api/orgs/ by gpequity.web.api)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router

from gpequity.web.audit.middleware import mark_download
from gpequity.web.core.apiauth import ORG_AUTH
from gpequity.web.orgs import access

from .export_json import org_export_bytes

router = Router(tags=["reports"], auth=ORG_AUTH)


@router.get(
    "/{ods_code}/export.json",
    summary="Everything the organisation entered (JSON export, schema gpequity.org-export/1)",
)
def export_json(request, ods_code: str):
    mark_download(request, "export.json")
    org = access.get_org(request.user, ods_code, access.VIEW)
    return HttpResponse(org_export_bytes(org), content_type="application/json")
