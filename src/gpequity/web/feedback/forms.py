"""Forms of the feedback area. The writer's forms carry a signed form token instead of
Django's CSRF token (ADR 22): it proves the form came from this site recently and names no one."""

from __future__ import annotations

import secrets
import threading
import time

from django import forms
from django.core import signing

from gpequity.feedback import ROLES, TOPICS

from .models import Readers, Status
from .services import MAX_TEXT

FORM_SALT = "gpequity.feedback.form"
FORM_MAX_AGE = 2 * 60 * 60


def form_token(purpose: str) -> str:
    return signing.dumps({"p": purpose, "n": secrets.token_urlsafe(12)}, salt=FORM_SALT)


class _UsedNonces:
    """Nonces of confirmed forms, in memory for the token's lifetime, so one confirmation
    page cannot be sent twice to this process."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, nonce: str) -> bool:
        now = time.monotonic()
        with self._lock:
            for k in [k for k, t in self._seen.items() if t < now - FORM_MAX_AGE]:
                del self._seen[k]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


USED = _UsedNonces()


def check_form_token(token: str, purpose: str, *, once: bool = False) -> bool:
    try:
        data = signing.loads(token or "", salt=FORM_SALT, max_age=FORM_MAX_AGE)
    except signing.BadSignature:
        return False
    if not isinstance(data, dict) or data.get("p") != purpose:
        return False
    return USED.first_use(str(data.get("n"))) if once else True


def sign_payload(payload: dict) -> str:
    return signing.dumps(payload, salt=FORM_SALT + ".payload", compress=True)


def load_payload(value: str) -> dict | None:
    try:
        data = signing.loads(value or "", salt=FORM_SALT + ".payload", max_age=FORM_MAX_AGE)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


class WriteForm(forms.Form):
    topic = forms.ChoiceField(
        label="What is it about?",
        choices=[("", "Choose a topic"), *TOPICS.items()],
        error_messages={"required": "Choose what your feedback is about"},
    )
    role = forms.ChoiceField(
        label="Your role (optional)",
        choices=[("", "I would rather not say"), *ROLES.items()],
        required=False,
        widget=forms.RadioSelect,
        help_text="Shown to the practice only when at least five people of each role are in "
        "the same batch. Leave it if your team is small.",
    )
    text = forms.CharField(
        label="What have you noticed?",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_TEXT,
        help_text="Say what happens and who it affects. Leave out names, dates and details "
        "only you would know.",
        error_messages={
            "required": "Enter what you have noticed",
            "max_length": f"Keep it to {MAX_TEXT} characters or fewer",
        },
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Your receipt code",
        max_length=40,
        help_text="16 letters and numbers, for example 7K2Q-9XMD-R4TB-HC1W",
        error_messages={"required": "Enter your receipt code"},
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
        error_messages={"required": "Enter your answer"},
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
        help_text="The writer reads it with their receipt code. They are never e-mailed.",
        error_messages={"required": "Enter your reply"},
    )


class UpdateForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=Status.choices, widget=forms.RadioSelect)
    plan_items = forms.MultipleChoiceField(
        label="Linked plan items",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The action plan items that answer this feedback.",
    )
    we_did = forms.CharField(
        label="What we did",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Shown on "you said, we did" if you tick the box below.',
    )
    show_to_team = forms.BooleanField(
        label='Show on "you said, we did" for the whole team', required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, plan_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan_items"].choices = list(plan_choices)


class SettingsForm(forms.Form):
    readers = forms.ChoiceField(
        label="Who may read feedback", choices=Readers.choices, widget=forms.RadioSelect
    )
    min_batch = forms.IntegerField(
        label="Smallest batch",
        min_value=3,
        max_value=50,
        help_text="Feedback is shown only when at least this many are waiting. At least 3; "
        "raise it for a small team.",
        error_messages={"min_value": "Enter a number of 3 or more"},
    )
    max_wait_days = forms.IntegerField(
        label="Longest wait, in days",
        min_value=7,
        max_value=91,
        help_text="After this, waiting feedback is shown if there are at least two, never one "
        "on its own.",
    )
