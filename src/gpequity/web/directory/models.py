"""The directory of local services: each service is stored as its Open Referral UK document
(``document``, see gpequity.oruk and ADR 19) with a few columns derived from it for search.

A service is owned by a PCN (and shared with its practices) or by a practice. Its ORUK id is
unique within its owner's directory, so a feed imported again updates the same rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gpequity.web.orgs.models import Organisation


class Service(models.Model):
    owner = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="directory_services"
    )
    oruk_id = models.CharField("ORUK id", max_length=64)
    public = models.BooleanField(
        default=False, help_text="Published in the open ORUK feed at /oruk/."
    )
    # Derived from the document for search and lists (see services.index_columns).
    name = models.CharField(max_length=300)
    status = models.CharField(max_length=32)
    organisation_name = models.CharField(max_length=300, blank=True)
    languages_key = models.CharField(max_length=1000, blank=True)
    groups_key = models.CharField(max_length=1000, blank=True)
    routes_key = models.CharField(max_length=200, blank=True)
    terms_key = models.TextField(blank=True)
    postcodes_key = models.CharField(max_length=500, blank=True)
    minimum_age = models.IntegerField(null=True, blank=True)
    maximum_age = models.IntegerField(null=True, blank=True)
    is_free = models.BooleanField(default=False)
    hours_key = models.TextField(
        blank=True, help_text="Weekly opening times, compact, for the open-now filter."
    )
    # Checking (ORUK "assured") is kept apart from changing.
    checked_on = models.DateField(null=True, blank=True)
    checked_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField()
    changed_by = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Feed it came from.")
    version = models.PositiveIntegerField(default=1)
    # Last, so that SQLite reads the search columns without walking the document's pages.
    search_text = models.TextField(blank=True)
    document = models.JSONField(help_text="The service as an ORUK document.")

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "oruk_id"], name="directory_one_id_per_owner")
        ]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(models.Model):
    """A category (ORUK taxonomy term), shared by every directory of the installation."""

    oruk_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    taxonomy = models.CharField(max_length=300, blank=True)
    taxonomy_id = models.CharField(max_length=64, blank=True)
    parent_id = models.CharField(max_length=64, blank=True)
    term_uri = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Taxonomy(models.Model):
    oruk_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    uri = models.CharField(max_length=500, blank=True)
    version = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class ProblemReport(models.Model):
    """A "report a problem with this listing", routed to the service's owner."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="problems")
    owner = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    reported_from = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]

    def __str__(self) -> str:
        return f"Problem with {self.service}"


class ShortlistEntry(models.Model):
    """A service a user keeps on their shortlist, within one organisation's directory."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "service"], name="directory_shortlist_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} on a shortlist"
