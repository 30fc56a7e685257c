"""The writer's pages, under /staff-feedback/ (ADR 22).

These views run behind ``AnonymousZoneMiddleware`` only: there is no ``request.user``, no
session and no CSRF cookie. They must never log, audit or store anything about the request.
Forms carry a signed form token instead of a CSRF token, and cross-site posts are refused.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from gpequity.feedback import ROLES, TOPICS
from gpequity.feedback.scrub import scrub

from . import selectors, services
from .forms import (
    AnswerForm,
    CodeForm,
    WriteForm,
    check_form_token,
    form_token,
    load_payload,
    sign_payload,
)
from .middleware import MemoryRateLimit
from .models import Feedback

# Generous for people, tight for scripts; held in memory only (ADR 22).
LIMITS = {
    "preview": MemoryRateLimit(limit=30),
    "submit": MemoryRateLimit(limit=6),
    "receipt": MemoryRateLimit(limit=20),
}


def _cross_site(request) -> bool:
    if request.META.get("HTTP_SEC_FETCH_SITE", "") == "cross-site":
        return True
    origin = request.META.get("HTTP_ORIGIN")
    # With Referrer-Policy: no-referrer browsers send "Origin: null" even from our own
    # pages; Sec-Fetch-Site (above) still tells a cross-site post apart.
    if not origin or origin == "null":
        return False
    return origin != f"{request.scheme}://{request.get_host()}"


def _refuse(request, purpose: str, *, once: bool = False):
    """A 403 response when the form is not ours or is stale, else None."""
    if _cross_site(request) or not check_form_token(
        request.POST.get("form_token", ""), purpose, once=once
    ):
        return _forbidden(
            request,
            "This form has expired or did not come from this site. Go back, reload the page "
            "and try again.",
        )
    return None


def _forbidden(request, message: str):
    return render(request, "feedback/public/refused.html", {"message": message}, status=403)


def _too_many(request, template: str, context: dict):
    context = {**context, "too_many": True}
    return render(request, template, context, status=429)


def _channel(token: str):
    channel = selectors.channel_by_token(token)
    if channel is None:
        raise Http404("No such feedback address")
    return channel


@require_http_methods(["GET"])
def protects(request):
    return render(request, "feedback/public/protects.html", {"topics": TOPICS})


@require_http_methods(["GET", "POST"])
def write(request, token: str):
    channel = _channel(token)
    org = channel.organisation
    context = {"org": org, "token": token, "form_token": form_token("write")}
    if request.method == "GET":
        return render(request, "feedback/public/write.html", {**context, "form": WriteForm()})
    refused = _refuse(request, "write", once=request.POST.get("step") == "confirm")
    if refused:
        return refused
    step = request.POST.get("step", "preview")
    if step in ("change", "confirm"):
        payload = load_payload(request.POST.get("payload", ""))
        if payload is None or payload.get("o") != org.pk:
            return _forbidden(request, "This form has expired. Go back and reload the page.")
        if step == "change":
            form = WriteForm(
                initial={"topic": payload["topic"], "role": payload["role"], "text": payload["raw"]}
            )
            return render(request, "feedback/public/write.html", {**context, "form": form})
        if not LIMITS["submit"].hit(request, "submit"):
            return _too_many(
                request, "feedback/public/write.html", {**context, "form": WriteForm()}
            )
        try:
            code = services.feedback_submit(
                channel=channel, topic=payload["topic"], role=payload["role"], text=payload["text"]
            )
        except ValidationError:
            return _forbidden(request, "This form was changed.")
        return render(request, "feedback/public/receipt_code.html", {**context, "code": code})
    form = WriteForm(request.POST)
    if not LIMITS["preview"].hit(request, "preview"):
        return _too_many(request, "feedback/public/write.html", {**context, "form": form})
    if not form.is_valid():
        return render(request, "feedback/public/write.html", {**context, "form": form})
    data = form.cleaned_data
    cleaned = scrub(data["text"], known_names=selectors.known_names(org))
    payload = sign_payload(
        {
            "o": org.pk,
            "topic": data["topic"],
            "role": data["role"],
            "text": cleaned.text.strip(),
            "raw": data["text"],
        }
    )
    return render(
        request,
        "feedback/public/preview.html",
        {
            **context,
            "scrubbed": cleaned,
            "topic_label": TOPICS[data["topic"]],
            "role_label": ROLES.get(data["role"], ""),
            "payload": payload,
        },
    )


def _thread_context(found, code: str) -> dict:
    released = isinstance(found, Feedback)
    return {
        "found": found,
        "released": released,
        "messages_list": list(found.messages.all()) if released else [],
        "can_answer": released and found.messages.filter(from_practice=True).exists(),
        "code": code,
        "topic_label": TOPICS.get(found.topic, ""),
        "answer_form": AnswerForm(),
        "form_token": form_token("answer"),
    }


@require_http_methods(["GET", "POST"])
def receipt(request):
    context = {"form_token": form_token("receipt")}
    if request.method == "GET":
        return render(request, "feedback/public/receipt.html", {**context, "form": CodeForm()})
    refused = _refuse(request, "receipt")
    if refused:
        return refused
    form = CodeForm(request.POST)
    if not LIMITS["receipt"].hit(request, "receipt"):
        return _too_many(request, "feedback/public/receipt.html", {**context, "form": form})
    if not form.is_valid():
        return render(request, "feedback/public/receipt.html", {**context, "form": form})
    found = selectors.thread_for_code(form.cleaned_data["code"])
    if found is None:
        form.add_error("code", "We could not find feedback with that code. Check it and try again")
        return render(request, "feedback/public/receipt.html", {**context, "form": form})
    return render(
        request, "feedback/public/thread.html", _thread_context(found, form.cleaned_data["code"])
    )


@require_http_methods(["POST"])
def answer(request):
    step = request.POST.get("step", "preview")
    refused = _refuse(request, "answer", once=step == "confirm")
    if refused:
        return refused
    if not LIMITS["receipt"].hit(request, "receipt"):
        return _too_many(request, "feedback/public/receipt.html", {"form": CodeForm()})
    code = request.POST.get("code", "")
    found = selectors.thread_for_code(code)
    if not isinstance(found, Feedback):
        return render(
            request,
            "feedback/public/receipt.html",
            {"form": CodeForm(), "form_token": form_token("receipt"), "expired": True},
            status=404,
        )
    context = _thread_context(found, code)
    if step == "confirm":
        payload = load_payload(request.POST.get("payload", ""))
        if payload is None or payload.get("f") != str(found.pk):
            return _forbidden(request, "This form has expired. Go back and reload the page.")
        try:
            services.feedback_answer(feedback=found, text=payload["text"])
        except ValidationError as exc:
            context["answer_errors"] = [m for msgs in exc.message_dict.values() for m in msgs]
            return render(request, "feedback/public/thread.html", context, status=400)
        context = _thread_context(found, code)
        context["answered"] = True
        return render(request, "feedback/public/thread.html", context)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        context["answer_form"] = form
        return render(request, "feedback/public/thread.html", context)
    cleaned = scrub(
        form.cleaned_data["text"], known_names=selectors.known_names(found.organisation)
    )
    context.update(
        {
            "scrubbed": cleaned,
            "payload": sign_payload({"f": str(found.pk), "text": cleaned.text.strip()}),
        }
    )
    return render(request, "feedback/public/answer_preview.html", context)
