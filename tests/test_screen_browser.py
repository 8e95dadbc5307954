"""Browser: /screen fills a 1920×1080 canvas and scales it by CSS transform to the window — no scrollbars, every
tile on screen, the map drawn offline — at 1920×1080 and at 3840×2160; refresh keeps the area; kiosk rotation."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest
from browser_helpers import PageWatch, login, screenshot
from PIL import Image
from plotly.offline import get_plotlyjs_version
from server_helpers import running_server
from test_plotly_bundle import bundled_traces

from dashboard import plotly_bundle
from dashboard.formatting import count_full, percent
from dashboard.ids import Kpi, ScreenPage
from data.filters import Period, city
from data.queries.screen import screen_kpis
from layouts.screen import TILES

YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
TILE_COLUMNS = {"screen_intake_today": "intake_today", "screen_disputes_handled": "disputes_handled",
                "screen_success_rate": "success_rate", "screen_overdue": "overdue", "screen_red_cards": "red_cards"}


def expected_tiles(engine) -> dict[str, str]:
    row = screen_kpis(engine, city(engine), YEAR_2023).iloc[0]
    return {k: percent(row[c]) if k == "screen_success_rate" else count_full(row[c]) for k, c in TILE_COLUMNS.items()}


def open_screen(page, base_url: str, engine, query: str = "") -> dict[str, str]:
    want = expected_tiles(engine)
    with page.expect_response(lambda r: "/geo/" in r.url and r.status in (200, 304)):
        page.goto(base_url + "/screen" + query)
    key = "screen_red_cards"
    page.wait_for_function(f"document.getElementById('{Kpi.VALUE.of(key)}')?.innerText === '{want[key]}'",
                           timeout=20_000)
    page.wait_for_selector(f"#{ScreenPage.MAP} canvas", state="attached")
    page.wait_for_function(f"document.querySelectorAll('#{ScreenPage.TREND} g.point').length > 0", timeout=20_000)
    return want


def check_fits(page, width: int, height: int, scale: int) -> None:
    """No scrollbars, the shell's frame hidden, the canvas scaled by a transform and every tile inside the window."""
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
                          " document.documentElement.scrollHeight, document.documentElement.clientHeight]")
    assert sizes[0] <= sizes[1] == width and sizes[2] <= sizes[3] == height
    assert page.locator(".cc-header").is_hidden() and page.locator("#filters-bar").is_hidden()
    assert page.evaluate("document.body.classList.contains('screen-mode')")
    style = page.evaluate(f"(() => {{ const s = getComputedStyle(document.getElementById('{ScreenPage.CANVAS}'));"
                          " return [s.transform, s.willChange, s.zoom]; })()")
    assert style == [f"matrix({scale}, 0, 0, {scale}, 0, 0)", "auto", "1"]  # a transform, not zoom or a bitmap
    assert page.evaluate("window.devicePixelRatio") == 1
    for tile in page.locator(".screen-kpis .kpi").all():
        box = tile.bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
        assert box["height"] == pytest.approx(140 * scale, abs=1)
    canvas = page.locator(f"#{ScreenPage.CANVAS}").bounding_box()
    assert canvas == {"x": 0, "y": 0, "width": 1920 * scale, "height": 1080 * scale}


def check_map_drawn(page) -> None:
    """The choropleth is painted (bright polygons), not an empty dark box."""
    shot = Image.open(io.BytesIO(page.locator(f"#{ScreenPage.MAP}").screenshot())).convert("RGB")
    left = np.asarray(shot)[:, : int(shot.width * 0.8)]  # the color bar sits on the right
    painted = left[..., 2] > 90  # blue channel: the polygons' fills and outlines; the empty map is #0c1a2e
    assert painted.mean() > 0.15


def read_tiles(page) -> dict[str, str]:
    return {t.key: page.inner_text(f"#{Kpi.VALUE.of(t.key)}") for t in TILES}


def test_screen_at_1080(page, live_server, demo_engine) -> None:
    want = open_screen(page, live_server, demo_engine)
    assert read_tiles(page) == want
    check_fits(page, 1920, 1080, 1)
    check_map_drawn(page)
    assert page.inner_text(f"#{ScreenPage.AREA_LABEL}") == "宿迁市"
    assert page.inner_text(f"#{ScreenPage.DATA_DATE}") == "2023年12月31日"
    assert page.locator(f"#{ScreenPage.RED_LIST} li").count() >= 8
    assert page.locator(f"#{ScreenPage.EXIT}").is_visible()  # not a kiosk: a way back
    screenshot(page, "screen-1080")


def test_graphs_draw_with_the_partial_plotly_bundle(page, live_server, demo_engine) -> None:
    """dcc.Graph loads the small bundle (preloaded, under its digest), never Dash's full plotly.min.js."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    open_screen(page, live_server, demo_engine)
    check_map_drawn(page)
    url = plotly_bundle.bundle_url(plotly_bundle.bundle_digest())
    assert [u for u in requested if u.endswith(url)], requested
    assert not [u for u in requested if "plotly.min.js" in u]
    registered = set(page.evaluate("Object.keys(window.Plotly.PlotSchema.get().traces)"))
    assert registered == {"scatter", *bundled_traces()}
    assert page.evaluate("window.Plotly.version") == get_plotlyjs_version()


@pytest.fixture
def page_2160(browser, live_server, page_watch: PageWatch) -> Iterator:
    """Like `page`, on a 3840×2160 window (a 4K wall)."""
    context = browser.new_context(viewport={"width": 3840, "height": 2160}, locale="zh-CN")
    login(context, live_server, "leader")
    page_watch.attach(context)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        context.close()
    problems = page_watch.problems()
    if problems:
        pytest.fail("the page misbehaved:\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


def test_screen_at_2160(page_2160, live_server, demo_engine) -> None:
    want = open_screen(page_2160, live_server, demo_engine)
    assert read_tiles(page_2160) == want
    check_fits(page_2160, 3840, 2160, 2)
    check_map_drawn(page_2160)
    screenshot(page_2160, "screen-2160")


def test_leaving_the_screen_restores_the_shell(page, live_server, demo_engine) -> None:
    open_screen(page, live_server, demo_engine)
    page.locator(f"#{ScreenPage.EXIT}").click()
    page.wait_for_function("window.location.pathname === '/'", timeout=15_000)
    page.wait_for_function("!document.body.classList.contains('screen-mode')", timeout=15_000)
    assert page.locator(".cc-header").is_visible()


@pytest.fixture(scope="module")
def fast_server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Our own server, because the session's cannot change its settings: fast kiosk and refresh timers."""
    env = {"KIOSK_SECONDS": "3", "SCREEN_REFRESH_SECONDS": "5"}
    with running_server(demo_db_url, tmp_path_factory.mktemp("screen-server"), env) as base_url:
        yield base_url


@pytest.fixture
def fast_page(browser, fast_server: str, page_watch: PageWatch) -> Iterator:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    login(context, fast_server, "leader")
    page_watch.attach(context)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        context.close()
    problems = page_watch.problems()
    if problems:
        pytest.fail("the page misbehaved:\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


def test_kiosk_rotates_pages_and_keeps_the_view(fast_page, fast_server) -> None:
    fast_page.goto(fast_server + "/screen?area=321322&kiosk=1")
    fast_page.wait_for_function("document.body.classList.contains('kiosk-mode')", timeout=15_000)
    assert fast_page.locator(f"#{ScreenPage.EXIT}").is_hidden()
    for path in ("/map", "/overdue", "/screen"):
        fast_page.wait_for_function(f"window.location.pathname === '{path}'", timeout=20_000)
        params = fast_page.evaluate("Object.fromEntries(new URLSearchParams(window.location.search))")
        assert params["kiosk"] == "1" and params["area"] == "321322"
        assert fast_page.locator(".cc-header").is_hidden()  # kiosk: no controls on any page
    fast_page.wait_for_function(f"document.getElementById('{ScreenPage.AREA_LABEL}')?.innerText === '沭阳县'",
                                timeout=20_000)


def test_refresh_rereads_the_same_area(fast_page, fast_server) -> None:
    fast_page.goto(fast_server + "/screen?area=321322")
    fast_page.wait_for_function(f"document.getElementById('{ScreenPage.AREA_LABEL}')?.innerText === '沭阳县'",
                                timeout=20_000)

    def is_refresh(request) -> bool:
        """A data callback fired by the refresh timer (not by the page load), asking for the URL's area."""
        if "_dash-update-component" not in request.url or not request.post_data:
            return False
        body = json.loads(request.post_data)
        inputs = {(i.get("id"), i.get("property")): i.get("value")
                  for i in body.get("inputs", []) + body.get("state", []) if isinstance(i, dict)}
        return (inputs.get((ScreenPage.REFRESH.value, "n_intervals")) or 0) >= 1 and \
            "area=321322" in (inputs.get(("shell-url", "search")) or "")

    with fast_page.expect_request(is_refresh, timeout=30_000):
        pass
    assert "area=321322" in fast_page.url
    assert fast_page.inner_text(f"#{ScreenPage.AREA_LABEL}") == "沭阳县"
