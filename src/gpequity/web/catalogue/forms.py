"""Forms of the catalogue area: the search and filter form, and the staff upload form."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings

from gpequity.catalogue import all_packs, vocab
from gpequity.catalogue.schema import Pack

from .selectors import ActionFilters

ANY = ("", "Any")
ALLOWED_EXTENSIONS = (".xlsx", ".csv")


def max_upload_bytes() -> int:
    """Upload limit for a toolkit file (20 MB unless the site sets CATALOGUE_IMPORT_MAX_BYTES)."""
    return int(getattr(settings, "CATALOGUE_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


class FilterForm(forms.Form):
    """GET filters for the catalogue; every filter is optional and they combine."""

    q = forms.CharField(
        label="Search actions",
        required=False,
        max_length=200,
        help_text="Words in the code, title or summary (and the official text, when imported).",
    )
    tier = forms.ChoiceField(label="Tier", required=False)
    theme = forms.ChoiceField(label="Theme", required=False)
    group = forms.ChoiceField(label="Group it serves", required=False)
    core20plus5 = forms.ChoiceField(label="Core20PLUS5 area", required=False)
    principle = forms.ChoiceField(label="Inclusion health principle", required=False)
    effort = forms.ChoiceField(label="Effort", required=False)

    def __init__(self, *args, pack: Pack, tier_names: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [ANY] + [(t.key, tier_names[t.key]) for t in pack.tiers]
        self.fields["theme"].choices = [ANY] + [(t.key, t.name) for t in pack.themes]
        self.fields["group"].choices = [ANY, *vocab.GROUPS.items()]
        self.fields["core20plus5"].choices = [ANY, *vocab.CORE20PLUS5_AREAS.items()]
        self.fields["principle"].choices = [ANY, *vocab.INCLUSION_HEALTH_PRINCIPLES.items()]
        self.fields["effort"].choices = [ANY] + [
            (k, k.capitalize()) for k in ("low", "medium", "high")
        ]

    def filters(self) -> ActionFilters:
        """The valid filters (an invalid form filters nothing out, and shows its errors)."""
        if not self.is_valid():
            return ActionFilters()
        return ActionFilters(**{k: (v or "").strip() for k, v in self.cleaned_data.items()})


class UploadForm(forms.Form):
    """The staff upload: which framework, and the user's copy of its spreadsheet."""

    pack = forms.ChoiceField(label="Framework")
    file = forms.FileField(
        label="Your copy of the toolkit spreadsheet",
        help_text="An Excel workbook (.xlsx) or a CSV file, up to 20 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    tier = forms.ChoiceField(
        label="Tier of every row, for a CSV without an Action Tier column",
        required=False,
        help_text="Leave as it is for a workbook: each sheet is named after its tier.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        packs = all_packs()
        self.fields["pack"].choices = [(p.id, p.name) for p in packs]
        self.fields["tier"].choices = [("", "Not needed")] + [
            (t.key, f"{t.name} ({p.name})") for p in packs for t in p.tiers
        ]
        limit = max_upload_bytes()
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
        self.fields["file"].help_text = f"An Excel workbook (.xlsx) or a CSV file, up to {size}."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in ALLOWED_EXTENSIONS:
            raise forms.ValidationError(
                f"{upload.name} is not an .xlsx or .csv file; save your copy of the toolkit "
                "as an Excel workbook (.xlsx) or as CSV and upload it again"
            )
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                f"{upload.name} is {upload.size:,} bytes, over the {max_upload_bytes():,}-byte "
                "limit for a toolkit file"
            )
        if upload.size == 0:
            raise forms.ValidationError(f"{upload.name} is empty")
        return upload

    def clean(self):
        data = super().clean()
        pack_id, tier = data.get("pack"), data.get("tier")
        if pack_id and tier:
            from gpequity.catalogue import load_pack

            if tier not in {t.key for t in load_pack(pack_id).tiers}:
                self.add_error("tier", "Choose a tier of the framework you chose, or Not needed")
        return data
