"""Forms of the directory: search filters, a service, a problem report, an import."""

from __future__ import annotations

import re

from django import forms

from gpequity.catalogue import vocab
from gpequity.oruk.records import ACCESS_ROUTES, DAY_NAMES, DAYS, STATUSES, language_name

GROUP_CHOICES = [(k, v) for k, v in vocab.GROUPS.items() if k not in ("staff", "focus_patients")]
TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="A need, a name or a word, for example 'debt' or 'carers'.",
    )
    need = forms.ChoiceField(label="Need", required=False)
    group = forms.ChoiceField(
        label="Who it is for", required=False, choices=[("", "Anyone")] + GROUP_CHOICES
    )
    language = forms.ChoiceField(label="Language", required=False)
    route = forms.ChoiceField(
        label="How to get it",
        required=False,
        choices=[("", "Any way")] + list(ACCESS_ROUTES.items()),
    )
    postcode = forms.CharField(
        label="Postcode area", required=False, max_length=10, help_text="For example LS6 or LS"
    )
    free = forms.BooleanField(label="Free only", required=False)
    open_now = forms.BooleanField(label="Open now", required=False)
    stale = forms.ChoiceField(
        label="When last checked",
        required=False,
        choices=[
            ("", "Any time"),
            ("due", "Not checked for 6 months or more"),
            ("stale", "Not checked for 12 months or more"),
        ],
    )

    def __init__(self, *args, terms=(), languages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [("", "Any need")] + [(t.oruk_id, t.name) for t in terms]
        self.fields["language"].choices = [("", "Any language")] + sorted(
            ((c, language_name(c)) for c in languages), key=lambda x: x[1]
        )


def _hours_fields():
    out = {}
    for code in DAYS:
        name = DAY_NAMES[code]
        out[f"opens_{code}"] = forms.CharField(
            label=f"{name} opens", required=False, max_length=5, help_text="For example 09:00"
        )
        out[f"closes_{code}"] = forms.CharField(
            label=f"{name} closes", required=False, max_length=5, help_text="For example 17:30"
        )
    return out


class ServiceForm(forms.Form):
    name = forms.CharField(label="Service name", max_length=300)
    provider = forms.CharField(label="Organisation providing it", max_length=300)
    description = forms.CharField(
        label="What it offers", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    status = forms.ChoiceField(
        label="Status", choices=list(STATUSES.items()), widget=forms.RadioSelect, initial="active"
    )
    routes = forms.MultipleChoiceField(
        label="How people get it",
        required=False,
        choices=list(ACCESS_ROUTES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    application_process = forms.CharField(
        label="How to refer or get in touch",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The steps, in words: who to call, what to send.",
    )
    referral_form_url = forms.URLField(
        label="Referral form (web address)", required=False, assume_scheme="https"
    )
    minimum_age = forms.IntegerField(
        label="Youngest age", required=False, min_value=0, max_value=130
    )
    maximum_age = forms.IntegerField(label="Oldest age", required=False, min_value=0, max_value=130)
    eligibility = forms.CharField(
        label="Who can use it, in words",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    groups = forms.MultipleChoiceField(
        label="Groups it is for",
        required=False,
        choices=GROUP_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    free = forms.ChoiceField(
        label="Cost",
        choices=[("yes", "Free"), ("no", "There is a cost")],
        widget=forms.RadioSelect,
        initial="yes",
    )
    fees = forms.CharField(
        label="What it costs",
        required=False,
        max_length=500,
        help_text="Only if there is a cost, for example '£3 a session'.",
    )
    languages = forms.CharField(
        label="Languages",
        required=False,
        max_length=300,
        help_text="Language codes separated by commas, for example en, pa, ur, pl.",
    )
    wait_time = forms.CharField(label="Typical wait", required=False, max_length=200)
    phone = forms.CharField(label="Phone", required=False, max_length=50)
    email = forms.EmailField(label="Email", required=False)
    url = forms.URLField(label="Website", required=False, assume_scheme="https")
    location_name = forms.CharField(label="Place name", required=False, max_length=300)
    address_1 = forms.CharField(label="Address", required=False, max_length=300)
    city = forms.CharField(label="Town or city", required=False, max_length=100)
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)
    online = forms.BooleanField(label="Also online or by phone", required=False)
    accessibility = forms.CharField(
        label="Accessibility",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Step-free access, hearing loop, quiet room...",
    )
    terms = forms.MultipleChoiceField(
        label="Needs it helps with", required=False, widget=forms.CheckboxSelectMultiple
    )
    toolkit_actions = forms.CharField(
        label="Toolkit actions it supports",
        required=False,
        max_length=200,
        help_text="Action keys separated by commas, e.g. NET_01",
    )
    alert = forms.CharField(label="Notice to show", required=False, max_length=500)
    public = forms.BooleanField(
        label="Publish in the open ORUK feed",
        required=False,
        help_text="Other services and tools can then read it.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_hours_fields())
        self.fields["terms"].choices = [(t.oruk_id, t.name) for t in terms]

    def hours(self):
        return [(DAY_NAMES[c], self[f"opens_{c}"], self[f"closes_{c}"]) for c in DAYS]

    def clean_languages(self):
        codes = [c.strip().lower() for c in self.cleaned_data["languages"].split(",") if c.strip()]
        bad = [c for c in codes if not re.fullmatch(r"[a-z]{2,3}", c)]
        if bad:
            raise forms.ValidationError(
                f"'{bad[0]}' is not a language code: use 2 or 3 letters, like pa for Punjabi"
            )
        return codes

    def clean_toolkit_actions(self):
        keys = [k.strip() for k in self.cleaned_data["toolkit_actions"].split(",") if k.strip()]
        bad = [k for k in keys if not re.fullmatch(r"[A-Za-z]+_\d+", k)]
        if bad:
            raise forms.ValidationError(f"'{bad[0]}' is not an action key like NET_01")
        return keys

    def clean(self):
        data = super().clean()
        for code in DAYS:
            o, c = f"opens_{code}", f"closes_{code}"
            opens, closes = data.get(o, "").strip(), data.get(c, "").strip()
            for key, value in ((o, opens), (c, closes)):
                if value and not TIME.match(value):
                    self.add_error(key, f"'{value}' is not a time: use 24-hour time like 09:00")
            if bool(opens) != bool(closes):
                self.add_error(c if opens else o, f"Give both times for {DAY_NAMES[code]}")
            elif opens and closes and TIME.match(opens) and TIME.match(closes):
                if _hhmm(closes) <= _hhmm(opens):
                    self.add_error(c, f"{DAY_NAMES[code]} must close after it opens")
        lo, hi = data.get("minimum_age"), data.get("maximum_age")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("maximum_age", "The oldest age must not be below the youngest")
        return data


def _hhmm(text: str) -> str:
    m = TIME.match(text.strip())
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else text


class ProblemForm(forms.Form):
    description = forms.CharField(
        label="What is wrong with this listing?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For example a phone number that no longer works, or new opening times. "
        "Do not include anything about a patient.",
    )


class CloseProblemForm(forms.Form):
    resolution = forms.CharField(label="What did you do?", required=False, max_length=2000)


class ImportForm(forms.Form):
    feed = forms.FileField(
        label="ORUK file or organisation export",
        help_text="A service or a page of services (.json), the CSV data package as a .zip, "
        "or a JSON export of an organisation from gpequity.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.zip"}),
    )
