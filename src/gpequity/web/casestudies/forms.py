"""Forms of the case-study area: the editor, the library filters, review and notes."""

from __future__ import annotations

from django import forms

from gpequity.casestudies import checklist, costs
from gpequity.catalogue import vocab
from gpequity.catalogue.schema import Pack

from .models import Engagement, Region, Setting

NEEDED = "Needed before you send it for review."


class NeededToSend:
    """A field a draft may leave empty but sending for review needs (the services check
    it then), so its label does not say "optional"."""

    def __init__(self, *args, **kwargs):
        kwargs["required"] = True
        super().__init__(*args, **kwargs)

    def validate(self, value):
        if value in self.empty_values or value is False:
            return
        super().validate(value)


class NeededCharField(NeededToSend, forms.CharField):
    pass


class NeededChoiceField(NeededToSend, forms.ChoiceField):
    pass


class NeededBooleanField(NeededToSend, forms.BooleanField):
    pass


def _md(label: str, help_text: str = "", rows: int = 6, needed: bool = False):
    hint = "You can use Markdown: **bold**, *italic*, lists starting with - and links."
    if needed:
        help_text = f"{NEEDED} {help_text}".strip()
    return (NeededCharField if needed else forms.CharField)(
        label=label,
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=f"{help_text} {hint}".strip(),
    )


def action_choices(pack: Pack) -> list[tuple[str, str]]:
    return [(a.key, f"{a.code}: {a.title}" if a.code else a.title) for a in pack.actions]


class CaseStudyForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="Say what you did in a few words, for example: Evening clinics for shift workers",
    )
    action_1 = NeededChoiceField(label="Main toolkit action", help_text=NEEDED)
    action_2 = forms.ChoiceField(label="Another toolkit action", required=False)
    action_3 = forms.ChoiceField(label="A third toolkit action", required=False)
    other_organisations = forms.CharField(
        label="Other organisations involved",
        required=False,
        max_length=300,
        help_text="For example your Primary Care Network or a local charity",
    )
    region = forms.ChoiceField(
        label="NHS England region", required=False, choices=[("", "Not given")] + Region.choices
    )
    icb_name = forms.CharField(label="Integrated Care Board", required=False, max_length=200)
    setting = forms.ChoiceField(
        label="Setting", required=False, choices=[("", "Not given")] + Setting.choices
    )
    groups = forms.MultipleChoiceField(
        label="Groups served",
        required=False,
        choices=list(vocab.GROUPS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    core20plus5 = forms.MultipleChoiceField(
        label="Core20PLUS5 clinical areas",
        required=False,
        choices=list(vocab.CORE20PLUS5_AREAS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    problem = _md("The problem and why it mattered", needed=True)
    what_was_done = _md("What you did", needed=True)
    partners = _md("Partners", "Who worked with you, and what each did.", rows=3)
    engagement_level = forms.ChoiceField(
        label="How far was the community involved?",
        required=False,
        choices=Engagement.choices,
        widget=forms.RadioSelect,
    )
    community_involvement = _md("How the community was involved", rows=4)
    cost_amount = forms.DecimalField(
        label="Extra cost in pounds",
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text="Money spent beyond normal running costs. Enter 0 if there was none.",
    )
    funding = _md("How it was funded", rows=3)
    staff_time = forms.CharField(
        label="Staff time",
        required=False,
        max_length=300,
        help_text="For example: 2 hours a week of a care coordinator",
    )
    duration = forms.CharField(
        label="How long it took", required=False, max_length=200, help_text="For example 9 months"
    )
    measure = forms.CharField(label="Measure", required=False, max_length=300)
    unit = forms.CharField(
        label="Unit", required=False, max_length=20, help_text="For example % or patients"
    )
    baseline_value = forms.DecimalField(
        label="Baseline value", required=False, max_digits=12, decimal_places=3
    )
    outcome_value = forms.DecimalField(
        label="Latest value", required=False, max_digits=12, decimal_places=3
    )
    baseline = _md("Where things started", rows=3)
    outcomes = _md("What changed", "Or give the latest value of the measure above.", needed=True)
    cycles = _md("Plan-do-study-act cycles", rows=4)
    evaluated = forms.BooleanField(label="The work was evaluated", required=False)
    evaluation = _md("How it was evaluated", "Even an informal check counts.", rows=4)
    evaluated_by = forms.CharField(
        label="Evaluated by",
        required=False,
        max_length=200,
        help_text="For example: the practice team, or the local university",
    )
    key_learning = _md("Key learning")
    to_repeat = _md("What another practice would need to do the same")
    contact_opt_in = forms.BooleanField(
        label="Show a contact so other practices can ask us about this", required=False
    )
    contact_name = forms.CharField(label="Contact name", required=False, max_length=150)
    contact_email = forms.EmailField(label="Contact email", required=False)
    sponsorship = forms.CharField(
        label="Sponsorship",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Declare any money, goods or help from a company. Write None if there was none.",
    )
    consent_to_publish = forms.BooleanField(
        label="Our organisation agrees to publish this case study once it has been reviewed",
        required=False,
    )

    def __init__(self, *args, pack: Pack, **kwargs):
        super().__init__(*args, **kwargs)
        choices = action_choices(pack)
        self.fields["action_1"].choices = [("", "Choose an action")] + choices
        self.fields["action_2"].choices = [("", "None")] + choices
        self.fields["action_3"].choices = [("", "None")] + choices

    def clean(self):
        data = super().clean()
        if data.get("contact_opt_in") and not data.get("contact_email"):
            self.add_error("contact_email", "Enter a contact email address, or untick the box")
        return data

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version")
        keys = [data.pop(f"action_{i}") for i in (1, 2, 3)]
        data["action_keys"] = list(dict.fromkeys(k for k in keys if k))
        return data

    @staticmethod
    def initial_for(case) -> dict:
        keys = list(case.action_keys or []) + ["", "", ""]
        from .services import EDITABLE_FIELDS

        initial = {f: getattr(case, f) for f in EDITABLE_FIELDS if f != "action_keys"}
        initial.update(version=case.version, action_1=keys[0], action_2=keys[1], action_3=keys[2])
        return initial


class FilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    action = forms.ChoiceField(label="Toolkit action", required=False)
    theme = forms.ChoiceField(label="Theme", required=False)
    tier = forms.ChoiceField(label="Tier", required=False)
    group = forms.ChoiceField(
        label="Group served", required=False, choices=[("", "Any")] + list(vocab.GROUPS.items())
    )
    region = forms.ChoiceField(
        label="Region", required=False, choices=[("", "Any")] + Region.choices
    )
    cost_band = forms.ChoiceField(
        label="Cost", required=False, choices=[("", "Any")] + list(costs.BANDS.items())
    )
    evaluated = forms.ChoiceField(
        label="Evaluated",
        required=False,
        choices=[("", "Either"), ("yes", "Evaluated"), ("no", "Not evaluated")],
    )

    def __init__(self, *args, pack: Pack, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any")] + action_choices(pack)
        self.fields["theme"].choices = [("", "Any")] + [(t.key, t.name) for t in pack.themes]
        self.fields["tier"].choices = [("", "Any")] + [(t.key, t.name) for t in pack.tiers]


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Add a note",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen only by your organisation and the reviewers.",
    )


class ReviewForm(forms.Form):
    checks = forms.MultipleChoiceField(
        label="Checklist",
        required=False,
        choices=[(c.key, c.question) for c in checklist.CHECKLIST],
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick each check the case study meets. All are needed to publish.",
    )
    note = forms.CharField(
        label="Note to the author",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you ask for changes. Seen only by the organisation and "
        "reviewers, never published.",
    )
