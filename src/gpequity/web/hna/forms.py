"""Forms of the HNA area: the upload (NHS.UK file upload and date input)."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.utils import timezone

FOCUS_SAVED, FOCUS_NONE, FOCUS_CUSTOM = "saved", "none", "custom"


class RunForm(forms.Form):
    """The as-of date (day, month, year), the Focus choice and the drop choice. The files
    themselves are streamed by ``uploads.PrivateUploadHandler`` and checked there."""

    as_of_day = forms.CharField(required=False, max_length=2)
    as_of_month = forms.CharField(required=False, max_length=2)
    as_of_year = forms.CharField(required=False, max_length=4)
    focus = forms.ChoiceField(
        choices=[
            (FOCUS_SAVED, "The practice's saved Focus group"),
            (FOCUS_NONE, "No Focus group for this run"),
            (FOCUS_CUSTOM, "Other criteria for this run (JSON)"),
        ],
        initial=FOCUS_SAVED,
        required=False,
    )
    focus_json = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    drop_bad_rows = forms.BooleanField(required=False)

    def __init__(self, *args, has_saved_focus: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        if not self.is_bound:
            self.initial.update(
                as_of_day=str(today.day), as_of_month=str(today.month), as_of_year=str(today.year)
            )
            if not has_saved_focus:
                self.initial["focus"] = FOCUS_NONE
        self.has_saved_focus = has_saved_focus

    def clean(self):
        data = super().clean()
        parts = [data.get(f"as_of_{p}", "").strip() for p in ("day", "month", "year")]
        if not all(parts):
            self.add_error(
                "as_of_day", "Enter the date the extract was taken, with a day, month and year"
            )
        else:
            try:
                when = dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                self.add_error(
                    "as_of_day", "The as-of date must be a real date, for example 31 3 2026"
                )
            else:
                if when > timezone.localdate():
                    self.add_error("as_of_day", "The as-of date must be today or in the past")
                elif when.year < 2000:
                    self.add_error("as_of_day", "The as-of date must be in 2000 or later")
                else:
                    data["as_of"] = when
        choice = data.get("focus") or FOCUS_SAVED
        data["focus_criteria"] = None
        if choice == FOCUS_CUSTOM:
            text = data.get("focus_json", "").strip()
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                self.add_error(
                    "focus_json",
                    f"The criteria are not valid JSON (line {exc.lineno}, column {exc.colno}: "
                    f"{exc.msg})",
                )
            else:
                if not isinstance(parsed, dict):
                    self.add_error("focus_json", 'The criteria must be one group: {"any": [...]}')
                else:
                    data["focus_criteria"] = parsed
        data["focus_choice"] = choice
        return data
