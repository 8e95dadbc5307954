"""Browser: drill the map city → county → township → village → grid by clicking it, then step back.

Clicks land where a person would click: the child's representative point, projected to the screen by the
MapLibre map itself. Numbers on screen are compared with what the query layer returns.
"""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_helpers import screenshot, wait_for_callbacks

from dashboard.ids import Filters, MapPage
from data.filters import Period, city, find_area
from data.queries.map import METRIC_LABELS, MapMetric, centers_in_view, child_metrics, recent_cases
from data.vocab import Level
from layouts.figures.map import format_metric, ranking_order

YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))  # the default view: this year up to the data's date
GD = "document.querySelector('#{id} .js-plotly-plot')"
MAP_READY_JS = """
([sel, code]) => {
  const gd = document.querySelector(sel);
  const sp = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
  if (!sp || !sp.map || !sp.map.loaded() || sp.map.isMoving()) return false;
  const codes = gd.data.flatMap(t => t.type === 'choroplethmap' ? t.locations : []);
  return codes.includes(code) && sp.map.queryRenderedFeatures().length > 0;
}
"""
# Screen position of a lon/lat on the map and whether a choropleth polygon is drawn there (not under the
# color bar, which sits above the map on the right).
PROJECT_JS = """
([sel, lon, lat]) => {
  const gd = document.querySelector(sel);
  const map = gd._fullLayout.map._subplot.map;
  const p = map.project([lon, lat]);
  const box = map.getContainer().getBoundingClientRect();
  const hit = map.queryRenderedFeatures([p.x, p.y]).length > 0;
  const bar = gd.querySelector('.colorbar');
  const barBox = bar ? bar.getBoundingClientRect() : null;
  const x = box.left + p.x, y = box.top + p.y;
  const underBar = !!barBox && x >= barBox.left - 10 && y >= barBox.top - 10 && y <= barBox.bottom + 10;
  const inside = p.x > 20 && p.y > 20 && p.x < box.width - 20 && p.y < box.height - 20;
  return {x, y, ok: hit && inside && !underBar};
}
"""
MAP_SEL = f"#{MapPage.GRAPH} .js-plotly-plot"
RANKING_SEL = f"#{MapPage.RANKING} .js-plotly-plot"


def area_param(url: str) -> str | None:
    return (parse_qs(urlsplit(url).query).get("area") or [None])[0]


def wait_for_map(page, code: str) -> None:
    """The map shows `code` among its areas and MapLibre has drawn them."""
    page.wait_for_function(MAP_READY_JS, arg=[MAP_SEL, code], timeout=20_000)


def wait_for_title(page, name: str) -> None:
    page.wait_for_function(
        f"document.getElementById('{MapPage.AREA_NAME}')?.innerText === {json.dumps(name)}", timeout=20_000)


def click_child(page, engine, area):
    """Click the busiest child of `area` whose representative point is clearly on the map."""
    children = child_metrics(engine, area, YEAR).sort_values(["cases", "code"], ascending=[False, True])
    for row in children.itertuples(index=False):
        spot = page.evaluate(PROJECT_JS, [MAP_SEL, row.lon, row.lat])
        if spot["ok"]:
            page.mouse.move(spot["x"], spot["y"])
            page.wait_for_selector(f"#{MapPage.GRAPH} .hoverlayer .hovertext", timeout=10_000)
            page.mouse.click(spot["x"], spot["y"])
            return row
    pytest.fail(f"no child of {area.name} could be clicked on the map")


def hide_centers(page) -> None:
    """Untick the centers toggle so that clicks hit the areas, and check the markers went away."""
    page.get_by_label("显示服务中心").uncheck()
    page.wait_for_function(f"!{GD.format(id=MapPage.GRAPH)}.data.some(t => t.type === 'scattermap')",
                           timeout=15_000)


def test_drill_by_clicking_the_map_and_back(page, live_server, demo_engine) -> None:
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if (
        "/_dash-update-component" in r.url or "/geo/" in r.url) and r.status == 200 else None)
    page.goto(live_server + "/map")
    area = city(demo_engine)
    first = child_metrics(demo_engine, area, YEAR)["code"].iloc[0]
    wait_for_title(page, area.name)
    wait_for_map(page, first)
    centers = centers_in_view(demo_engine, area)
    n_center_traces = page.evaluate(f"{GD.format(id=MapPage.GRAPH)}.data.filter(t => t.type === 'scattermap')"
                                    ".reduce((n, t) => n + t.lon.length, 0)")
    assert n_center_traces == len(centers) == 6  # the city center and five county centers
    screenshot(page, "map-city")
    hide_centers(page)

    trail = [(None, area.name)]
    names = {Level.COUNTY: "county", Level.TOWNSHIP: "township", Level.VILLAGE: "village", Level.GRID: "grid"}
    drill_bytes = []
    while area.level != Level.GRID:
        sizes.clear()
        row = click_child(page, demo_engine, area)
        page.wait_for_function(f"location.search.includes('area={row.short}&')", timeout=20_000)
        wait_for_title(page, row.name)
        area = find_area(demo_engine, row.short)
        wait_for_map(page, child_metrics(demo_engine, area, YEAR)["code"].iloc[0])
        wait_for_callbacks(page)
        drill_bytes.append(sum(sizes))
        assert area_param(page.url) == row.short
        assert row.name in page.locator(f"#{Filters.BREADCRUMB}").inner_text()
        trail.append((row.short, row.name))
        page.mouse.move(5, 1075)  # let the hover label go before the picture
        screenshot(page, f"map-{names[area.level]}")

    panel = page.locator(f"#{MapPage.GRID_PANEL}")
    assert panel.is_visible() and not page.locator(f"#{MapPage.RANKING}").is_visible()
    assert "微网格联络员" in panel.inner_text() and "网格员" in panel.inner_text()
    recent = recent_cases(demo_engine, area, YEAR)
    assert page.locator(f"#{MapPage.GRID_CASES} tbody tr").count() == len(recent)
    if len(recent):
        assert recent["case_no"].iloc[0] in panel.inner_text()
    assert max(drill_bytes) <= 300 * 1024, drill_bytes

    for short, name in reversed(trail[:-1]):
        page.go_back()
        wait_for_title(page, name)
        assert area_param(page.url) == short
    assert page.locator(f"#{MapPage.RANKING}").is_visible()


def test_metric_change_updates_ranking_to_the_query_value(page, live_server, demo_engine) -> None:
    area = find_area(demo_engine, "321322")
    page.goto(live_server + "/map?area=321322")
    children = child_metrics(demo_engine, area, YEAR)
    wait_for_title(page, area.name)
    wait_for_map(page, children["code"].iloc[0])
    for metric in (MapMetric.OVERDUE, MapMetric.SUCCESS_RATE):
        responses = []
        page.on("response", lambda r, out=responses: out.append(r) if "/_dash-update-component" in r.url else None)
        page.get_by_label(METRIC_LABELS[metric], exact=True).check()
        page.wait_for_function(f"location.search.includes('metric={metric}')", timeout=15_000)
        top = ranking_order(children, metric).iloc[0]
        want = format_metric(metric, top[str(metric)])
        page.wait_for_function(
            f"{GD.format(id=MapPage.RANKING)}?.data?.[0]?.y?.[0] === {json.dumps(top['name'])} && "
            f"String({GD.format(id=MapPage.RANKING)}.data[0].text[0]).startsWith({json.dumps(want)})",
            timeout=15_000)
        first_label = page.locator(f"{RANKING_SEL} g.point text").first.text_content()
        assert first_label.startswith(want)
        assert METRIC_LABELS[metric] in page.locator(f"#{MapPage.SUBTITLE}").inner_text()
        wait_for_callbacks(page)
        figure_bodies = [len(r.body()) for r in responses if MapPage.GRAPH in r.text()]
        assert figure_bodies and max(figure_bodies) <= 30 * 1024, figure_bodies
    page.mouse.move(5, 1075)
    screenshot(page, "map-county-success-rate")
    page.go_back()
    page.wait_for_function(f"location.search.includes('metric={MapMetric.OVERDUE}')", timeout=15_000)
    page.wait_for_function(
        f"document.querySelector('#{MapPage.METRIC} input[value={MapMetric.OVERDUE}]').checked", timeout=15_000)


def test_clicking_a_ranking_bar_drills_in(page, live_server, demo_engine) -> None:
    area = city(demo_engine)
    page.goto(live_server + "/map?metric=red_cards")
    wait_for_title(page, area.name)
    top = ranking_order(child_metrics(demo_engine, area, YEAR), MapMetric.RED_CARDS).iloc[0]
    page.wait_for_function(f"{GD.format(id=MapPage.RANKING)}?.data?.[0]?.y?.[0] === {json.dumps(top['name'])}",
                           timeout=15_000)
    box = page.locator(f"{RANKING_SEL} g.point path").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_title(page, top["name"])
    assert area_param(page.url) == top["short"] and "metric=red_cards" in page.url
    # The county's own center and its township centers, as markers on the county map.
    n_centers = len(centers_in_view(demo_engine, find_area(demo_engine, top["short"])))
    assert n_centers > 1
    page.wait_for_function(f"{GD.format(id=MapPage.GRAPH)}.data.filter(t => t.type === 'scattermap')"
                           f".reduce((n, t) => n + t.lon.length, 0) === {n_centers}", timeout=15_000)
