"""Forms of the assessment area. They only parse input; the services hold the rules."""

from __future__ import annotations

from django import forms
from django.utils.timezone import localtime

from . import uploads
from .models import Status
from .services import NOTES_MAX, TEXT_MAX

STATUS_HELP = {
    Status.NOT_STARTED: "Nothing done yet.",
    Status.PLANNED: "Agreed to do it, with someone to lead it.",
    Status.IN_PROGRESS: "Work has started but is not finished.",
    Status.IN_PLACE: "Done and working now.",
    Status.EMBEDDED: "Part of routine practice, reviewed and sustained.",
}


class AssessmentForm(forms.Form):
    """Status, notes and new evidence for one action, saved together."""

    status = forms.ChoiceField(
        label="Where is the practice on this action?",
        choices=Status.choices,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label="Notes",
        help_text="What has been done, by whom, and what is still to do.",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    evidence_text = forms.CharField(
        label="Written evidence",
        help_text="For example, what changed and when it was agreed.",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence_url = forms.CharField(
        label="Link to evidence",
        help_text="A full web address, for example https://intranet.example.nhs.uk/policy",
        required=False,
        max_length=500,
    )
    upload = forms.FileField(
        label="Upload a file",
        help_text=(
            f"{uploads.ALLOWED_HINT}, up to {uploads.max_bytes() // (1024 * 1024)} MB. "
            "Do not upload anything that identifies a patient."
        ),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT_ATTR}),
    )


class SnapshotForm(forms.Form):
    name = forms.CharField(
        label="Name of the snapshot",
        help_text="For example, “Annual review 2025”.",
        max_length=120,
    )


class CompareForm(forms.Form):
    a = forms.ChoiceField(label="Earlier snapshot")
    b = forms.ChoiceField(label="Later snapshot")

    def __init__(self, *args, snapshots=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(s.pk), f"{s.name} ({localtime(s.taken_at):%d %b %Y})") for s in snapshots]
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices
