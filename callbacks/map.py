"""地图 callbacks: draw the map and ranking for the URL's view; a click or a metric choice writes the URL.

The URL is the only state: drilling and changing the metric push a history entry, so the browser's back
button steps back through them, and a reload or a shared link shows the same map.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import Dash, Input, Output, State, ctx, no_update

from callbacks.common import current_view, run_query
from dashboard.formatting import period_cn
from dashboard.geo_routes import geo_url
from dashboard.ids import MapPage, Shell
from dashboard.urlstate import MAX_PARAM, ViewState
from data.filters import find_area, short_code
from data.queries.base import child_level
from data.queries.map import (
    DEFAULT_METRIC,
    METRIC_LABELS,
    MapMetric,
    area_bounds,
    centers_in_view,
    child_metrics,
    grid_workers,
    recent_cases,
)
from data.vocab import KIND_LABELS, LEVEL_LABELS, Level
from layouts.figures.map import choropleth_map, ranking_figure
from layouts.map import grid_panel

SIDE_CLASS = "map-side"


def parse_metric(search: object) -> MapMetric:
    """The `metric` URL param; anything missing, unknown or not a string means the default (案件数)."""
    text = search[:2000] if isinstance(search, str) else ""
    raw = (parse_qs(text.lstrip("?")).get("metric") or [""])[0][:MAX_PARAM]
    return MapMetric(raw) if raw in set(MapMetric) else DEFAULT_METRIC


def map_query(state: ViewState, metric: MapMetric) -> str:
    """The query string of a map view: the shared view plus this page's metric."""
    return f"{state.query()}&{urlencode({'metric': str(metric)})}"


def clicked_code(click: Any) -> str | None:
    """The drill target of a click on an area, a bar or a child-level center (customdata[0]); else None."""
    points = click.get("points") if isinstance(click, dict) else None
    first = points[0] if isinstance(points, list) and points else None
    custom = first.get("customdata") if isinstance(first, dict) else None
    code = custom[0] if isinstance(custom, list) and custom else None
    return code if isinstance(code, str) and code.isascii() and code.isdigit() and len(code) <= 15 else None


def subtitle(state: ViewState, metric: MapMetric) -> str:
    """The title line after the area name: period, metric (by which subdivision) and kinds."""
    below = child_level(state.area.level)
    by = f"各{LEVEL_LABELS[below]}{METRIC_LABELS[metric]}" if below else f"本网格{METRIC_LABELS[metric]}"
    kinds = "、".join(KIND_LABELS[k] for k in state.kinds) or "全部类型"
    return f"{period_cn(state.period.start, state.period.end)} · {by} · {kinds}"


def register(app: Dash) -> None:
    @app.callback(
        Output(MapPage.GRAPH, "figure"), Output(MapPage.RANKING, "figure"), Output(MapPage.AREA_NAME, "children"),
        Output(MapPage.SUBTITLE, "children"), Output(MapPage.METRIC, "value"),
        Input(Shell.URL, "search"), Input(MapPage.CENTERS, "value"), Input(Shell.DATA_VERSION, "data"),
    )
    def draw(search: str | None, centers_on: list[str] | None, _version: str | None):
        state, metric = current_view(search), parse_metric(search)
        area, below = state.area, child_level(state.area.level)
        children = run_query(child_metrics, area, state.period, state.kinds)
        centers = run_query(centers_in_view, area) if centers_on else None
        figure = choropleth_map(children, metric, geo_url(short_code(area.code)), run_query(area_bounds, area),
                                centers, str(below) if below else None, view_key=area.code)
        ranking = ranking_figure(children, metric, f"{LEVEL_LABELS[below]}排名" if below else "")
        return figure, ranking, area.name, subtitle(state, metric), str(metric)

    @app.callback(
        Output(MapPage.GRID_PANEL, "children"), Output(MapPage.SIDE, "className"),
        Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"),
    )
    def fill_grid_panel(search: str | None, _version: str | None):
        state = current_view(search)
        if state.area.level != Level.GRID:
            return [], SIDE_CLASS
        cases = run_query(recent_cases, state.area, state.period, state.kinds)
        return grid_panel(state.area.name, run_query(grid_workers, state.area), cases), f"{SIDE_CLASS} is-grid"

    @app.callback(
        Output(Shell.URL, "search", allow_duplicate=True),
        Input(MapPage.GRAPH, "clickData"), Input(MapPage.RANKING, "clickData"), State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def drill(map_click: dict | None, bar_click: dict | None, search: str | None):
        code = clicked_code(map_click if ctx.triggered_id == MapPage.GRAPH else bar_click)
        state = current_view(search)
        area = run_query(find_area, code) if code else None
        if area is None or area.code == state.area.code:
            return no_update
        return map_query(replace(state, area=area), parse_metric(search))

    @app.callback(
        Output(Shell.URL, "search", allow_duplicate=True), Input(MapPage.METRIC, "value"), State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def choose_metric(value: str | None, search: str | None):
        metric = parse_metric(f"metric={value}")
        if metric == parse_metric(search):
            return no_update  # the URL already says so (the radio was just synced from it)
        return map_query(current_view(search), metric)
