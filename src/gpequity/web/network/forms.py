"""The sharing settings form: what the PCN may see, what the ICB may see."""

from __future__ import annotations

from django import forms

from gpequity.web.orgs import access

from .models import FIELDS

CHOICES = [
    (access.PROGRESS, "Progress"),
    (access.ENGAGEMENT, "Engagement summaries"),
    (access.HNA, "Health needs assessment results"),
]
HINTS = {
    access.PROGRESS: "Where you are on each action, the tier you have reached, and your plan "
    "items' titles, status, dates and measures.",
    access.ENGAGEMENT: "How many engagement activities you ran and how far people took part "
    "(done to, for or with them).",
    access.HNA: "Your latest needs assessment's indicators, with counts from 1 to 7 hidden and "
    "other counts rounded to the nearest 5.",
}


class SharingForm(forms.Form):
    pcn = forms.MultipleChoiceField(
        choices=CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    icb = forms.MultipleChoiceField(
        choices=CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    @staticmethod
    def initial_from(settings) -> dict:
        return {
            "pcn": [w for w, _ in CHOICES if getattr(settings, f"{w}_to_pcn")],
            "icb": [w for w, _ in CHOICES if getattr(settings, f"{w}_to_icb")],
            "version": settings.version,
        }

    def switches(self) -> dict[str, bool]:
        """Every sharing switch, from the ticked boxes."""
        out = {}
        for field in FIELDS:
            what, audience = field.split("_to_")
            out[field] = what in self.cleaned_data[audience]
        return out
