"""Template helpers that render Django form fields with NHS.UK design-system markup."""

from __future__ import annotations

from django import forms, template
from django.template.loader import render_to_string

from gpequity.web.core.dates import NhsDateWidget, date_parts

register = template.Library()


def _kind(field) -> str:
    widget = field.field.widget
    if isinstance(widget, NhsDateWidget):
        return "nhsdate"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    if isinstance(widget, forms.DateInput):
        return "date"
    return "input"


@register.simple_tag
def nhsuk_field(field, label_size: str = "", width: str = ""):
    """Render one bound field: label, hint, error message and control, NHS.UK style."""
    kind = _kind(field)
    ctx = {"field": field, "kind": kind, "label_size": label_size, "width": width}
    if kind == "nhsdate":
        ctx["parts"] = date_parts(field)
    return render_to_string("includes/field.html", ctx)


@register.simple_tag
def nhsuk_form(form):
    """Render every visible field of a form in order, hidden fields first."""
    return render_to_string("includes/form_fields.html", {"form": form})


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def percent(value, digits: int = 0):
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(digits)}f}%"
