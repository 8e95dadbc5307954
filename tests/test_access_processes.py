"""Throttling is shared by worker processes (it lives in the database), and a chief's browser sees one county."""

from __future__ import annotations

import re
import shutil

import pytest
import requests
from browser_helpers import login as browser_login
from browser_helpers import screenshot
from server_helpers import running_server

from dashboard.formatting import count_full
from dashboard.ids import Filters, Kpi
from data.filters import Period, find_area
from data.queries.summary import headline_kpis

PASSWORD = "suqian-demo-2023"


def attempt(base: str, user: str, password: str) -> int:
    """One login attempt from a fresh HTTP session (its own cookie, its own CSRF token)."""
    with requests.Session() as http:
        form = http.get(base + "/login", timeout=10).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        response = http.post(base + "/login", data={"username": user, "password": password, "csrf": csrf},
                             allow_redirects=False, timeout=10)
        return response.status_code


def test_throttling_holds_across_two_processes(demo_db_url: str, tmp_path) -> None:
    db = tmp_path / "throttle.sqlite"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    with running_server(url, tmp_path) as a, running_server(url, tmp_path) as b:
        assert [attempt(a, "analyst", "wrong-pass-1") for _ in range(3)] == [401] * 3
        assert [attempt(b, "analyst", "wrong-pass-2") for _ in range(2)] == [401] * 2
        # Five failures spread over two processes: the right password is now refused on both.
        assert attempt(a, "analyst", PASSWORD) == 429
        assert attempt(b, "analyst", PASSWORD) == 429
        # Another account from the same address is throttled too (per-address counter).
        assert attempt(b, "leader", PASSWORD) == 429


@pytest.mark.parametrize("code", ["321322", "321324"])
def test_chief_sees_own_county_only_in_the_browser(browser, live_server, demo_engine, page_watch, code) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page_watch.attach(context)
    browser_login(context, live_server, f"chief-{code}")
    page = context.new_page()
    area = find_area(demo_engine, code)
    from datetime import date

    want = headline_kpis(demo_engine, area, Period(date(2023, 1, 1), date(2023, 12, 31))).iloc[0]
    # Ask for the whole city: the view is clamped to the chief's county.
    page.goto(live_server + "/?area=321300")
    value = count_full(want["disputes_handled"])
    page.wait_for_function(
        f"document.getElementById('{Kpi.VALUE.of('disputes_handled')}')?.innerText === '{value}'", timeout=15_000)
    crumbs = page.locator(f"#{Filters.BREADCRUMB}")
    assert crumbs.inner_text().strip() == area.name  # cannot go above the county
    assert crumbs.locator("a").count() == 0
    assert "无权查看该区域" in page.inner_text("body")
    screenshot(page, f"chief-{code}")
    context.close()
    assert not page_watch.problems(), page_watch.problems()


MAP_CODES_JS = """
(sel) => {
  const gd = document.querySelector(sel);
  if (!gd || !gd.data) return null;
  return gd.data.flatMap(t => t.type === 'choroplethmap' ? t.locations : []);
}
"""


@pytest.mark.parametrize(("user", "expected"), [("chief-321322", "townships of 321322"), ("leader", "5 counties")])
def test_map_shows_only_the_users_scope(browser, live_server, demo_engine, page_watch, user, expected) -> None:
    from sqlalchemy import text

    from dashboard.ids import MapPage

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page_watch.attach(context)
    browser_login(context, live_server, user)
    page = context.new_page()
    page.goto(live_server + "/map?area=321300")
    sel = f"#{MapPage.GRAPH} .js-plotly-plot"
    page.wait_for_function(f"(({MAP_CODES_JS})('{sel}') || []).length > 0", timeout=20_000)
    codes = set(page.evaluate(MAP_CODES_JS, sel))
    with demo_engine.connect() as conn:
        if user == "leader":
            want = set(conn.execute(text("SELECT code FROM areas WHERE level = 'county'")).scalars())
        else:
            want = set(conn.execute(text(
                "SELECT code FROM areas WHERE level = 'township' AND county_code = '321322000000'")).scalars())
    assert codes == want, expected
    crumbs = page.locator(f"#{Filters.BREADCRUMB}").inner_text().strip()
    assert crumbs == ("沭阳县" if user != "leader" else "宿迁市")
    screenshot(page, f"map-as-{user}")
    context.close()
    assert not page_watch.problems(), page_watch.problems()
