"""地图 figure builders and the page's pure helpers: content, not just "returns a figure"."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from callbacks.map import clicked_code, map_query, parse_metric
from dashboard.theme import ACCENT, SMALL_SAMPLE, register_templates
from dashboard.urlstate import ViewState
from data.filters import AreaRef, Period
from data.queries.map import CHILD_METRIC_COLUMNS, Bounds, MapMetric
from data.vocab import Kind, Level
from layouts.figures.map import (
    CENTER_STYLE,
    MAP_SIZE_PX,
    SMALL_FLAG,
    TILE_PX,
    choropleth_map,
    fit_view,
    map_style,
    ranking_figure,
)

GEO_URL = "/geo/321322.geojson"
BOUNDS = Bounds(118.50, 33.89, 119.17, 34.42)


@pytest.fixture(autouse=True, scope="module")
def _templates() -> None:
    register_templates()


def children_frame() -> pd.DataFrame:
    """Four townships: a big one, a small-sample one, one without cases and one without population."""
    rows = [
        ("321322001000", "七雄街道", 68268, 189, 126, 112, 3, 1),
        ("321322002000", "十字街道", 79970, 429, 288, 254, 5, 2),
        ("321322003000", "南湖街道", 81601, 12, 9, 9, 0, 0),  # 100% from 9 disputes: a small sample
        ("321322004000", "沭城街道", 50000, 0, 0, 0, 0, 0),  # nothing at all: no rate
    ]
    frame = pd.DataFrame(rows, columns=["code", "name", "population", "cases", "handled", "mediated", "overdue",
                                        "red_cards"])
    frame["short"] = frame["code"].str[:9]
    frame["lon"] = [118.83, 118.77, 118.75, 118.80]
    frame["lat"] = [34.14, 34.10, 34.19, 34.12]
    frame["per_thousand"] = 1000 * frame["cases"] / frame["population"]
    frame["success_rate"] = (100 * frame["mediated"] / frame["handled"].where(frame["handled"] > 0)).astype(float)
    return frame[list(CHILD_METRIC_COLUMNS)]


def centers_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [(4, "沭阳县社会治理服务中心", "county", "321322000000", 118.81, 34.15, 14, 70),
         (52, "七雄街道社会治理服务中心", "township", "321322001000", 118.83, 34.14, 1, 3),
         (53, "十字街道社会治理服务中心", "township", "321322002000", 118.77, 34.10, 2, 5)],
        columns=["id", "name", "level", "area_code", "lon", "lat", "institutions", "staff"],
    )


def _traces(fig: go.Figure, kind: type) -> list:
    return [t for t in fig.data if isinstance(t, kind)]


def test_choropleth_references_geometry_by_url_and_matches_the_frame() -> None:
    df = children_frame()
    fig = choropleth_map(df, MapMetric.CASES, GEO_URL, BOUNDS, view_key="321322000000")
    chor = _traces(fig, go.Choroplethmap)
    assert len(chor) == 1  # counts are never greyed: 0 cases is a value
    trace = chor[0]
    assert trace.geojson == GEO_URL and trace.featureidkey == "id"
    assert list(trace.locations) == df["code"].tolist()
    assert list(trace.z) == df["cases"].tolist()
    custom = np.asarray(trace.customdata)
    assert custom[:, 0].tolist() == df["short"].tolist()
    assert custom[:, 1].tolist() == df["code"].tolist()
    assert custom[:, 2].tolist() == df["name"].tolist()
    assert custom[:, 3].tolist() == ["189", "429", "12", "0"]
    assert "样本少" in custom[2, 5] and "100.00%" in custom[2, 5]  # hover says what the rate rests on
    assert custom[3, 5].startswith("—")
    body = fig.to_json()
    assert '"coordinates"' not in body and "Polygon" not in body
    assert trace.zmin == 0 and trace.zmax == 429
    assert fig.layout.uirevision == "321322000000"


def test_map_style_fetches_nothing() -> None:
    """No tile, glyph or sprite URL; the one source is inline, empty and unused (see map_style)."""
    fig = choropleth_map(children_frame(), MapMetric.CASES, GEO_URL, BOUNDS)
    style = fig.layout.map.style
    assert style == map_style()
    assert "glyphs" not in style and "sprite" not in style
    for source in style["sources"].values():
        assert source["type"] == "geojson" and source["data"] == {"type": "FeatureCollection", "features": []}
        assert not {"url", "tiles"} & set(source)
    assert [layer["type"] for layer in style["layers"]] == ["background"]
    assert "source" not in style["layers"][0]
    assert "http" not in json.dumps(style) and "/" not in json.dumps(style["sources"])


def test_rate_metric_greys_small_samples_and_missing_values_on_the_map() -> None:
    df = children_frame()
    fig = choropleth_map(df, MapMetric.SUCCESS_RATE, GEO_URL, BOUNDS)
    grey, colored = _traces(fig, go.Choroplethmap)
    assert list(grey.locations) == ["321322003000", "321322004000"]
    assert {c for _, c in grey.colorscale} == {SMALL_SAMPLE} and grey.showscale is False
    assert list(colored.locations) == ["321322001000", "321322002000"]
    assert list(colored.z) == pytest.approx([100 * 112 / 126, 100 * 254 / 288], abs=1e-4)
    assert colored.colorbar.title.text == "调解成功率"


def test_centers_are_styled_by_level_and_only_child_centers_drill() -> None:
    fig = choropleth_map(children_frame(), MapMetric.CASES, GEO_URL, BOUNDS, centers_frame(), "township")
    county, township = _traces(fig, go.Scattermap)
    assert county.name == CENTER_STYLE["county"][0] and township.name == CENTER_STYLE["township"][0]
    assert county.marker.size > township.marker.size and county.marker.color != township.marker.color
    assert county.mode == township.mode == "markers"  # text would need glyphs from a server
    assert np.asarray(county.customdata)[:, 0].tolist() == [""]  # the county's own center: no drill
    custom = [list(row) for row in township.customdata]
    assert [row[0] for row in custom] == ["321322001", "321322002"]
    assert [row[3] for row in custom] == [1, 2] and [row[4] for row in custom] == [3, 5]
    assert "入驻机构" in township.hovertemplate and "入驻人员" in township.hovertemplate
    hidden = choropleth_map(children_frame(), MapMetric.CASES, GEO_URL, BOUNDS, None, "township")
    assert _traces(hidden, go.Scattermap) == [] and not hidden.layout.showlegend


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_fit_view_shows_the_whole_area() -> None:
    center, zoom = fit_view(BOUNDS)
    scale = TILE_PX * 2**zoom
    width_px = (BOUNDS.east - BOUNDS.west) / 360 * scale
    height_px = (_merc_y(BOUNDS.north) - _merc_y(BOUNDS.south)) / (2 * math.pi) * scale
    assert width_px <= MAP_SIZE_PX[0] and height_px <= MAP_SIZE_PX[1]
    assert max(width_px / MAP_SIZE_PX[0], height_px / MAP_SIZE_PX[1]) > 0.8  # fitted, not tiny
    assert BOUNDS.west < center["lon"] < BOUNDS.east and BOUNDS.south < center["lat"] < BOUNDS.north
    _, grid_zoom = fit_view(Bounds(118.7107, 34.2803, 118.7140, 34.2838))
    assert grid_zoom > zoom + 5


def test_ranking_is_sorted_with_small_samples_greyed_and_flagged() -> None:
    fig = ranking_figure(children_frame(), MapMetric.SUCCESS_RATE, "乡镇街道排名")
    bar = fig.data[0]
    assert bar.orientation == "h"
    # 南湖 100% (a small sample) first, then 七雄 88.89%, 十字 88.19%; the one without a rate last
    assert list(bar.y) == ["南湖街道", "七雄街道", "十字街道", "沭城街道"]
    assert list(bar.x)[:3] == pytest.approx([100.0, 100 * 112 / 126, 100 * 254 / 288], abs=1e-4)
    assert list(bar.marker.color) == [SMALL_SAMPLE, ACCENT, ACCENT, SMALL_SAMPLE]
    assert bar.text[0] == f"100.00%（{SMALL_FLAG}）" and bar.text[3] == "—"
    assert np.asarray(bar.customdata)[:, 0].tolist() == ["321322003", "321322001", "321322002", "321322004"]
    assert fig.layout.yaxis.autorange == "reversed"  # the first bar is drawn on top
    assert fig.layout.title.text == "乡镇街道排名"


def test_ranking_of_counts_has_no_small_sample_flag() -> None:
    bar = ranking_figure(children_frame(), MapMetric.CASES).data[0]
    assert list(bar.y) == ["十字街道", "七雄街道", "南湖街道", "沭城街道"]
    assert list(bar.x) == [429, 189, 12, 0] and SMALL_SAMPLE not in list(bar.marker.color)
    assert list(bar.text) == ["429", "189", "12", "0"]
    per_k = ranking_figure(children_frame(), MapMetric.PER_THOUSAND).data[0]
    assert per_k.text[0] == "5.36" and SMALL_FLAG in per_k.text[2]


def test_a_county_sized_figure_stays_small() -> None:
    """41 townships with every hover text and centers: well under the 30 KB a metric change may send."""
    base = children_frame().iloc[[0]]
    many = pd.concat([base] * 41, ignore_index=True)
    many["code"] = [f"321322{i:03d}000" for i in range(41)]
    many["short"] = many["code"].str[:9]
    centers = pd.concat([centers_frame().iloc[[1]]] * 41, ignore_index=True)
    fig = choropleth_map(many, MapMetric.CASES, GEO_URL, BOUNDS, centers, "township")
    size = len(fig.to_json()) + len(ranking_figure(many, MapMetric.CASES).to_json())
    assert size < 24_000


@pytest.mark.parametrize(("search", "metric"), [
    ("?area=321322&metric=overdue", MapMetric.OVERDUE), ("?metric=red_cards", MapMetric.RED_CARDS),
    ("?metric=bogus", MapMetric.CASES), ("", MapMetric.CASES), (None, MapMetric.CASES),
    (["?metric=overdue"], MapMetric.CASES), ("?metric=" + "x" * 5000, MapMetric.CASES),
])
def test_parse_metric_falls_back_on_anything_bad(search, metric) -> None:
    assert parse_metric(search) == metric


def test_map_query_keeps_the_view_and_adds_the_metric() -> None:
    state = ViewState(AreaRef("321322100000", Level.TOWNSHIP, "刘集镇"), Period(date(2023, 1, 1), date(2023, 6, 30)),
                      (Kind.DISPUTE,))
    assert map_query(state, MapMetric.SUCCESS_RATE) == (
        "?area=321322100&from=2023-01-01&to=2023-06-30&kind=dispute&metric=success_rate")


@pytest.mark.parametrize(("click", "code"), [
    ({"points": [{"customdata": ["321322", "321322000000", "沭阳县"]}]}, "321322"),
    ({"points": [{"customdata": ["", "321322000000", "中心"]}]}, None),
    ({"points": []}, None), (None, None), ("junk", None), ({"points": [{"customdata": ["../etc"]}]}, None),
])
def test_clicked_code_reads_the_drill_target(click, code) -> None:
    assert clicked_code(click) == code
