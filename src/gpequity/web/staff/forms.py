"""Forms of the staff area: one organisation, or a CSV file of many."""

from __future__ import annotations

from django import forms

from gpequity import ods
from gpequity.web.orgs import services
from gpequity.web.orgs.models import OrgKind

MAX_CSV_BYTES = 2 * 1024 * 1024


class OrganisationForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of organisation is it?", choices=OrgKind.choices, widget=forms.RadioSelect
    )
    ods_code = forms.CharField(
        label="ODS code",
        max_length=12,
        help_text="A practice's code is a letter then 5 digits (A81001), a PCN's is U then "
        "5 digits (U12345), an ICB's is Q then 2 letters or digits (QHG).",
    )
    name = forms.CharField(label="Name", max_length=ods.MAX_NAME)
    parent = forms.CharField(
        label="ODS code of the organisation above it",
        max_length=12,
        required=False,
        help_text="For a practice, its PCN. For a PCN, its ICB. Leave empty for an ICB.",
    )
    lead_email = forms.EmailField(
        label="Email address of its first lead",
        required=False,
        help_text="We will email them an invitation to join as the lead (equity lead for a "
        "practice, network lead for a PCN, analyst for an ICB). They can invite everyone else.",
    )

    def clean(self):
        data = super().clean()
        if self.errors.get("kind"):
            return data
        problems = services.organisation_problems(
            kind=data.get("kind", ""),
            ods_code=data.get("ods_code", ""),
            name=data.get("name", "") or "",
            parent_ods_code=data.get("parent", "") or "",
        )
        for field, message in problems.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data


class OrganisationsFileForm(forms.Form):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="Columns: ods_code, name, kind (practice, pcn or icb), parent_ods_code.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        raw = f.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"The file is not UTF-8 text (byte {exc.start + 1}): save it as CSV UTF-8."
            ) from None
        return {"name": f.name, "text": text}
