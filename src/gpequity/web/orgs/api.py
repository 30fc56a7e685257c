"""REST endpoints for organisations the signed-in user can see."""

from __future__ import annotations

from ninja import Router, Schema

from gpequity.web.core.apiauth import ORG_AUTH

from . import access

router = Router(tags=["organisations"], auth=ORG_AUTH)


class OrgOut(Schema):
    ods_code: str
    name: str
    kind: str
    parent: str | None
    role: str | None


@router.get("", response=list[OrgOut], summary="Organisations you can see")
def list_orgs(request):
    return [
        OrgOut(
            ods_code=o.ods_code,
            name=o.name,
            kind=o.kind,
            parent=o.parent.ods_code if o.parent_id else None,
            role=access.role_at(request.user, o),
        )
        for o in access.visible_organisations(request.user).select_related("parent")
    ]


@router.get("/{ods_code}", response=OrgOut, summary="One organisation")
def get_org(request, ods_code: str):
    o = access.get_org(request.user, ods_code, access.VIEW)
    return OrgOut(
        ods_code=o.ods_code,
        name=o.name,
        kind=o.kind,
        parent=o.parent.ods_code if o.parent_id else None,
        role=access.role_at(request.user, o),
    )
