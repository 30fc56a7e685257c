"""Account settings: personal API tokens and reminder preferences (a person's own only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import services
from .forms import ReminderForm, TokenForm
from .models import ApiToken


def _settings_page(request, *, token_form=None, reminder_form=None, new_token=None, status=200):
    pref = services.reminder_preference(request.user)
    ctx = {
        "tokens": ApiToken.objects.filter(user=request.user),
        "token_form": token_form or TokenForm(),
        "reminder_form": reminder_form
        or ReminderForm(initial={"frequency": pref.frequency, "days_ahead": pref.days_ahead}),
        "new_token": new_token,
        "now": timezone.now(),
        "form": token_form if token_form is not None and token_form.errors else reminder_form,
    }
    return render(request, "accounts/settings.html", ctx, status=status)


@login_required
def account_settings(request):
    return _settings_page(request)


@login_required
@require_POST
def token_new(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return _settings_page(request, new_token={"token": token, "raw": raw})
    return _settings_page(request, token_form=form, status=400)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("accounts:settings")


@login_required
@require_POST
def reminders(request):
    form = ReminderForm(request.POST)
    if form.is_valid():
        services.reminder_preference_set(
            actor=request.user,
            frequency=form.cleaned_data["frequency"],
            days_ahead=form.cleaned_data["days_ahead"],
        )
        messages.success(request, "Reminder settings saved.")
        return redirect("accounts:settings")
    return _settings_page(request, reminder_form=form, status=400)
