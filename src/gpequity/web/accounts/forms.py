from __future__ import annotations

from django import forms

from gpequity.web.core.dates import NhsDateField

from .models import Frequency


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, so you can tell your tokens apart. "
        "For example: ICB dashboard script.",
        error_messages={"required": "Give the token a name, such as what will use it"},
    )
    expires_on = NhsDateField(
        label="Expiry date",
        required=False,
        help_text="The token stops working on this day. Leave empty for no expiry.",
    )


class ReminderForm(forms.Form):
    frequency = forms.ChoiceField(
        label="How often should we email you about your plan actions that are overdue or due soon?",
        choices=Frequency.choices,
        widget=forms.RadioSelect,
    )
    days_ahead = forms.IntegerField(
        label="Count an action as due soon when it is due within this many days",
        min_value=1,
        max_value=90,
        error_messages={"required": "Enter a number of days from 1 to 90"},
    )
