"""Browser: /resolution at 1920×1080 — the tiles equal `stats`, the grain toggle writes the URL and back undoes it."""

from __future__ import annotations

import re
from datetime import date

from browser_helpers import screenshot
from playwright.sync_api import expect
from sqlalchemy import text

from dashboard.formatting import count_full, percent, signed_percent
from dashboard.ids import Kpi, ResolutionPage
from data.filters import Period, city, find_area
from data.queries.base import Grain
from data.queries.resolution import buckets
from data.stats import stats

ACTIVE = re.compile(r"\bactive\b")
YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))  # the default view
TILE_IDS = ("res_mediation_rate", "res_resolution_rate", "res_first_petitions", "res_first_petitions_yoy")
GD = f"document.querySelector('#{ResolutionPage.TREND} .js-plotly-plot')"
TREND_POINTS_JS = f"(() => {{ const gd = {GD}; if (!gd || !gd.data || !gd.data[0]) return -1; const x = gd.data[0].x;" \
                  " return Array.isArray(x) ? x.length : -1; })()"


def _resolution_rate(engine, area, period: Period) -> float:
    """化解率 written independently: resolved outcomes over all cases closed in the period."""
    where = "closed_at >= :lo AND closed_at < :hi" + ("" if area.level == "city" else f" AND {area.level}_code = :c")
    with engine.connect() as conn:
        closed, resolved = conn.execute(text(
            "SELECT COUNT(*), SUM(CASE WHEN outcome IN ('mediated', 'resolved') THEN 1 ELSE 0 END) FROM cases "
            f"WHERE {where}"), {"lo": period.lo, "hi": period.hi, "c": area.code}).one()
    return 100.0 * resolved / closed


def _expected_tiles(engine, area, period: Period) -> list[str]:
    published = stats(engine, area, period)
    return [percent(published["mediation_success_rate"]), percent(_resolution_rate(engine, area, period)),
            count_full(published["first_petitions"]), signed_percent(published["first_petitions_yoy"])]


def _read_tiles(page) -> list[str]:
    return [page.locator(f"#{Kpi.VALUE.of(k)}").inner_text() for k in TILE_IDS]


def test_tiles_equal_stats_and_the_grain_toggle_round_trips(page, live_server, demo_engine) -> None:
    want = _expected_tiles(demo_engine, city(demo_engine), YEAR)
    page.goto(live_server + "/resolution")
    page.wait_for_function(f"document.getElementById('{Kpi.VALUE.of(TILE_IDS[0])}')?.innerText === '{want[0]}'",
                           timeout=20_000)
    assert _read_tiles(page) == want
    page.wait_for_function(f"{TREND_POINTS_JS} === {len(buckets(YEAR, Grain.MONTH))}", timeout=20_000)
    for graph in (ResolutionPage.CATEGORIES, ResolutionPage.RANKING, ResolutionPage.PETITIONS,
                  ResolutionPage.REPEATS):
        page.wait_for_function(f"document.querySelector('#{graph} .js-plotly-plot')?.data?.length > 0",
                               timeout=20_000)
    ranking = page.evaluate(f"document.querySelector('#{ResolutionPage.RANKING} .js-plotly-plot').data"
                            ".find(t => t.name === '本期').y")
    assert sorted(n.split(" · ")[0] for n in ranking) == sorted(["宿城区", "宿豫区", "沭阳县", "泗阳县", "泗洪县"])
    page.wait_for_timeout(300)
    screenshot(page, "resolution", full_page=True)

    page.get_by_role("button", name="按周").click()
    page.wait_for_function("location.search.includes('grain=week')", timeout=15_000)
    page.wait_for_function(f"{TREND_POINTS_JS} === {len(buckets(YEAR, Grain.WEEK))}", timeout=20_000)
    expect(page.get_by_role("button", name="按周")).to_have_class(ACTIVE)
    assert _read_tiles(page) == want  # a trend setting, not a filter
    page.go_back()
    page.wait_for_function("!location.search.includes('grain=')", timeout=15_000)
    page.wait_for_function(f"{TREND_POINTS_JS} === {len(buckets(YEAR, Grain.MONTH))}", timeout=20_000)
    expect(page.get_by_role("button", name="按月")).to_have_class(ACTIVE)


def test_tiles_follow_the_area_in_the_url(page, live_server, demo_engine) -> None:
    area = find_area(demo_engine, "321322")
    period = Period(date(2023, 1, 1), date(2023, 9, 14))
    want = _expected_tiles(demo_engine, area, period)
    page.goto(live_server + "/resolution?area=321322&from=2023-01-01&to=2023-09-14&rank=resolution")
    page.wait_for_function(f"document.getElementById('{Kpi.VALUE.of(TILE_IDS[2])}')?.innerText === '{want[2]}'",
                           timeout=20_000)
    assert _read_tiles(page) == want
    expect(page.get_by_role("button", name="化解率")).to_have_class(ACTIVE)
    page.wait_for_function(f"document.querySelector('#{ResolutionPage.RANKING} .js-plotly-plot')?.layout?.xaxis"
                           "?.title?.text === '化解率'", timeout=20_000)
