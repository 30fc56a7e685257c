"""Forms of the action plan: the item editor, PDSA cycles, measurements, list filters."""

from __future__ import annotations

from django import forms

from gpequity.catalogue import vocab
from gpequity.web.core.dates import NhsDateField

from .models import Status


class DateField(NhsDateField):
    """A date in the NHS date input (day, month, year); also 2026-03-31 or 31/03/2026."""


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class PlanItemForm(forms.Form):
    title = forms.CharField(label="Title", max_length=300)
    owner = OwnerChoiceField(
        label="Owner",
        queryset=None,
        required=False,
        empty_label="No owner yet",
        help_text="The person who leads this action. They can update it and record progress.",
    )
    start_date = DateField(label="Start date", required=False)
    due_date = DateField(label="Due date", required=False)
    objective = forms.CharField(
        label="Objective",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="Make it SMART: specific, measurable, achievable, relevant and time-bound. "
        "For example: raise recorded ethnicity from 62% to 80% of registered patients by March.",
    )
    measure_indicator = forms.ChoiceField(
        label="Measure from the health needs assessment",
        required=False,
        choices=[("", "None: describe the measure below")] + list(vocab.INDICATORS.items()),
    )
    measure_text = forms.CharField(label="Or describe the measure", required=False, max_length=300)
    baseline = forms.DecimalField(label="Baseline", required=False, max_digits=12, decimal_places=3)
    target = forms.DecimalField(label="Target", required=False, max_digits=12, decimal_places=3)
    unit = forms.CharField(
        label="Unit", required=False, max_length=20, help_text="For example % or patients"
    )
    status = forms.ChoiceField(label="Status", choices=Status.choices, widget=forms.RadioSelect)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners

    def clean(self):
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", "The due date must be on or after the start date")
        return data


class CycleForm(forms.Form):
    plan = forms.CharField(
        label="Plan: what will you try, and what do you expect to happen?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Say what you planned to try"},
    )
    do = forms.CharField(
        label="Do: what did you do?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    study = forms.CharField(
        label="Study: what did you learn?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    act = forms.CharField(
        label="Act: what did you decide to do next?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    started_on = DateField(label="Started on", required=False)
    completed_on = DateField(label="Completed on", required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("started_on"), data.get("completed_on")
        if start and end and end < start:
            self.add_error("completed_on", "The completion date must be on or after the start")
        return data


class MeasurementForm(forms.Form):
    measured_on = DateField(
        label="Date measured", error_messages={"required": "Enter the date of the measurement"}
    )
    value = forms.DecimalField(
        label="Value",
        max_digits=12,
        decimal_places=3,
        error_messages={"required": "Enter the value", "invalid": "Enter a number, like 42.5"},
    )
    note = forms.CharField(label="Note", required=False, max_length=300)


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status")] + list(Status.choices)
    )
    owner = forms.ChoiceField(label="Owner", required=False)
    when = forms.ChoiceField(
        label="Due",
        required=False,
        choices=[("", "Any time"), ("overdue", "Overdue"), ("due_soon", "Due in 14 days")],
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Anyone"), ("none", "No owner")] + [
            (str(u.pk), u.get_full_name() or u.get_username()) for u in owners
        ]


class ChooseActionForm(forms.Form):
    action = forms.ChoiceField(label="Action", error_messages={"required": "Choose an action"})

    def __init__(self, *args, pack, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Choose an action")] + [
            (a.key, f"{a.code}: {a.title}") for a in pack.actions
        ]
