"""The public, read-only Open Referral UK API at /oruk/ (HSDS-UK 3.0).

Key-less and open to any origin (``Access-Control-Allow-Origin: *``); it serves only the
services their owners mark public. Responses follow the standard's OpenAPI description
(``gpequity/oruk/data/schema/openapi.json``, served unchanged at /oruk/openapi.json) and
validate against its compiled schemas (tests/web/directory/test_oruk_api.py crawls them).
Optional fields without a value are left out; our extension properties are listed in
ADR 19 and ``gpequity.oruk.records.EXTENSIONS``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from gpequity.oruk import VERSION, from_oruk, page_envelope, to_list_item
from gpequity.oruk.records import EXTENSIONS

from .models import Service, Taxonomy, TaxonomyTerm
from .selectors import public_services

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
PROFILE = "https://openreferral.org/uk-profile/"  # where the profile is described


def _json(data: Any, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, json_dumps_params={"ensure_ascii": False}, safe=False
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status: int, message: str) -> JsonResponse:
    return _json({"error": message}, status=status)


class BadParameter(Exception):
    pass


def _int(request, name: str, default: int | None, low: int = 0) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(float(raw)) if name.endswith("_age") else int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a number, not {raw[:40]!r}") from None
    if value < low:
        raise BadParameter(f"{name} must be at least {low}")
    return value


def _paging(request) -> tuple[int, int]:
    page = _int(request, "page", 1, low=1)
    per_page = min(_int(request, "per_page", DEFAULT_PER_PAGE, low=1), MAX_PER_PAGE)
    return page, per_page


def _page(items_qs, request, shape) -> JsonResponse:
    try:
        page, per_page = _paging(request)
    except BadParameter as exc:
        return _error(400, str(exc))
    total = len(items_qs) if isinstance(items_qs, list) else items_qs.count()
    start = (page - 1) * per_page
    chunk = list(items_qs[start : start + per_page])
    return _json(
        page_envelope([shape(x) for x in chunk], total=total, page=page, per_page=per_page)
    )


@require_GET
def root(request):
    return _json(
        {
            "version": VERSION,
            "profile": PROFILE,
            "openapi_url": request.build_absolute_uri("/oruk/openapi.json"),
            "gpequity_extensions": EXTENSIONS,
        }
    )


@require_GET
def openapi(request):
    text = (resources.files("gpequity.oruk") / "data" / "schema" / "openapi.json").read_bytes()
    response = HttpResponse(text, content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _filtered_services(request):
    qs = public_services()
    for word in request.GET.get("search", "").lower().split()[:8]:
        qs = qs.filter(search_text__contains=word)
    term = request.GET.get("taxonomy_term_id", "").strip()
    if term:
        qs = qs.filter(terms_key__contains=f"|{term}|")
    taxonomy = request.GET.get("taxonomy_id", "").strip()
    if taxonomy:
        ids = TaxonomyTerm.objects.filter(taxonomy_id=taxonomy).values_list("oruk_id", flat=True)
        cond = Q(pk__in=[])
        for tid in ids:
            cond |= Q(terms_key__contains=f"|{tid}|")
        qs = qs.filter(cond)
    minimum = _int(request, "minimum_age", None)
    if minimum is not None:
        qs = qs.filter(minimum_age__gte=minimum)
    maximum = _int(request, "maximum_age", None)
    if maximum is not None:
        qs = qs.filter(maximum_age__lte=maximum)
    return qs


@require_GET
def services(request):
    try:
        qs = _filtered_services(request)
    except BadParameter as exc:
        return _error(400, str(exc))
    return _page(qs.only("pk", "document"), request, lambda s: to_list_item(from_oruk(s.document)))


def _service(oruk_id: str) -> Service | None:
    return public_services().filter(oruk_id=oruk_id).first()


@require_GET
def service(request, oruk_id: str):
    s = _service(oruk_id)
    if s is None:
        return _error(404, "No public service with this id")
    return _json(s.document)


def _sal_rows() -> list[tuple[Service, dict]]:
    rows = []
    for s in public_services().only("pk", "document"):
        for sal in s.document.get("service_at_locations") or []:
            rows.append((s, sal))
    return rows


def _sal_doc(s: Service, sal: dict, *, full: bool) -> dict:
    location = dict(sal.get("location") or {})
    if not full:
        location = {k: v for k, v in location.items() if not isinstance(v, list)}
    out = {"id": sal["id"], "service_id": s.oruk_id}
    if location.get("id"):
        out["location_id"] = location["id"]
    if location:
        out["location"] = location
    out["service"] = s.document if full else to_list_item(from_oruk(s.document))
    return out


@require_GET
def service_at_locations(request):
    rows = _sal_rows()
    for word in request.GET.get("search", "").lower().split()[:8]:
        rows = [r for r in rows if word in r[0].search_text]
    return _page(rows, request, lambda r: _sal_doc(*r, full=False))


@require_GET
def service_at_location(request, oruk_id: str):
    for s, sal in _sal_rows():
        if sal.get("id") == oruk_id:
            return _json(_sal_doc(s, sal, full=True))
    return _error(404, "No public service at location with this id")


def _public_term_ids() -> set[str]:
    used: set[str] = set()
    for key in public_services().values_list("terms_key", flat=True):
        used.update(k for k in key.split("|") if k)
    return used


def _term_doc(t: TaxonomyTerm) -> dict:
    doc = {
        "id": t.oruk_id,
        "name": t.name,
        "description": t.description or t.name,
        "parent_id": t.parent_id,
        "taxonomy": t.taxonomy,
        "taxonomy_id": t.taxonomy_id,
        "term_uri": t.term_uri,
    }
    return {k: v for k, v in doc.items() if v}


def _taxonomy_doc(t: Taxonomy, *, terms: bool = False) -> dict:
    doc = {
        "id": t.oruk_id,
        "name": t.name,
        "description": t.description or t.name,
        "uri": t.uri,
        "version": t.version,
    }
    if terms:
        used = _public_term_ids()
        doc["taxonomy_terms"] = [
            _term_doc(x)
            for x in TaxonomyTerm.objects.filter(taxonomy_id=t.oruk_id, oruk_id__in=used)
        ]
    return {k: v for k, v in doc.items() if v}


def _public_terms():
    return TaxonomyTerm.objects.filter(oruk_id__in=_public_term_ids()).order_by("name", "pk")


def _public_taxonomies():
    ids = set(_public_terms().values_list("taxonomy_id", flat=True))
    return Taxonomy.objects.filter(oruk_id__in=ids).order_by("name", "pk")


@require_GET
def taxonomies(request):
    return _page(_public_taxonomies(), request, _taxonomy_doc)


@require_GET
def taxonomy(request, oruk_id: str):
    t = _public_taxonomies().filter(oruk_id=oruk_id).first()
    if t is None:
        return _error(404, "No taxonomy with this id")
    return _json(_taxonomy_doc(t, terms=True))


@require_GET
def taxonomy_terms(request):
    qs = _public_terms()
    taxonomy_id = request.GET.get("taxonomy_id", "").strip()
    if taxonomy_id:
        qs = qs.filter(taxonomy_id=taxonomy_id)
    return _page(qs, request, _term_doc)


@require_GET
def taxonomy_term(request, oruk_id: str):
    t = _public_terms().filter(oruk_id=oruk_id).first()
    if t is None:
        return _error(404, "No taxonomy term with this id")
    return _json(_term_doc(t))
