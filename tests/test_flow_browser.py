"""Browser: /flow at 1920×1080 — clicking a flow-diagram node filters the other charts, back removes it."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

from browser_helpers import screenshot
from sqlalchemy import text

from dashboard.ids import FlowPage
from data.filters import Period, city
from data.queries.flow import NodeFamily, NodeFilter, weekly_flow

YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))  # the default view: this year up to the as-of date
GD = "document.querySelector('#{id} .js-plotly-plot')"
# A trace array as plain numbers: plotly.py sends numeric arrays base64-encoded ({dtype, bdata}).
DECODE_JS = (
    "const arr = v => { if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v);"
    " if (!v || !v.bdata) return [];"
    " const bin = atob(v.bdata), bytes = new Uint8Array(bin.length);"
    " for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);"
    " const T = {f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,"
    " u2: Uint16Array, i1: Int8Array, u1: Uint8Array}[v.dtype]; return Array.from(new T(bytes.buffer)); };"
)
# Sum of a series (legendgroup) over the weekly chart's traces; NaN/null (partial weeks off the line) skipped.
WEEKLY_SUM_JS = (
    "([sel, group]) => { " + DECODE_JS + " const gd = document.querySelector(sel); if (!gd || !gd.data) return -1;"
    " return gd.data.filter(t => t.legendgroup === group)"
    ".reduce((s, t) => s + arr(t.y).reduce((a, v) => a + (v === null || Number.isNaN(v) ? 0 : v), 0), 0); }"
)
TRACE_X_JS = "([sel, i]) => { " + DECODE_JS + " return arr(document.querySelector(sel).data[i].x); }"
WEEKLY_SEL = f"#{FlowPage.WEEKLY} .js-plotly-plot"
# Center of the node rect whose label starts with the given text.
NODE_BOX_JS = (
    "(prefix) => { for (const g of document.querySelectorAll('.sankey-node')) {"
    " const label = g.querySelector('.node-label'); if (!label || !label.textContent.startsWith(prefix)) continue;"
    " const r = g.querySelector('.node-rect').getBoundingClientRect();"
    " return {x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height}; } return null; }"
)


def _weekly_total(page, group: str = "intake") -> int:
    return int(page.evaluate(WEEKLY_SUM_JS, [WEEKLY_SEL, group]))


def _wait_weekly_total(page, want: int) -> None:
    page.wait_for_function(f"([sel, want]) => ({WEEKLY_SUM_JS})([sel, 'intake']) === want", arg=[WEEKLY_SEL, want],
                           timeout=20_000)


def _node_param(url: str) -> str | None:
    return (parse_qs(urlsplit(url).query).get("node") or [None])[0]


def _intake(engine, where: str = "1=1") -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM cases WHERE reported_at >= :lo AND reported_at < :hi "
                                 f"AND {where}"), {"lo": YEAR.lo, "hi": YEAR.hi}).scalar_one()


def test_clicking_a_sankey_node_filters_the_page_and_back_removes_it(page, live_server, demo_engine) -> None:
    everything = _intake(demo_engine)
    villages = _intake(demo_engine, "first_level = 'village'")
    node = NodeFilter(NodeFamily.FIRST, "village")
    assert int(weekly_flow(demo_engine, city(demo_engine), YEAR, (), node)["intake"].sum()) == villages < everything

    page.goto(live_server + "/flow")
    _wait_weekly_total(page, everything)
    page.wait_for_function(f"prefix => ({NODE_BOX_JS})(prefix) !== null", arg="首办·村级", timeout=20_000)
    assert f"受理 {everything:,} 件" in page.locator(f"#{FlowPage.CONTEXT}").inner_text()
    assert page.locator(f"#{FlowPage.CHIP}").is_hidden()
    page.wait_for_timeout(300)  # let the last transitions of the diagram settle before the screenshot
    screenshot(page, "flow")

    box = page.evaluate(NODE_BOX_JS, "首办·村级")
    assert box["h"] > 20, box  # a big node: the click lands on it, not on a link
    page.mouse.move(box["x"], box["y"])
    page.mouse.click(box["x"], box["y"])
    page.wait_for_function("location.search.includes('node=')", timeout=15_000)
    assert _node_param(page.url) == "first:village"
    _wait_weekly_total(page, villages)
    assert page.locator(f"#{FlowPage.CHIP_LABEL}").inner_text() == "首办·村级"
    # The modes ring counts the filtered intake in its center.
    page.wait_for_function(f"{GD.format(id=FlowPage.MODES)}.layout.annotations[0].text.includes('{villages:,}')",
                           timeout=15_000)
    # The escalation chart has no county→city step left for cases first handled by a village.
    steps = page.evaluate(TRACE_X_JS, [f"#{FlowPage.ESCALATIONS} .js-plotly-plot", 0])
    assert steps[2] == 0 and steps[0] > 0
    page.wait_for_timeout(300)
    screenshot(page, "flow-filtered")

    page.go_back()
    page.wait_for_function("!location.search.includes('node=')", timeout=15_000)
    _wait_weekly_total(page, everything)
    page.wait_for_function(f"document.getElementById('{FlowPage.CHIP}').hidden === true", timeout=15_000)


def test_the_chip_cross_clears_a_node_from_a_link(page, live_server, demo_engine) -> None:
    petitions = _intake(demo_engine, "kind = 'petition'")
    page.goto(live_server + "/flow?node=kind:petition")
    _wait_weekly_total(page, petitions)
    assert page.locator(f"#{FlowPage.CHIP_LABEL}").inner_text() == "信访"
    page.locator(f"#{FlowPage.CHIP_CLEAR}").click()
    page.wait_for_function("!location.search.includes('node=')", timeout=15_000)
    _wait_weekly_total(page, _intake(demo_engine))
    assert page.locator(f"#{FlowPage.CHIP}").is_hidden()
