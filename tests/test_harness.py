"""Self-test of the browser harness, independent of the app.

If ``PageWatch`` stopped seeing console errors or internet requests, every
browser test would pass vacuously; these tests prove it still sees them.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser_helpers import PageWatch, is_local_url, screenshot, skip_or_fail

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

FOREIGN_SCRIPT = "https://example.invalid/x.js"
# An inline empty favicon keeps Chromium from requesting /favicon.ico (a 404 here).
_HEAD = '<meta charset="utf-8"><link rel="icon" href="data:,">'
PAGES = {
    "clean.html": f"<!doctype html><html><head>{_HEAD}</head><body><h1>宿迁 ok</h1></body></html>",
    "console_error.html": (
        f'<!doctype html><html><head>{_HEAD}</head><body><script>console.error("x")</script></body></html>'
    ),
    "foreign.html": (
        f"<!doctype html><html><head>{_HEAD}"
        f'<script src="{FOREIGN_SCRIPT}"></script></head><body></body></html>'
    ),
    "throws.html": (
        f"<!doctype html><html><head>{_HEAD}</head><body>"
        '<script>throw new Error("boom")</script></body></html>'
    ),
}


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files without the per-request log lines cluttering pytest output."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the test pages from 127.0.0.1 in a background thread; yield the base URL."""
    root = tmp_path_factory.mktemp("harness-site")
    for name, html in PAGES.items():
        (root / name).write_text(html, encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _visit(browser: Browser, url: str) -> PageWatch:
    """Open ``url`` in a watched context (not the ``page`` fixture, which would fail on purpose)."""
    watch = PageWatch()
    context = browser.new_context(locale="zh-CN")
    try:
        watch.attach(context)
        new_page = context.new_page()
        watch.watch_page(new_page)
        new_page.goto(url, wait_until="load")
    finally:
        context.close()
    return watch


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8050/", True),
        ("http://localhost/_dash-layout", True),
        ("ws://127.0.0.1:1234/socket", True),
        ("http://[::1]:8050/", True),
        ("data:image/png;base64,AAAA", True),
        ("blob:http://127.0.0.1:8050/uuid", True),
        ("about:blank", True),
        ("https://example.invalid/x.js", False),
        ("https://cdn.plot.ly/plotly.min.js", False),
        ("http://127.0.0.1.example.com/", False),
        ("http://10.0.0.5/", False),
    ],
)
def test_is_local_url(url: str, local: bool) -> None:
    assert is_local_url(url) is local


@pytest.mark.browser
def test_clean_page_records_nothing(browser: Browser, static_site: str) -> None:
    watch = _visit(browser, f"{static_site}/clean.html")
    assert watch.problems() == []


@pytest.mark.browser
def test_console_error_is_recorded(browser: Browser, static_site: str) -> None:
    watch = _visit(browser, f"{static_site}/console_error.html")
    assert any(text.startswith("x") for text in watch.console_errors), watch.problems()
    assert watch.foreign_requests == []


@pytest.mark.browser
def test_foreign_request_is_recorded_and_aborted(browser: Browser, static_site: str) -> None:
    watch = _visit(browser, f"{static_site}/foreign.html")
    assert watch.foreign_requests == [FOREIGN_SCRIPT]
    assert any(line.startswith("foreign request") for line in watch.problems())


@pytest.mark.browser
def test_page_error_is_recorded(browser: Browser, static_site: str) -> None:
    watch = _visit(browser, f"{static_site}/throws.html")
    assert any("boom" in text for text in watch.page_errors), watch.problems()


@pytest.mark.browser
def test_ignore_lets_expected_errors_pass(browser: Browser, static_site: str) -> None:
    watch = PageWatch()
    watch.ignore(r"^x\b")
    context = browser.new_context()
    try:
        watch.attach(context)
        new_page = context.new_page()
        new_page.goto(f"{static_site}/console_error.html", wait_until="load")
    finally:
        context.close()
    assert watch.problems() == []


@pytest.mark.browser
def test_page_fixture_and_screenshot(page: Page, static_site: str, repo_root: Path) -> None:
    page.goto(f"{static_site}/clean.html", wait_until="load")
    assert page.viewport_size == {"width": 1920, "height": 1080}
    assert page.evaluate("navigator.language") == "zh-CN"
    path = screenshot(page, "harness-clean")
    assert path == repo_root / "artifacts" / "screenshots" / "harness-clean.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cjk_font_installed() -> None:
    """Chinese labels render as boxes without a CJK font (fonts-noto-cjk)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        skip_or_fail("fc-list is missing (fontconfig), cannot check for a CJK font")
    result = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip(), "no font covering Chinese: apt-get install fonts-noto-cjk"
