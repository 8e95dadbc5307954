"""大屏 builders: the offline map, the trend, the flow Sankey and the red-card ticker carry the frames' values."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from dashboard.theme import KIND_COLORS, register_templates
from data.vocab import Kind
from layouts.figures import screen as fig

BOUNDS = pd.DataFrame([(117.93, 33.14, 119.17, 34.42)], columns=["lon_min", "lat_min", "lon_max", "lat_max"])
CHILDREN = pd.DataFrame({"code": ["321322000000", "321324000000", "321302000000"], "name": ["沭阳县", "泗洪县", "宿城区"],
                         "open": [260, 157, 0]})


@pytest.fixture(autouse=True, scope="module")
def _templates() -> None:
    register_templates()


def _texts(component) -> str:
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list):
        return "".join(_texts(c) for c in component)
    return _texts(getattr(component, "children", None))


def test_map_is_offline_choropleth() -> None:
    f = fig.map_figure(CHILDREN, "/geo/321300.geojson", "321300000000", BOUNDS)
    (trace,) = f.data
    assert trace.type == "choroplethmap"
    assert trace.geojson == "/geo/321300.geojson" and trace.featureidkey == "id"
    assert list(trace.locations) == list(CHILDREN["code"]) and list(trace.z) == [260, 157, 0]
    assert list(trace.text) == ["沭阳县", "泗洪县", "宿城区"]
    style = f.layout.map.style
    assert style["sources"] == {} and [layer["type"] for layer in style["layers"]] == ["background"]
    assert "glyphs" not in style and "sprite" not in style  # nothing MapLibre would fetch
    assert f.layout.uirevision == "321300000000"
    assert f.layout.map.center.lon == pytest.approx(118.55) and 33.14 < f.layout.map.center.lat < 34.42


def _pixel(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    world = 512 * 2**zoom
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180) / 360 * world, (1 - y / math.pi) / 2 * world


def test_map_view_fits_the_bounds_into_the_map() -> None:
    view = fig.map_view(BOUNDS, 744, 742)
    cx, cy = _pixel(view["center"]["lon"], view["center"]["lat"], view["zoom"])
    corners = [_pixel(lon, lat, view["zoom"]) for lon in (117.93, 119.17) for lat in (33.14, 34.42)]
    dx = max(abs(x - cx) for x, _ in corners)
    dy = max(abs(y - cy) for _, y in corners)
    assert dx <= 744 / 2 and dy <= 742 / 2  # everything inside
    assert max(dx / (744 / 2), dy / (742 / 2)) > 0.8  # and not lost in the middle
    assert fig.map_view(BOUNDS.iloc[0:0])["zoom"] > 0  # no geometry: a sane default


def test_ranking_top_ten_largest_on_top() -> None:
    df = pd.DataFrame({"code": [f"c{i}" for i in range(12)], "name": [f"镇{i}" for i in range(12)],
                       "open": list(range(120, 0, -10))})
    (bar,) = fig.ranking_figure(df).data
    assert list(bar.y) == [f"镇{i}" for i in range(9, -1, -1)] and list(bar.x) == list(range(30, 121, 10))
    assert fig.ranking_figure(df).layout.xaxis.range == (0, 120 * 1.22)  # room for the longest bar's label
    assert "没有在办" in fig.ranking_figure(df.assign(open=0)).layout.annotations[0].text


def test_trend_stacks_kinds_by_month() -> None:
    months = [date(2023, m, 1) for m in (11, 12)]
    df = pd.DataFrame([(m, str(k), i + 10 * j) for j, m in enumerate(months) for i, k in enumerate(Kind)],
                      columns=["month", "kind", "cases"])
    f = fig.trend_figure(df)
    assert f.layout.barmode == "stack"
    assert [t.name for t in f.data] == ["矛盾纠纷", "信访", "治安问题", "风险隐患"]
    assert [t.marker.color for t in f.data] == [KIND_COLORS[k] for k in Kind]
    assert list(f.data[1].y) == [1, 11]
    only = fig.trend_figure(df[df["kind"] == "hazard"])
    assert [t.name for t in only.data] == ["风险隐患"]


def test_flow_sankey() -> None:
    df = pd.DataFrame({"first_level": ["village", "village", "township"], "final_level": ["village", "county", "township"],
                       "cases": [90, 6, 40]})
    (sankey,) = fig.flow_figure(df).data
    assert sankey.type == "sankey"
    assert list(sankey.node.label[:4]) == ["村级受理", "乡镇级受理", "县区级受理", "市级受理"]
    assert list(sankey.node.label[4:]) == ["村级办结", "乡镇级办结", "县区级办结", "市级办结"]
    assert list(sankey.link.source) == [0, 0, 1] and list(sankey.link.target) == [4, 6, 5]
    assert list(sankey.link.value) == [90, 6, 40]
    colors = list(sankey.link.color)
    assert colors[1] != colors[0] == colors[2]  # the escalated flow stands out
    assert "没有受理" in fig.flow_figure(df.iloc[0:0]).layout.annotations[0].text


def test_flow_note() -> None:
    assert _texts(fig.flow_note(6, 136, 6 / 136 * 100)) == "提级办理 6 件，占受理 4.4%（共 136 件）"
    assert _texts(fig.flow_note(0, 0, float("nan"))) == "时段内没有受理案件"


def _red(n: int) -> pd.DataFrame:
    return pd.DataFrame({"case_no": [f"SQ{i}" for i in range(n)], "township": ["甲镇"] * n,
                         "village": [None] * n, "unit": ["甲镇综治中心"] * n,
                         "issued_at": pd.date_range("2023-12-30 10:00", periods=n, freq="-1h")})


def test_red_ticker_loops_long_lists() -> None:
    items, style, css = fig.red_ticker(_red(20))
    assert len(items) == 40 and css == "ticker-list"
    assert _texts(items[0]) == "12-30 10:00SQ0甲镇甲镇综治中心" and _texts(items[20]) == _texts(items[0])
    assert style == {"animationDuration": "60s"}


def test_red_ticker_short_and_empty_lists_stand_still() -> None:
    items, style, css = fig.red_ticker(_red(3))
    assert len(items) == 3 and style == {} and "still" in css
    items, _style, css = fig.red_ticker(_red(0))
    assert "暂无红牌" in _texts(items) and "still" in css
