"""Forms of the engagement area. Free-text fields people might put names into say not to."""

from __future__ import annotations

from django import forms

from gpequity import engagement as eg
from gpequity.catalogue import vocab
from gpequity.web.plans.forms import DateField, MeasurementForm, OwnerChoiceField

__all__ = [
    "ActivityForm",
    "CloseLoopForm",
    "EvaluationPlanForm",
    "IndicatorForm",
    "InsightForm",
    "MeasurementForm",
    "PartnerForm",
    "ReachForm",
    "ResponseForm",
    "ReviewForm",
]

NO_NAMES = eg.NO_NAMES_HINT


def _area(label: str, *, hint: str = "", rows: int = 3, required: bool = False, **kw):
    return forms.CharField(
        label=label,
        required=required,
        help_text=hint,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kw,
    )


class PlanItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.title


class PlanItemsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj) -> str:
        return obj.title


class ActivityForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Enter a title for the activity"},
        help_text="For example: Coffee morning on the new booking system",
    )
    start_date = DateField(
        label="Start date", error_messages={"required": "Enter the date the activity started"}
    )
    end_date = DateField(label="End date", required=False, help_text="Leave empty for one day")
    purpose = _area("Purpose", hint="What you wanted to learn or change. " + NO_NAMES)
    level = forms.ChoiceField(
        label="Level of participation",
        choices=[(k, f"{v}: {eg.LEVEL_HINTS[k]}") for k, v in eg.LEVELS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the level of participation"},
    )
    band_override = forms.ChoiceField(
        label="Band",
        required=False,
        choices=[("", "Use the band that goes with the level")]
        + [(k, f"{v}: {eg.BAND_HINTS[k]}") for k, v in eg.BANDS.items()],
        widget=forms.RadioSelect,
        help_text="Inform is done to people; consult and involve are done for them; "
        "collaborate and co-produce are done with them. Choose another band only if it fits "
        "better, and say why.",
    )
    band_override_reason = forms.CharField(
        label="Why a different band", required=False, max_length=300
    )
    stages = forms.MultipleChoiceField(
        label="Stages people were involved in",
        required=False,
        choices=list(eg.STAGES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    methods = forms.MultipleChoiceField(
        label="Methods",
        required=False,
        choices=list(eg.METHODS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    method_other = forms.CharField(label="Other method", required=False, max_length=200)
    partners = forms.ModelMultipleChoiceField(
        label="Partners",
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Add organisations to your partner list from the engagement log page.",
    )
    accessibility = forms.MultipleChoiceField(
        label="Accessibility adjustments",
        required=False,
        choices=list(eg.ACCESSIBILITY.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    interpreter_languages = forms.CharField(
        label="Interpreter languages",
        required=False,
        max_length=300,
        help_text="For example: Polish, Bengali",
    )
    accessibility_notes = forms.CharField(
        label="Other adjustments", required=False, max_length=300, help_text=NO_NAMES
    )
    payment = forms.ChoiceField(
        label="Payments or expenses offered to participants",
        choices=list(eg.PAYMENTS.items()),
        widget=forms.RadioSelect,
        initial="none",
    )
    payment_notes = forms.CharField(label="About the payment", required=False, max_length=300)
    community_led = forms.BooleanField(
        label="The community led this activity",
        required=False,
        help_text="People from the community started it or ran it, not the practice.",
    )
    hours = forms.DecimalField(
        label="Hours spent with people",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text="The length of the activity, for example 2.5",
        error_messages={"invalid": "Enter a number of hours, like 2.5"},
    )
    action_codes = forms.CharField(
        label="Toolkit actions",
        required=False,
        max_length=500,
        help_text="Action codes separated by commas, for example ACC_01, HNA_01",
    )
    indicator_ids = forms.MultipleChoiceField(
        label="Health needs assessment indicators",
        required=False,
        choices=list(vocab.INDICATORS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    plan_items = PlanItemsField(label="Plan items", required=False, queryset=None)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, partners, plan_items, pack, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = partners
        self.fields["plan_items"].queryset = plan_items
        self.pack = pack

    def clean_action_codes(self) -> list[str]:
        by_code = {}
        for a in self.pack.actions:
            by_code[a.key.lower()] = a.key
            if a.code:
                by_code[a.code.lower()] = a.key
        keys = []
        for part in self.cleaned_data["action_codes"].replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if part.lower() not in by_code:
                raise forms.ValidationError(f"There is no toolkit action with the code '{part}'")
            keys.append(by_code[part.lower()])
        return keys

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be on or after the start date")
        level, override = data.get("level"), data.get("band_override")
        if level and override and override != eg.LEVEL_BAND[level]:
            if not (data.get("band_override_reason") or "").strip():
                self.add_error(
                    "band_override_reason", "Say why this activity is in a different band"
                )
        return data

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["action_keys"] = data.pop("action_codes")
        data.pop("version", None)
        return data


class ReachForm(forms.Form):
    group = forms.ChoiceField(label="Group", error_messages={"required": "Choose a group"})
    language = forms.CharField(
        label="Language",
        required=False,
        max_length=60,
        help_text="Only when the group is a main language, for example Polish",
    )
    count = forms.IntegerField(
        label="People reached",
        min_value=0,
        error_messages={"required": "Enter how many people", "invalid": "Enter a whole number"},
        help_text="A count only. " + NO_NAMES,
    )
    target = forms.IntegerField(
        label="Target", required=False, min_value=0, help_text="How many you aimed to reach"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a group")]
        for grouping, label in eg.GROUPINGS.items():
            if grouping == "language":
                choices.append(("language:", f"{label} (type the language below)"))
                continue
            for key, glabel in eg.GROUPS[grouping].items():
                text = glabel if grouping in ("focus_group", "core20") else f"{label}: {glabel}"
                choices.append((f"{grouping}:{key}", text))
        self.fields["group"].choices = choices

    def clean(self):
        data = super().clean()
        value = data.get("group") or ""
        grouping, _, group = value.partition(":")
        if grouping == "language":
            group = (data.get("language") or "").strip()
            if not group:
                self.add_error("language", "Type the language")
        data["grouping"], data["group_key"] = grouping, group
        return data


class ReviewForm(forms.Form):
    went_well = _area("What went well", hint=NO_NAMES)
    do_differently = _area("What to do differently next time", hint=NO_NAMES)
    reviewed_on = DateField(
        label="Date of the review", error_messages={"required": "Enter the date"}
    )

    def clean(self):
        data = super().clean()
        if (
            not (data.get("went_well") or "").strip()
            and not (data.get("do_differently") or "").strip()
        ):
            self.add_error("went_well", "Say what went well or what you would do differently")
        return data


class PartnerForm(forms.Form):
    name = forms.CharField(
        label="Partner organisation",
        max_length=200,
        error_messages={"required": "Enter the partner's name"},
        help_text="An organisation, not a person.",
    )
    kind = forms.ChoiceField(
        label="Kind of organisation",
        choices=list(eg.PARTNER_KINDS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of organisation this is"},
    )


class InsightForm(forms.Form):
    theme = forms.CharField(
        label="What people said",
        max_length=200,
        error_messages={"required": "Say what people raised"},
        help_text="The theme in a few words, for example: Phone queue at 8am is too long",
    )
    detail = _area("More detail", hint=NO_NAMES)
    times_raised = forms.IntegerField(
        label="How many times it came up",
        min_value=1,
        initial=1,
        error_messages={"required": "Enter how many times", "invalid": "Enter a whole number"},
    )
    raised_on = DateField(
        label="Date raised", error_messages={"required": "Enter when it was raised"}
    )
    activity = forms.ModelChoiceField(
        label="Activity where it was raised",
        required=False,
        queryset=None,
        empty_label="Not from a logged activity",
    )
    owner = OwnerChoiceField(
        label="Who will respond", required=False, queryset=None, empty_label="No one yet"
    )
    due_date = DateField(label="Respond by", required=False)

    def __init__(self, *args, activities, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities
        self.fields["owner"].queryset = owners

    def clean(self):
        data = super().clean()
        raised, due = data.get("raised_on"), data.get("due_date")
        if raised and due and due < raised:
            self.add_error("due_date", "The due date must be on or after the date raised")
        return data


class ResponseForm(forms.Form):
    response = forms.ChoiceField(
        label="Your response",
        choices=list(eg.RESPONSES.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you will act on this"},
    )
    response_reason = _area(
        "Why you cannot act on it, or on all of it",
        hint="Needed when you can act on only part of it or not at all.",
    )
    responded_on = DateField(
        label="Date of the response", error_messages={"required": "Enter the date of the response"}
    )
    plan_item = PlanItemChoiceField(
        label="Plan item", required=False, queryset=None, empty_label="Not in the action plan"
    )
    action_taken = _area("What was done", hint=NO_NAMES)
    difference_made = _area("What changed as a result", hint=NO_NAMES)

    def __init__(self, *args, plan_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan_item"].queryset = plan_items

    def clean(self):
        data = super().clean()
        if (
            data.get("response") in ("partly", "cannot_act")
            and not (data.get("response_reason") or "").strip()
        ):
            self.add_error("response_reason", "Say why you cannot act on this, or on all of it")
        return data


class CloseLoopForm(forms.Form):
    loop_closed_on = DateField(
        label="Date you told people", error_messages={"required": "Enter when you told people"}
    )
    loop_methods = forms.MultipleChoiceField(
        label="How you told people",
        choices=list(eg.LOOP_METHODS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose how you told people"},
    )
    loop_notes = forms.CharField(label="Notes", required=False, max_length=300, help_text=NO_NAMES)


class EvaluationPlanForm(forms.Form):
    title = forms.CharField(
        label="Piece of work",
        max_length=200,
        error_messages={"required": "Say what piece of work this plan evaluates"},
        help_text="For example: Health checks with the Bengali community",
    )
    activities = forms.ModelMultipleChoiceField(
        label="Activities this plan covers",
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    plan_item = PlanItemChoiceField(
        label="Plan item", required=False, queryset=None, empty_label="Not linked to the plan"
    )
    inputs = _area("Inputs", hint="Staff time, money, rooms, partners")
    activities_text = _area("Activities", hint="What you will do")
    outputs = _area("Outputs", hint="What you will count: sessions held, people reached")
    outcomes_short = _area("Short-term outcomes", hint="Changes in weeks or months")
    outcomes_medium = _area("Medium-term outcomes", hint="Changes within a year or two")
    outcomes_long = _area("Long-term outcomes")
    impact = _area("Impact", hint="The difference to health and to inequalities")
    assumptions = _area("Assumptions", hint="What must be true for this to work")
    external_factors = _area("External factors", hint="Things outside your control")
    community_involved = forms.BooleanField(
        label="People from the community take part in the evaluation", required=False
    )
    community_role = _area("Their part in the evaluation", hint=NO_NAMES)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, activities, plan_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activities"].queryset = activities
        self.fields["plan_item"].queryset = plan_items


class IndicatorForm(forms.Form):
    name = forms.CharField(
        label="Indicator", max_length=200, error_messages={"required": "Name the indicator"}
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=[
            ("process", "Process: what you did"),
            ("outcome", "Outcome: what changed"),
            ("experience", "Experience: how people found it"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose process, outcome or experience"},
    )
    source = forms.ChoiceField(
        label="Source",
        choices=list(eg.INDICATOR_SOURCES.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the figures come from"},
    )
    hna_indicator = forms.ChoiceField(
        label="Health needs assessment indicator",
        required=False,
        choices=[("", "Not from the health needs assessment")] + list(vocab.INDICATORS.items()),
    )
    plan_item = PlanItemChoiceField(
        label="Plan item", required=False, queryset=None, empty_label="Not a plan item's measure"
    )
    source_notes = forms.CharField(label="About the source", required=False, max_length=300)
    baseline = forms.DecimalField(label="Baseline", required=False, max_digits=12, decimal_places=3)
    target = forms.DecimalField(label="Target", required=False, max_digits=12, decimal_places=3)
    unit = forms.CharField(label="Unit", required=False, max_length=20, help_text="For example %")

    def __init__(self, *args, plan_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan_item"].queryset = plan_items


class ImportForm(forms.Form):
    file = forms.FileField(
        label="JSON export file",
        help_text="The file from Reports and exports, 'Everything (JSON)', of this or another "
        "installation.",
        error_messages={"required": "Choose the JSON file to import"},
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    confirm = forms.BooleanField(
        label="I understand this replaces the whole engagement log with the one in the file",
        error_messages={"required": "Tick the box to confirm the log will be replaced"},
    )
