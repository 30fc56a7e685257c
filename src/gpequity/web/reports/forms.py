"""Forms of the reports area."""

from __future__ import annotations

from django import forms

from . import xlsx


class ImportForm(forms.Form):
    workbook = forms.FileField(
        label="Practice workbook (.xlsx)",
        help_text=(
            "Upload a workbook exported from this page, after editing Status, Notes or the plan "
            f"columns. Up to {xlsx.MAX_BYTES // (1024 * 1024)} MB. You will see every change "
            "before anything is saved."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        error_messages={"required": "Choose the workbook to upload"},
    )
