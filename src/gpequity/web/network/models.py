"""What a practice shares with its PCN and its ICB (ADR 0026).

One row per practice, made the first time its lead saves a choice; a practice without a row
shares the defaults: progress and engagement with both, HNA results with neither. Notes,
evidence files, Focus criteria details and exact HNA figures are never shared, whatever is
chosen here: the network views read only what these switches allow, and HNA results only
after disclosure control.
"""

from __future__ import annotations

from django.db import models

from gpequity.web.orgs.models import Organisation

DEFAULTS = {
    "progress_to_pcn": True,
    "progress_to_icb": True,
    "engagement_to_pcn": True,
    "engagement_to_icb": True,
    "hna_to_pcn": False,
    "hna_to_icb": False,
}
FIELDS = tuple(DEFAULTS)


class SharingSettings(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="sharing"
    )
    progress_to_pcn = models.BooleanField(default=DEFAULTS["progress_to_pcn"])
    progress_to_icb = models.BooleanField(default=DEFAULTS["progress_to_icb"])
    engagement_to_pcn = models.BooleanField(default=DEFAULTS["engagement_to_pcn"])
    engagement_to_icb = models.BooleanField(default=DEFAULTS["engagement_to_icb"])
    hna_to_pcn = models.BooleanField(default=DEFAULTS["hna_to_pcn"])
    hna_to_icb = models.BooleanField(default=DEFAULTS["hna_to_icb"])
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "sharing settings"

    def __str__(self) -> str:
        return f"Sharing settings of {self.organisation}"

    @staticmethod
    def default_for(field: str) -> bool:
        return DEFAULTS[field]

    def as_dict(self) -> dict[str, bool]:
        return {f: getattr(self, f) for f in FIELDS}


class DisclosedFigures(models.Model):
    """What benchmarking needs of one finished run's indicator (``network.figures``): the
    rows it may show, after disclosure control, and the exact counts its statistics use
    (never shown). Derived from the run's stored rows, which never change once it finished;
    deleted with the run."""

    run = models.ForeignKey("hna.Run", on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(max_length=64)
    mean = models.BooleanField()  # disclosed as a mean (its numerator withheld)
    figures = models.JSONField()

    class Meta:
        verbose_name_plural = "disclosed figures"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "indicator", "mean"], name="network_figures_once_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"Disclosed figures of {self.indicator} in run {self.run_id}"
