"""大屏 builders: pure functions from the screen queries' frames to figures and the red-card ticker.

Sized for a fixed 1920×1080 canvas (the screen scales the canvas, never the figures), with large fonts. The
map has no tile source and no text layer: MapLibre would otherwise fetch tiles or glyphs from another host.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.formatting import count_full, percent
from dashboard.theme import ACCENT, KIND_COLORS, PANEL, SEQUENTIAL, TEXT
from data.vocab import HANDLING_LABELS, HANDLING_ORDER, KIND_LABELS, HandlingLevel, Kind
from layouts.figures.common import empty_figure, figure, trace
from layouts.figures.overdue import text_or_blank

SCREEN_FONT = 17
# MapLibre style with no sources at all: one background layer, so the map requests nothing from anywhere.
OFFLINE_MAP_STYLE = {
    "version": 8,
    "name": "offline-dark",
    "sources": {},
    "layers": [{"id": "background", "type": "background", "paint": {"background-color": PANEL}}],
}
LEVEL_COLORS = {HandlingLevel.VILLAGE: "#36cfc9", HandlingLevel.TOWNSHIP: "#2ec7ff",
                HandlingLevel.COUNTY: "#faad14", HandlingLevel.CITY: "#ff7a45"}
# The map's size in design pixels (layouts.screen) and how much room to leave around the area, in zoom levels.
MAP_SIZE = (744, 742)
MAP_MARGIN_ZOOM = 0.12
# A ticker row takes this long to pass, so the speed is the same whatever the number of rows.
TICKER_SECONDS_PER_ROW = 3.0
TICKER_MIN_ROWS = 8


def _screen(left: int = 56, bottom: int = 40, top: int = 12, **layout) -> dict:
    """A panel's layout with the screen's margins, large font and panel background (`layout` adds to it)."""
    return {"margin": {"l": left, "r": 16, "t": top, "b": bottom}, "font": {"size": SCREEN_FONT},
            "paper_bgcolor": PANEL, "plot_bgcolor": PANEL, **layout}


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def map_view(bounds: pd.DataFrame, width: int = MAP_SIZE[0], height: int = MAP_SIZE[1]) -> dict:
    """Center and zoom that fit the bounding box (frame from area_bounds) into a map of width×height pixels.

    Computed here because there is no tile layer to fit to: MapLibre's world is 512·2^zoom pixels wide.
    """
    if bounds.empty:
        return {"center": {"lon": 118.55, "lat": 33.78}, "zoom": 7.6}
    b = bounds.iloc[0]
    x_span = max((b["lon_max"] - b["lon_min"]) / 360.0, 1e-6)
    y_span = max((_mercator_y(b["lat_max"]) - _mercator_y(b["lat_min"])) / (2 * math.pi), 1e-6)
    zoom = min(math.log2(width / (512 * x_span)), math.log2(height / (512 * y_span))) - MAP_MARGIN_ZOOM
    mid_y = (_mercator_y(b["lat_max"]) + _mercator_y(b["lat_min"])) / 2
    center_lat = math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)
    return {"center": {"lon": float((b["lon_min"] + b["lon_max"]) / 2), "lat": center_lat}, "zoom": round(zoom, 3)}


def map_figure(df: pd.DataFrame, geojson_url: str, revision: str, bounds: pd.DataFrame) -> go.Figure:
    """Children colored by open cases (frame: code, name, open); geometry is fetched once from `geojson_url`.

    The view frames `bounds` (the area's outline); `revision` (the area code) keeps a user's pan and zoom
    across the timed refreshes of the same area.
    """
    if df.empty:
        return empty_figure("该区域没有下级区域")
    choropleth = trace(go.Choroplethmap,
        geojson=geojson_url, featureidkey="id", locations=df["code"], z=df["open"], text=df["name"],
        colorscale=[[i / (len(SEQUENTIAL) - 1), c] for i, c in enumerate(SEQUENTIAL)],
        zmin=0, zmax=max(int(df["open"].max()), 1),
        marker={"line": {"color": "#7fb8ff", "width": 1.2}, "opacity": 0.9},
        colorbar={"title": {"text": "在办", "font": {"size": 15}}, "thickness": 14, "len": 0.55, "x": 0.99,
                  "xanchor": "right", "bgcolor": "rgba(6,16,31,0.6)", "tickfont": {"size": 14}},
        hovertemplate="%{text}<br>在办案件 %{z} 件<extra></extra>",
    )
    view = {"style": OFFLINE_MAP_STYLE, **map_view(bounds)}
    return figure([choropleth], _screen(left=0, bottom=0, top=0, map=view, uirevision=revision))


def ranking_figure(df: pd.DataFrame, limit: int = 10) -> go.Figure:
    """The children with the most open cases (frame: code, name, open) as horizontal bars, largest on top."""
    top = df.head(limit)
    if top.empty or int(top["open"].sum()) == 0:
        return empty_figure("时段末没有在办案件")
    rows = top.iloc[::-1]
    bar = trace(go.Bar, x=rows["open"], y=rows["name"], orientation="h", text=rows["open"], textposition="outside",
                constraintext="none", cliponaxis=False, marker={"color": ACCENT}, customdata=rows["code"],
                hovertemplate="%{y}<br>在办 %{x} 件<extra></extra>")
    # Room right of the longest bar for its label (outside labels past the plot were cut at the figure's edge).
    room = float(rows["open"].max()) * 1.22
    return figure([bar], _screen(left=8, bottom=8, top=8, bargap=0.3, xaxis={"visible": False, "range": [0, room]},
                                 yaxis={"automargin": True}))


def trend_figure(df: pd.DataFrame) -> go.Figure:
    """Monthly intake stacked by kind (frame: month, kind, cases) over the last 12 months."""
    if df.empty or int(df["cases"].sum()) == 0:
        return empty_figure("近12个月没有受理案件")
    bars = []
    for kind in Kind:
        part = df[df["kind"] == str(kind)]
        if part.empty:
            continue
        bars.append(trace(go.Bar, x=pd.to_datetime(part["month"]), y=part["cases"], name=KIND_LABELS[kind],
                          marker={"color": KIND_COLORS[kind]},
                          hovertemplate=f"%{{x|%Y年%-m月}}<br>{KIND_LABELS[kind]} %{{y}} 件<extra></extra>"))
    return figure(bars, _screen(
        top=44, barmode="stack", bargap=0.25,
        legend={"orientation": "h", "x": 0, "y": 1.14, "font": {"size": 15}, "traceorder": "normal"},
        xaxis={"tickformat": "%-m月", "dtick": "M1", "tickangle": 0, "tickfont": {"size": 14}},
        yaxis={"title": {"text": "件"}}))


def flow_figure(df: pd.DataFrame) -> go.Figure:
    """Sankey from the level that first handled a case to the level that finished it (frame from flow_levels)."""
    if df.empty or int(df["cases"].sum()) == 0:
        return empty_figure("时段内没有受理案件")
    levels = list(HANDLING_ORDER)
    index = {str(lv): i for i, lv in enumerate(levels)}
    labels = [f"{HANDLING_LABELS[lv]}受理" for lv in levels] + [f"{HANDLING_LABELS[lv]}办结" for lv in levels]
    colors = [LEVEL_COLORS[lv] for lv in levels] * 2
    up = df["final_level"].map(index) > df["first_level"].map(index)
    sankey = trace(go.Sankey,
        arrangement="fixed",
        node={"label": labels, "color": colors, "pad": 14, "thickness": 18, "line": {"width": 0}},
        link={
            "source": df["first_level"].map(index).tolist(),
            "target": (df["final_level"].map(index) + len(levels)).tolist(),
            "value": df["cases"].tolist(),
            "color": ["rgba(250,173,20,0.55)" if u else "rgba(46,199,255,0.22)" for u in up],
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value} 件<extra></extra>",
        },
        textfont={"size": 16, "color": TEXT},
    )
    return figure([sankey], _screen(left=8, bottom=8, top=8))


def flow_note(escalated: int, total: int, share: float) -> list:
    """The sentence under the Sankey: how many cases went up a level."""
    if total == 0:
        return ["时段内没有受理案件"]
    return ["提级办理 ", html.Strong(count_full(escalated)), " 件，占受理 ", html.Strong(percent(share, 1)),
            f"（共 {count_full(total)} 件）"]


def _ticker_row(row: Any) -> html.Li:
    place = f"{text_or_blank(row.township)}{text_or_blank(row.village)}"
    return html.Li([
        html.Span(pd.Timestamp(row.issued_at).strftime("%m-%d %H:%M"), className="ticker-time"),
        html.Span(row.case_no, className="ticker-no"),
        html.Span(place, className="ticker-place"),
        html.Span(row.unit, className="ticker-unit"),
    ])


def red_ticker(df: pd.DataFrame) -> tuple[list, dict, str]:
    """The red-card list (frame from latest_red_cards) as (items, style, class) for a CSS-animated ticker.

    Long lists are rendered twice and scrolled by half their height, so the loop is seamless; a short list
    stands still (nothing to scroll).
    """
    if df.empty:
        return [html.Li("暂无红牌督办", className="ticker-empty")], {}, "ticker-list still"
    rows = [_ticker_row(r) for r in df.itertuples(index=False)]
    if len(rows) < TICKER_MIN_ROWS:
        return rows, {}, "ticker-list still"
    seconds = math.ceil(len(rows) * TICKER_SECONDS_PER_ROW)
    return rows + rows, {"animationDuration": f"{seconds}s"}, "ticker-list"  # the same rows, serialized twice

