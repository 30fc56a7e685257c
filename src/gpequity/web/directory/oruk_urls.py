"""The public ORUK API (mounted at /oruk/)."""

from django.urls import path

from . import oruk_api

app_name = "oruk"
urlpatterns = [
    path("", oruk_api.root, name="root"),
    path("openapi.json", oruk_api.openapi, name="openapi"),
    path("services", oruk_api.services, name="services"),
    path("services/<str:oruk_id>", oruk_api.service, name="service"),
    path("service_at_locations", oruk_api.service_at_locations, name="service_at_locations"),
    path(
        "service_at_locations/<str:oruk_id>",
        oruk_api.service_at_location,
        name="service_at_location",
    ),
    path("taxonomies", oruk_api.taxonomies, name="taxonomies"),
    path("taxonomies/<str:oruk_id>", oruk_api.taxonomy, name="taxonomy"),
    path("taxonomy_terms", oruk_api.taxonomy_terms, name="taxonomy_terms"),
    path("taxonomy_terms/<str:oruk_id>", oruk_api.taxonomy_term, name="taxonomy_term"),
]
