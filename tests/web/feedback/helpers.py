"""Shared helpers for the feedback tests: send feedback through the writer's real pages."""

from __future__ import annotations

import re

from django.test import Client

from gpequity.web.feedback import services
from gpequity.web.feedback.public import LIMITS


def token_of(html: str, name: str = "form_token") -> str:
    m = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert m, f"no {name} in the page"
    return m.group(1)


def code_of(html: str) -> str:
    m = re.search(r'data-testid="receipt-code">([0-9A-Z-]+)<', html)
    assert m, "no receipt code on the page"
    return m.group(1)


def send(client: Client, link_token: str, text: str, *, topic="access", role="", **extra) -> str:
    """Write, preview and confirm one piece of feedback; return the receipt code."""
    url = f"/staff-feedback/{link_token}/"
    page = client.get(url, **extra)
    assert page.status_code == 200
    preview = client.post(
        url,
        {
            "form_token": token_of(page.content.decode()),
            "step": "preview",
            "topic": topic,
            "role": role,
            "text": text,
        },
        **extra,
    )
    assert preview.status_code == 200, preview.content[:500]
    html = preview.content.decode()
    done = client.post(
        url,
        {"form_token": token_of(html), "payload": token_of(html, "payload"), "step": "confirm"},
        **extra,
    )
    assert done.status_code == 200, done.content[:500]
    return code_of(done.content.decode())


def read_thread(client: Client, code: str, **extra):
    page = client.get("/staff-feedback/receipt/", **extra)
    return client.post(
        "/staff-feedback/receipt/",
        {"form_token": token_of(page.content.decode()), "code": code},
        **extra,
    )


def channel(org):
    return services.channel_get_or_create(organisation=org)


def reset_limits():
    for limit in LIMITS.values():
        limit.reset()
