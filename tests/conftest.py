"""Shared fixtures: the demo database, PostgreSQL, a live app server and a watched browser page.

Expensive things (the demo database, the server, Chromium) are built once per
session; every browser test gets a fresh context whose console errors, page
errors and internet requests fail the test, because the intranet has no internet.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_helpers import CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT, PageWatch, login, skip_or_fail
from server_helpers import running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Plain `pytest` (unlike `python -m pytest`) does not put the checkout on sys.path,
# and the fixtures import the app's packages (data.demo).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Every figure a test builds (and the servers the tests start, which inherit the environment) is also put
# through Plotly's validation, which production skips for speed (layouts.figures.common.figure).
os.environ["DASHBOARD_STRICT_FIGURES"] = "1"

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Database 5 of the CI Redis: the cache keys carry a per-database namespace, so tests never need a flush.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
DEMO_SEED = 2023

# Fixtures whose users get a marker automatically, so `-m "not browser"` etc. work.
_MARKER_BY_FIXTURE = {
    "browser": "browser",
    "page": "browser",
    "live_server": "browser",
    "pg_url": "postgres",
    "redis_url": "redis",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the fixtures they use, so nobody has to remember to."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for fixture, marker in _MARKER_BY_FIXTURE.items():
            if fixture in fixtures and item.get_closest_marker(marker) is None:
                item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root, for tests that read files or run commands there."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the demo database once per session (it is large) as SQLite in a tmp dir."""
    from data.demo import build_demo  # lazy: the harness self-test must not need the app

    path = tmp_path_factory.mktemp("demo-db") / "dashboard.sqlite"
    url = f"sqlite:///{path}"
    build_demo(url, cases=int(os.environ.get("DEMO_CASES", "60000")), seed=DEMO_SEED)
    return url


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The CI PostgreSQL database; skipped when unreachable, except in CI where it must be there."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver/network error means "not reachable"
        skip_or_fail(f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}: {exc}")
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The CI Redis; skipped when unreachable, except in CI where it must be there."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any client/network error means "not reachable"
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}: {exc}")
    return REDIS_URL


@pytest.fixture(scope="session")
def live_server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the real `python -m dashboard serve` against the demo database; yield its base URL."""
    with running_server(demo_db_url, tmp_path_factory.mktemp("live-server")) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; Playwright's own browser downloads can't work here."""
    if not CHROMIUM_PATH.exists():
        skip_or_fail(f"{CHROMIUM_PATH} is missing (apt-get install chromium; `make test` does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        skip_or_fail(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_watch() -> PageWatch:
    """The recorder behind ``page``; request it too to ``ignore()`` errors a test provokes."""
    return PageWatch()


@pytest.fixture
def page(browser: Browser, page_watch: PageWatch, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh 1920x1080 zh-CN page; fails the test on console/page errors or internet requests.

    When the test also uses ``live_server``, the page is logged in as the demo leader (whole city).
    """
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    if "live_server" in request.fixturenames:
        login(context, request.getfixturevalue("live_server"), "leader")
    page_watch.attach(context)
    new_page = context.new_page()
    page_watch.watch_page(new_page)  # no-op if the context's "page" event already did it
    try:
        yield new_page
    finally:
        context.close()
    problems = page_watch.problems()
    if problems:
        pytest.fail(
            "the page misbehaved:\n" + "\n".join(f"  - {p}" for p in problems),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def demo_engine(demo_db_url: str):
    """An engine on the session's demo database (default size)."""
    from data.db import make_engine

    engine = make_engine(demo_db_url)
    yield engine
    engine.dispose()


SMALL_CASES = 8_000


def _small_demo(url: str):
    from data.db import make_engine
    from data.demo import build_demo

    build_demo(url, cases=SMALL_CASES, seed=7, log=lambda _m: None)
    return make_engine(url)


@pytest.fixture(scope="session")
def small_sqlite(tmp_path_factory: pytest.TempPathFactory):
    """A small demo database (8,000 cases) on SQLite."""
    engine = _small_demo(f"sqlite:///{tmp_path_factory.mktemp('small') / 'small.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def small_pg(pg_url: str):
    """The same small demo (same seed) on PostgreSQL."""
    engine = _small_demo(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def small_db(request: pytest.FixtureRequest):
    """The small demo on each backend: the data layer must behave the same on both."""
    return request.getfixturevalue(f"small_{'pg' if request.param == 'postgresql' else 'sqlite'}")
