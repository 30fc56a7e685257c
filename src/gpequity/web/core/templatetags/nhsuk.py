"""Template helpers that render Django form fields with NHS.UK design-system markup."""

from __future__ import annotations

from django import forms, template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from gpequity.web.core.dates import NhsDateWidget, date_parts
from gpequity.web.core.nav import cached_reverse

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


class CachedURLNode(URLNode):
    """Django's ``{% url %}`` with the reversing remembered (``nav.cached_reverse``): the same
    view name and arguments give the same URL, and a table of a hundred rows reversed its
    "Change" link a hundred times at every view. Resolving the arguments, the current app,
    ``as var`` and escaping are as in Django's own node."""

    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = ""
        try:
            url = cached_reverse(view_name, tuple(args), kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
