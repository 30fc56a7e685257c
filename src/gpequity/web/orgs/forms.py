from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password

from .models import ROLES_FOR_KIND, OrgKind


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(label="Role", widget=forms.RadioSelect)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (r.value, r.label) for r in ROLES_FOR_KIND[OrgKind(organisation.kind)]
        ]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Your full name", max_length=150)
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput,
        help_text="At least 8 characters, not a common password.",
    )

    def clean_password(self):
        value = self.cleaned_data["password"]
        validate_password(value)
        return value
