"""Denials, exports and downloads in the audit trail (issue 22), from one place.

Every file the app hands out (the reports' CSV, XLSX, JSON and PDF, evidence, Focus criteria,
case studies, the toolkit, directory and engagement exports, HNA results and report PDFs)
leaves as an attachment; the API's exports (the organisation's JSON export, an HNA run's
results tables, the network's shared results) answer with plain JSON and say so with
``mark_download`` instead. The access layer answers a signed-in person who may not see
something with 403 or 404. This middleware records both for signed-in people (the session
or an API token), once per response:

- ``download`` / ``downloaded``: the route's name, the file's name and the path;
- ``access`` / ``denied``: the status, the method and the path.

Only the path is kept, never the query string or the body, and paths carry no patient data
(DATA.md). The organisation is the one named in the address, when it exists. An address that
matches no route (a typo) is not a denial and is not recorded.
"""

from __future__ import annotations

import logging
import re

from django.db import DatabaseError, transaction

from .services import audit_record

logger = logging.getLogger(__name__)
_FILENAME = re.compile(r'filename="?([^";]+)"?')
DENIED = (403, 404)
_MARK = "_gpequity_download"


def mark_download(request, filename: str) -> None:
    """Say that this request's answer is an export (data taken away, though not sent as an
    attachment: the API's JSON exports), so a successful answer is audited as a download.
    ``tests/web/test_export_audit.py`` finds any export left unmarked."""
    setattr(request, _MARK, filename)


def _organisation(request):
    match = getattr(request, "resolver_match", None)
    code = match.kwargs.get("ods_code") if match else None
    if not code:
        return None
    from gpequity.web.orgs.models import Organisation

    return Organisation.objects.filter(ods_code=str(code)[:16]).first()


class AccessAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        match = getattr(request, "resolver_match", None)
        if match is None:
            return response
        disposition = response.get("Content-Disposition", "")
        marked = getattr(request, _MARK, None)
        if response.status_code == 200 and (marked or disposition.startswith("attachment")):
            found = _FILENAME.search(disposition)
            self._record(
                request,
                user,
                entity="download",
                entity_id=match.view_name,
                verb="downloaded",
                note=f"{found.group(1) if found else marked} from {request.path}",
            )
        elif response.status_code in DENIED:
            self._record(
                request,
                user,
                entity="access",
                entity_id=match.view_name,
                verb="denied",
                note=f"{response.status_code} {request.method} {request.path}",
            )
        return response

    @staticmethod
    def _record(request, user, **fields) -> None:
        try:
            with transaction.atomic():
                audit_record(actor=user, organisation=_organisation(request), **fields)
        except DatabaseError:  # the trail must not turn a download into a server error
            logger.exception("could not audit %s", fields.get("verb"))
