"""Helpers shared by the browser tests.

The command center runs on an intranet without internet access, so a page that
reaches for a CDN, logs a console error or throws is broken there even if it
looks fine on a developer's laptop. ``PageWatch`` records exactly those things
so the ``page`` fixture can fail the test that caused them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Route

REPO_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"

CHROMIUM_PATH = Path("/usr/bin/chromium")
# Headless, and without Chromium's own phone-home traffic, which the closed
# network would refuse (slowly) and which is not the app's doing.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Schemes that never leave the browser.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def in_ci() -> bool:
    """CI sets CI=true; there a missing prerequisite is a failure, not a skip."""
    return os.environ.get("CI") == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip locally but fail in CI, so CI cannot go green by skipping everything."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is an error)", pytrace=False)
    pytest.skip(reason)


def is_local_url(url: str) -> bool:
    """True for URLs the intranet can serve: loopback hosts and in-browser schemes."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


class PageWatch:
    """Records console errors, uncaught page errors and non-local requests.

    Non-local requests are aborted as well as recorded, so a test behaves as it
    would on the intranet instead of silently fetching from the internet.
    """

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.foreign_requests: list[str] = []
        self._ignored: list[re.Pattern[str]] = []
        self._pages: list[Page] = []

    def ignore(self, pattern: str) -> None:
        """Let a test tolerate console/page errors it provokes on purpose (regex search)."""
        self._ignored.append(re.compile(pattern))

    def _is_ignored(self, text: str) -> bool:
        return any(p.search(text) for p in self._ignored)

    def attach(self, context: BrowserContext) -> None:
        """Watch every page of ``context``: routing covers all of them, listeners each new one."""
        context.route("**/*", self.handle_route)
        for existing in context.pages:
            self.watch_page(existing)
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        """Subscribe to one page's console and uncaught errors (idempotent: listeners must not double up)."""
        if any(known is page for known in self._pages):
            return
        self._pages.append(page)
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)

    def handle_route(self, route: Route, request: Request) -> None:
        """Let local requests through; abort and record everything else."""
        if is_local_url(request.url):
            route.fallback()
            return
        self.foreign_requests.append(request.url)
        route.abort("blockedbyclient")

    def on_console(self, message: ConsoleMessage) -> None:
        """Record console messages of type error, with where they came from."""
        if message.type != "error":
            return
        location = message.location or {}
        url = location.get("url") or ""
        where = f" ({url}:{location.get('lineNumber', 0)})" if url else ""
        text = f"{message.text}{where}"
        if not self._is_ignored(text):
            self.console_errors.append(text)

    def on_page_error(self, error: Exception) -> None:
        """Record uncaught exceptions thrown by the page's scripts."""
        text = str(error)
        if not self._is_ignored(text):
            self.page_errors.append(text)

    def problems(self) -> list[str]:
        """Everything recorded, one line each, ready for a failure message."""
        return (
            [f"console error: {t}" for t in self.console_errors]
            + [f"page error: {t}" for t in self.page_errors]
            + [f"foreign request (aborted): {u}" for u in self.foreign_requests]
        )


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save ``artifacts/screenshots/<name>.png`` so humans (and CI artifacts) can look at it."""
    path = SCREENSHOT_DIR / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path


# Dash's own store lists the callbacks it has asked for and not yet applied; empty means the page has settled.
# (Playwright's "networkidle" does not help here: it is a page-load state, reached once, not after each
# in-page URL change.)
DASH_SETTLED_JS = """
() => {
  const store = window.store;
  if (!store) return false;
  const state = Object.assign({}, store.getState().callbacks);
  delete state.stored;
  delete state.completed;
  return Object.values(state).every(list => list.length === 0);
}
"""


def wait_for_callbacks(page: Page, timeout: float = 20_000) -> None:
    """Wait until Dash has no callback requested, in flight or waiting to be applied."""
    page.wait_for_function(DASH_SETTLED_JS, timeout=timeout)


DEMO_PASSWORD = "suqian-demo-2023"


def login(context: BrowserContext, base_url: str, user: str = "leader", password: str = DEMO_PASSWORD) -> None:
    """Log a browser context in through the real login form (CSRF token included); fails loudly if refused."""
    import re

    form = context.request.get(f"{base_url}/login")
    match = re.search(r'name="csrf" value="([^"]+)"', form.text())
    assert match, "login form has no CSRF token"
    response = context.request.post(
        f"{base_url}/login",
        form={"username": user, "password": password, "csrf": match.group(1), "next": "/"},
        max_redirects=0,
    )
    assert response.status == 302, f"login as {user} failed: {response.status}"
