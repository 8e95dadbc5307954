"""Browser: the home page at 1920×1080 shows the KPI tiles the queries compute, in Chinese, offline."""

from __future__ import annotations

import pytest
from browser_helpers import screenshot

from dashboard.formatting import count_cn, count_full, percent
from dashboard.ids import Filters, Kpi
from data.filters import Period, city, find_area
from data.queries.summary import headline_kpis

FORMATS = {"success_rate": percent, "grids": count_cn, "grid_liaisons": count_cn}
KEYS = ("disputes_handled", "success_rate", "cases_open", "red_cards", "intake", "institutions", "center_staff",
        "grids", "grid_liaisons", "demo_grids", "villages")


def expected_tiles(engine, area, period) -> dict[str, str]:
    row = headline_kpis(engine, area, period).iloc[0]
    return {k: FORMATS.get(k, count_full)(row[k]) for k in KEYS}


def read_tiles(page) -> dict[str, str]:
    return {k: page.locator(f"#{Kpi.VALUE.of(k)}").inner_text() for k in KEYS}


@pytest.mark.parametrize(
    ("query", "code", "period"),
    [
        ("", None, None),
        ("?area=321322&from=2023-01-01&to=2023-09-14", "321322", ("2023-01-01", "2023-09-14")),
    ],
)
def test_home_tiles_show_computed_numbers(page, live_server, demo_engine, query, code, period) -> None:
    from datetime import date

    area = find_area(demo_engine, code) if code else city(demo_engine)
    p = Period(date.fromisoformat(period[0]), date.fromisoformat(period[1])) if period else \
        Period(date(2023, 1, 1), date(2023, 12, 31))
    want = expected_tiles(demo_engine, area, p)
    page.goto(live_server + "/" + query)
    page.wait_for_function(
        f"document.getElementById('{Kpi.VALUE.of('disputes_handled')}')?.innerText === '{want['disputes_handled']}'",
        timeout=15_000,
    )
    assert read_tiles(page) == want
    assert area.name in page.locator(f"#{Filters.BREADCRUMB}").inner_text()
    assert "宿迁市社会治理现代化指挥中心" in page.inner_text("header")
    screenshot(page, "home" if not code else "home-shuyang")


def test_quick_pick_changes_tiles_to_query_value(page, live_server, demo_engine) -> None:
    page.goto(live_server + "/")
    page.wait_for_function(f"(document.getElementById('{Kpi.VALUE.of('intake')}')?.innerText || '—') !== '—'")
    page.get_by_role("link", name="本月").click()
    want = expected_tiles(demo_engine, city(demo_engine), Period(date_(2023, 12, 1), date_(2023, 12, 31)))
    page.wait_for_function(
        f"document.getElementById('{Kpi.VALUE.of('intake')}')?.innerText === '{want['intake']}'", timeout=15_000
    )
    assert "from=2023-12-01" in page.url
    assert read_tiles(page) == want
    page.go_back()
    page.wait_for_function("!window.location.search.includes('from=2023-12-01')")


def date_(y: int, m: int, d: int):
    from datetime import date

    return date(y, m, d)
