"""Buttons side by side or stacked never touch (issue 21: spacing between secondary buttons).

``BUTTONS_TOUCHING`` runs in the page: every visible NHS.UK button (and plain button) is
compared with every other; two that overlap, or sit closer than ``GAP`` px on a shared row or
column, are reported with their labels. The test walks representative pages of a demo-like
workspace at a 375 px phone width and at desktop width. With GPEQUITY_BUTTON_AUDIT=1 it walks
every page the phone-width walk of test_onboarding_browser reaches instead (the site-wide
audit; slower) and saves a screenshot of each page with buttons to /tmp/gpequity-buttons/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GAP = 8
SHOTS = Path("/tmp/gpequity-buttons")

BUTTONS_TOUCHING = """(gap) => {
  const seen = [...document.querySelectorAll('.nhsuk-button, button, input[type=submit]')]
    .filter(el => {
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0
        && !el.closest('.nhsuk-header, .nhsuk-footer, .nhsuk-skip-link, [hidden]')
        && !el.classList.contains('nhsuk-header__menu-toggle');
    });
  const label = el => (el.innerText || el.value || el.getAttribute('aria-label') || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 40);
  const out = [];
  for (let i = 0; i < seen.length; i++) {
    for (let j = i + 1; j < seen.length; j++) {
      const a = seen[i].getBoundingClientRect(), b = seen[j].getBoundingClientRect();
      const xGap = Math.max(b.left - a.right, a.left - b.right);
      const yGap = Math.max(b.top - a.bottom, a.top - b.bottom);
      // Sharing a row (vertical overlap) and closer than gap across, or sharing a column and
      // closer than gap down; or overlapping outright.
      if ((yGap < 0 && xGap < gap) || (xGap < 0 && yGap < gap)) {
        const gaps = `${Math.round(xGap)}, ${Math.round(yGap)}`;
        out.push(`${label(seen[i])} | ${label(seen[j])} (${gaps})`);
      }
    }
  }
  return out;
}"""

# Pages with buttons side by side or stacked, as the demo fills them.
REPRESENTATIVE = {
    "lead": [
        "/orgs/Y99001/",
        "/orgs/Y99001/plan/",
        "/orgs/Y99001/focus/edit/",
        "/orgs/Y99001/hna/",
        "/orgs/Y99001/directory/",
        "/orgs/Y99001/reports/",
        "/orgs/Y99001/engagement/",
        "/account/",
    ],
    "admin": ["/staff/", "/staff/organisations/new/"],
}


def _visit(page, url: str) -> bool:
    try:
        response = page.goto(url, timeout=60_000)
    except PlaywrightError:  # too slow under load, or a download
        return False
    return (
        response is not None
        and response.status == 200
        and "text/html" in response.headers.get("content-type", "")
    )


def _check(page, live_server, paths, width: int, shots: bool) -> dict[str, list[str]]:
    bad = {}
    page.set_viewport_size({"width": width, "height": 900})
    for path in paths:
        if not _visit(page, live_server.url + path):
            continue
        found = page.evaluate(BUTTONS_TOUCHING, GAP)
        if found:
            bad[f"{path} at {width} px"] = found
        if shots:
            SHOTS.mkdir(exist_ok=True)
            name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    return bad


def _with_buttons(page, live_server, start: list[str], limit: int = 150) -> list[str]:
    """Walk the pages linked from ``start`` (one per kind of address, as the phone-width
    walk does) and keep those with two or more buttons."""
    from urllib.parse import urldefrag, urlparse

    from tests.web.test_onboarding_browser import SKIP, _shape

    origin = live_server.url
    seen, queue, out, visited = set(), list(start), [], 0
    while queue and visited < limit:
        path = queue.pop(0)
        if _shape(path) in seen:
            continue
        seen.add(_shape(path))
        visited += 1
        if not _visit(page, origin + path):
            continue
        if page.locator(".nhsuk-button, main button").count() > 1:
            out.append(path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(urldefrag(href)[0])
            if href.startswith(origin) and not SKIP.search(url.path):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return out


def test_buttons_side_by_side_or_stacked_do_not_touch(page, live_server):
    from gpequity.web.demo import build_demo

    build_demo(reset=False, echo=lambda _: None)
    page.set_default_navigation_timeout(60_000)  # the shared machine is often overloaded
    audit = os.environ.get("GPEQUITY_BUTTON_AUDIT") == "1"
    bad: dict[str, list[str]] = {}
    checked = 0
    for username, paths in REPRESENTATIVE.items():
        sign_in(page, live_server, username, "demo-equity-2026")
        if audit:
            page.set_viewport_size({"width": 375, "height": 800})
            start = [*paths, "/", "/help/", "/toolkit/"]
            paths = _with_buttons(page, live_server, start)
            print(f"{username}: {len(paths)} pages with buttons: {paths}")
        for width in (375, 1280):
            bad.update(_check(page, live_server, paths, width, audit))
        checked += len(paths)
        page.goto(live_server.url + "/")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    assert checked >= 10
    assert not bad, "buttons touching or overlapping:\n" + "\n".join(
        f"{where}: {'; '.join(pairs)}" for where, pairs in bad.items()
    )
