"""地图 figures: the children choropleth with service centers, and the ranking of the children.

Pure builders: DataFrames from `data.queries.map` in, `go.Figure` out. The choropleth references its
geometry by URL (`/geo/<code>.geojson`), which plotly.js fetches once and the browser caches, so a change
of metric or period sends values only. The map style names no tiles, glyphs or sprites: nothing is asked
of any tile or font server. Figures are built in one `go.Figure(data, layout)` call (repeated
`update_layout` calls cost tens of milliseconds per callback).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_full, percent
from dashboard.theme import (
    ACCENT,
    BACKGROUND,
    BORDER,
    MUTED,
    PANEL,
    SEQUENTIAL,
    SMALL_SAMPLE,
    TEXT,
)
from data.filters import short_code
from data.queries.map import METRIC_LABELS, METRIC_SAMPLE, Bounds, MapMetric
from data.rules import SMALL_SAMPLE_MIN
from data.vocab import CenterLevel
from layouts.figures.common import empty_figure, figure

SMALL_FLAG = "样本少"
NO_VALUE = "—"
TILE_PX = 512  # MapLibre's world is 512 px wide at zoom 0
MAX_ZOOM = 17.5
# The map's usual size on a 1920×1080 wall screen; the fitted zoom leaves a margin around the area.
MAP_SIZE_PX = (1100, 780)
FIT_MARGIN = 0.92

# Service centers by level: the bigger the center, the bigger and warmer the dot (circles only: other
# marker symbols need a sprite sheet from a server).
CENTER_STYLE: dict[CenterLevel, tuple[str, int, str]] = {
    CenterLevel.CITY: ("市级指挥中心", 26, "#ffd666"),
    CenterLevel.COUNTY: ("县区服务中心", 18, "#ff9c6e"),
    CenterLevel.TOWNSHIP: ("乡镇服务中心", 13, "#5cdbd3"),
    CenterLevel.VILLAGE: ("村社区服务站", 9, "#d3adf7"),
}
AREA_HOVER = (
    "<b>%{customdata[2]}</b>　%{customdata[0]}<br>案件数　%{customdata[3]}<br>每千人案件数　%{customdata[4]}"
    "<br>调解成功率　%{customdata[5]}<br>逾期在办　%{customdata[6]}<br>红牌　%{customdata[7]}<extra></extra>"
)
CENTER_HOVER = "<b>%{customdata[2]}</b><br>入驻机构　%{customdata[3]} 家<br>入驻人员　%{customdata[4]} 人<extra></extra>"


def map_style() -> dict:
    """A MapLibre style with a single dark background layer: nothing to fetch (no tiles, glyphs or sprites).

    `sources` holds one inline, empty and unused GeoJSON source instead of being `{}`: plotly.js drops
    empty objects from the layout on every update after the first, and a style without `sources` fails
    MapLibre's validation ("Map error"). An inline source is never requested from anywhere.
    """
    empty = {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}
    return {"version": 8, "sources": {"none": empty},
            "layers": [{"id": "bg", "type": "background", "paint": {"background-color": BACKGROUND}}]}


def format_metric(metric: MapMetric, value: float) -> str:
    """A metric's value as shown on screen (rates with their unit, counts with separators)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    if metric == MapMetric.SUCCESS_RATE:
        return percent(value)
    if metric == MapMetric.PER_THOUSAND:
        return f"{value:.2f}"
    return count_full(value)


def small_sample(children: pd.DataFrame, metric: MapMetric) -> pd.Series:
    """True where the metric is a rate computed from fewer than SMALL_SAMPLE_MIN cases."""
    column = METRIC_SAMPLE.get(metric)
    if column is None:
        return pd.Series(False, index=children.index)
    return children[column] < SMALL_SAMPLE_MIN


def metric_labels(children: pd.DataFrame, metric: MapMetric) -> list[str]:
    """Each child's value text for the metric, flagged when the sample is small."""
    small = small_sample(children, metric)
    return [format_metric(metric, v) + (f"（{SMALL_FLAG}）" if s and not _missing(v) else "")
            for v, s in zip(children[str(metric)], small, strict=True)]


def _missing(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _rate_text(metric: MapMetric, value: float, sample: int, what: str) -> str:
    """A rate for the hover, with the count it rests on, so that 100% from 2 cases reads as such."""
    if _missing(value):
        return f"{NO_VALUE}（无{what}）"
    flag = f"，{SMALL_FLAG}" if sample < SMALL_SAMPLE_MIN else ""
    return f"{format_metric(metric, value)}（{what}{count_full(sample)}件{flag}）"


def area_customdata(children: pd.DataFrame) -> np.ndarray:
    """Per child: short code, full code, name, then the hover's texts for every metric."""
    columns = ("short", "code", "name", "cases", "per_thousand", "handled", "success_rate", "overdue", "red_cards")
    rows = [
        [short, code, name, count_full(cases), _rate_text(MapMetric.PER_THOUSAND, per_k, cases, "案件"),
         _rate_text(MapMetric.SUCCESS_RATE, rate, handled, "办结纠纷"), count_full(overdue), count_full(red)]
        for short, code, name, cases, per_k, handled, rate, overdue, red in zip(
            *(children[c].tolist() for c in columns), strict=True)
    ]
    return np.array(rows, dtype=object).reshape(len(rows), 8)


def fit_view(bounds: Bounds, size_px: tuple[int, int] = MAP_SIZE_PX) -> tuple[dict[str, float], float]:
    """Center and zoom showing the whole box in a map of `size_px`, in Web Mercator like MapLibre."""

    def merc_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    width, height = size_px[0] * FIT_MARGIN, size_px[1] * FIT_MARGIN
    d_lon = max(bounds.east - bounds.west, 1e-6)
    d_y = max(merc_y(bounds.north) - merc_y(bounds.south), 1e-8)
    zoom_x = math.log2(width * 360.0 / (TILE_PX * d_lon))
    zoom_y = math.log2(height * 2 * math.pi / (TILE_PX * d_y))
    mid_y = (merc_y(bounds.north) + merc_y(bounds.south)) / 2
    lat = math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)
    center = {"lon": round((bounds.east + bounds.west) / 2, 6), "lat": round(lat, 6)}
    return center, round(min(zoom_x, zoom_y, MAX_ZOOM), 3)


def choropleth_map(
    children: pd.DataFrame,
    metric: MapMetric,
    geojson_url: str,
    bounds: Bounds,
    centers: pd.DataFrame | None = None,
    child_center_level: str | None = None,
    view_key: str = "",
) -> go.Figure:
    """The children colored by the metric; greyed where the metric has no value or a small sample.

    `centers` (None = hidden) adds one marker trace per center level; centers at `child_center_level`
    carry their area's short code as drill target. `view_key` keeps the user's pan/zoom until the area
    changes.
    """
    custom = area_customdata(children)
    values = children[str(metric)].astype("float64")
    grey = values.isna().to_numpy() | small_sample(children, metric).to_numpy()
    line = {"color": "#4a78b0", "width": 1.2}
    traces: list[dict] = []
    if grey.any():
        traces.append({
            "type": "choroplethmap", "geojson": geojson_url, "featureidkey": "id",
            "locations": children["code"][grey].tolist(), "z": [0] * int(grey.sum()),
            "customdata": custom[grey].tolist(), "hovertemplate": AREA_HOVER, "name": "样本少或无数据",
            "colorscale": [[0, SMALL_SAMPLE], [1, SMALL_SAMPLE]], "showscale": False,
            "marker": {"line": line, "opacity": 0.55},
        })
    if (~grey).any():
        zmin, zmax = _z_range(metric, values[~grey])
        traces.append({
            "type": "choroplethmap", "geojson": geojson_url, "featureidkey": "id",
            "locations": children["code"][~grey].tolist(), "z": values[~grey].round(4).tolist(),
            "customdata": custom[~grey].tolist(), "hovertemplate": AREA_HOVER, "name": METRIC_LABELS[metric],
            "colorscale": _colorscale(), "zmin": zmin, "zmax": zmax, "marker": {"line": line, "opacity": 0.85},
            "colorbar": _colorbar(metric, zmax),
        })
    if centers is not None:
        traces += center_traces(centers, child_center_level)
    center, zoom = fit_view(bounds)
    layout = {
        "map": {"style": map_style(), "center": center, "zoom": zoom},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "paper_bgcolor": BACKGROUND, "uirevision": view_key,
        "showlegend": centers is not None and not centers.empty, "clickmode": "event",
        "legend": {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top", "bgcolor": "rgba(12,26,46,0.85)",
                   "bordercolor": BORDER, "borderwidth": 1, "font": {"size": 14}},
        "hoverlabel": {"bgcolor": PANEL, "bordercolor": ACCENT, "font": {"size": 15, "color": TEXT}},
    }
    return figure(traces, layout)


def _z_range(metric: MapMetric, values: pd.Series) -> tuple[float | None, float | None]:
    """Counts are colored from zero (a dark area means few cases); rates span their own range."""
    if metric in METRIC_SAMPLE:
        return None, None
    return 0.0, max(float(values.max()), 1.0)


def _colorscale() -> list[list]:
    steps = len(SEQUENTIAL) - 1
    return [[i / steps, c] for i, c in enumerate(SEQUENTIAL)]


def _colorbar(metric: MapMetric, zmax: float | None) -> dict:
    """The scale inside the map's right edge; small counts tick by whole cases (no "0.5 件")."""
    bar = {"title": {"text": METRIC_LABELS[metric], "font": {"size": 14}}, "x": 0.99, "xanchor": "right",
           "y": 0.5, "len": 0.55, "thickness": 14, "bgcolor": "rgba(12,26,46,0.85)", "outlinewidth": 0,
           "tickfont": {"size": 13}}
    if zmax is not None and zmax <= 10:
        bar["dtick"] = 1
    return bar


def center_traces(centers: pd.DataFrame, child_center_level: str | None) -> list[dict]:
    """One marker trace per center level, styled by level; hover gives institutions and staff."""
    traces = []
    for level, (label, size, color) in CENTER_STYLE.items():
        rows = centers[centers["level"] == str(level)]
        if rows.empty:
            continue
        target = [short_code(c) if str(level) == child_center_level else "" for c in rows["area_code"]]
        custom = [list(r) for r in zip(target, rows["area_code"], rows["name"], rows["institutions"].tolist(),
                                       rows["staff"].tolist(), strict=True)]
        traces.append({
            "type": "scattermap", "lon": rows["lon"].round(6).tolist(), "lat": rows["lat"].round(6).tolist(),
            "mode": "markers", "name": label, "marker": {"size": size, "color": color, "opacity": 0.95},
            "customdata": custom, "hovertemplate": CENTER_HOVER,
        })
    return traces


def ranking_order(children: pd.DataFrame, metric: MapMetric) -> pd.DataFrame:
    """Children sorted by the metric, highest first; those without a value last (then by code)."""
    key = children[str(metric)]
    return children.assign(_missing=key.isna(), _key=key.fillna(0)).sort_values(
        ["_missing", "_key", "code"], ascending=[True, False, True], kind="stable"
    ).drop(columns=["_missing", "_key"])


def ranking_figure(children: pd.DataFrame, metric: MapMetric, title: str = "") -> go.Figure:
    """Horizontal bars of the children by the metric, sorted; small-sample rates greyed and flagged."""
    if children.empty:
        return empty_figure(title=title or None)
    ordered = ranking_order(children, metric)
    small = small_sample(ordered, metric).to_numpy()
    values = ordered[str(metric)].astype("float64")
    colors = [SMALL_SAMPLE if s else ACCENT for s in small]
    labels = metric_labels(ordered, metric)
    sample_col = METRIC_SAMPLE.get(metric, "cases")
    custom = [list(r) for r in zip(ordered["short"], ordered["code"], ordered["name"],
                                   [count_full(n) for n in ordered[sample_col]], strict=True)]
    bar = {
        "type": "bar", "x": values.fillna(0).round(4).tolist(), "y": ordered["name"].tolist(), "orientation": "h",
        "text": labels, "textposition": "outside", "cliponaxis": False, "marker": {"color": colors},
        "customdata": custom, "textfont": {"size": _bar_font(len(ordered)), "color": TEXT},
        "hovertemplate": "<b>%{customdata[2]}</b>　%{customdata[0]}<br>" + METRIC_LABELS[metric] + "　%{text}<br>"
        + ("办结纠纷" if sample_col == "handled" else "案件") + "　%{customdata[3]} 件<extra></extra>",
    }
    top = float(values.max()) if values.notna().any() else 0.0
    layout = {
        "margin": {"l": 8, "r": 24, "t": 44 if title else 8, "b": 8}, "bargap": 0.25,
        "showlegend": False, "dragmode": False, "clickmode": "event",
        "xaxis": {"visible": False, "range": [0, top * 1.28 if top > 0 else 1], "fixedrange": True},
        "yaxis": {"autorange": "reversed", "automargin": True, "tickfont": {"size": _bar_font(len(ordered))},
                  "color": MUTED, "fixedrange": True},
    }
    if title:
        layout["title"] = {"text": title, "x": 0.01, "xanchor": "left"}
    return figure([bar], layout)


def _bar_font(n: int) -> int:
    """Bar labels shrink as bars get thinner so 50 grids still fit on one screen."""
    return 16 if n <= 12 else 14 if n <= 28 else 12
