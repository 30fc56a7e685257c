"""The NHS.UK date input: three boxes (day, month, year) for one date.

``NhsDateField`` reads ``<name>-day``, ``<name>-month`` and ``<name>-year``. It also accepts a
single ``<name>`` value (2026-03-31 or 31/03/2026), so scripts and older links keep working.
The form helper (``{% nhsuk_field %}``) renders it with the design system's markup.
"""

from __future__ import annotations

import datetime as dt

from django import forms

PARTS = ("day", "month", "year")


class NhsDateWidget(forms.Widget):
    template_name = ""  # rendered by includes/field.html, never by Django's widget templates

    def value_from_datadict(self, data, files, name):
        if name in data:
            return data.get(name)
        parts = [(data.get(f"{name}-{p}") or "").strip() for p in PARTS]
        if not any(parts):
            return ""
        day, month, year = parts
        if all(p.isdigit() for p in parts) and len(year) == 4:
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return "/".join(parts)  # not a date: the field reports it

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(f"{name}-{p}" in data for p in PARTS)

    def id_for_label(self, id_):
        return id_


class NhsDateField(forms.DateField):
    widget = NhsDateWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs["error_messages"] = {
            "invalid": "Enter a real date, for example 31 3 2026",
            **kwargs.get("error_messages", {}),
        }
        super().__init__(**kwargs)


def date_parts(bound_field) -> dict[str, str]:
    """What to show in the three boxes: what was typed, or the initial date."""
    name = bound_field.html_name
    form = bound_field.form
    if form.is_bound:
        data = form.data
        if name in data:
            value = str(data.get(name) or "")
            for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
                try:
                    d = dt.datetime.strptime(value, fmt).date()
                except ValueError:
                    continue
                return {"day": str(d.day), "month": str(d.month), "year": str(d.year)}
            return dict.fromkeys(PARTS, "")
        return {p: str(data.get(f"{name}-{p}") or "") for p in PARTS}
    value = bound_field.value()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            value = None
    if isinstance(value, dt.date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    return dict.fromkeys(PARTS, "")
