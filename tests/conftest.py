"""Test harness shared by every area.

- Django settings: gpequity.web.settings.test (SQLite; PostgreSQL when GPEQUITY_DATABASE=postgres).
- Browser tests (marker ``browser``) drive Debian's Chromium through Playwright; every page
  they visit can be checked with ``assert_accessible(page)`` (axe-core, zero violations).
- No network: the browser may only reach the live test server.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("GPEQUITY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-quic",
]


class NetworkAccessInTests(RuntimeError):
    """Raised when a test process tries to reach anything but this machine."""


def _loopback(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _guarded_connect(sock, address):
    if not _loopback(address):
        raise NetworkAccessInTests(f"tests may not reach the network ({address!r})")
    return _connect(sock, address)


def _guarded_connect_ex(sock, address):
    if not _loopback(address):
        raise NetworkAccessInTests(f"tests may not reach the network ({address!r})")
    return _connect_ex(sock, address)


def pytest_configure(config):
    # No network: a test (or the code under test) may only talk to this machine.
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    _scan_static_files_once()


def _scan_static_files_once() -> None:
    """Django's test ``Client`` builds the middleware chain afresh for every client, and
    WhiteNoise then walks the finders and stats all ~1,400 static files again: 0.4 s a test
    on a quiet machine, several seconds under load, paid by nearly every web test. The files
    do not change during a run, so the first scan's table is handed to every later instance
    in the process. WhiteNoise still serves (and ``tests/web/test_shell.py`` still fetches)
    the same files from the same table."""
    try:
        from whitenoise.middleware import WhiteNoiseMiddleware
    except ImportError:  # pragma: no cover - the web extras are always installed in CI
        return
    scan = WhiteNoiseMiddleware.add_files_from_finders
    tables: dict[str, dict] = {}

    def add_files_from_finders(self) -> None:
        table = tables.get(self.static_prefix)
        if table is None:
            before = dict(self.files)
            scan(self)
            table = {url: f for url, f in self.files.items() if before.get(url) is not f}
            tables[self.static_prefix] = table
        self.files.update(table)

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "page" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _empty_cache(request):
    """Each database test starts with an empty Django cache. Tests roll their rows back, so
    row ids come round again, and a figure cached under a run's id (findings, combined
    network tables, charts) could otherwise be another test's."""
    names = getattr(request, "fixturenames", ())
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(names):
        from django.core.cache import caches

        for cache in caches.all():
            cache.clear()
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp lets the test inject axe-core; the app itself keeps its strict CSP.
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "bypass_csp": True}


@pytest.fixture
def page(page, live_server):
    """A Playwright page that can reach only the live test server."""
    origin = live_server.url

    def guard(route):
        url = route.request.url
        if url.startswith(origin) or url.startswith("data:") or url.startswith("blob:"):
            return route.continue_()
        return route.abort()

    page.route("**/*", guard)
    page.set_default_timeout(15_000)
    yield page


def assert_accessible(page, *, context: str = "") -> None:
    """Run axe-core on the current page and fail with a readable list of violations."""
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run()).violations")
    if violations:
        lines = [
            f"- {v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(
                n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                for n in v["nodes"][:5]
            )
            for v in violations
        ]
        raise AssertionError(f"axe-core violations on {context or page.url}:\n" + "\n".join(lines))


def phone_width(page, width: int = 375) -> int:
    """Narrow the window to a phone's width and return how wide the page then is.

    The NHS.UK header lays its menu out again after a resize, a moment later; under load
    the page could be measured before that ran and look a few pixels too wide. So wait
    (briefly) for the page to settle at the new width before measuring.
    """
    page.set_viewport_size({"width": width, "height": 800})
    try:
        page.wait_for_function(f"document.documentElement.scrollWidth <= {width}", timeout=3000)
    except Exception:  # still too wide after the wait: the caller's assertion says how wide
        pass
    return page.evaluate("document.documentElement.scrollWidth")


def sign_in(page, live_server, username: str, password: str = "password") -> None:
    """Sign in through the real sign-in form, by keyboard."""
    page.goto(live_server.url + "/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def axe():
    return assert_accessible
