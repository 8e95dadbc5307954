"""平安指数 callbacks: the index of the children (map, ranking), of the area (breakdown, changes) and its trend.

The configuration is read on every call and passed to the queries, so the query cache keys include it:
editing the weights shows at once, without a restart.
"""

from __future__ import annotations

import math
from typing import Any

from dash import Dash, Input, Output, State, ctx

from callbacks.backlog import VIEW, clicked_code, context_line, drill_query
from callbacks.common import current_view, run_query
from dashboard.geo_routes import geo_url
from dashboard.ids import Kpi, SafetyPage, Shell
from data.alert_rules import OpsSettings
from data.filters import short_code
from data.queries import safety as q
from data.queries.map import area_bounds
from layouts.figures import safety as fig


def _best_worst(frame) -> tuple[str, str]:
    rows = frame[frame["index"].notna()]
    if rows.empty:
        return "—", "—"
    first, last = rows.iloc[0], rows.iloc[-1]
    return f"{first['name']} {fig.fmt_index(first['index'])}", f"{last['name']} {fig.fmt_index(last['index'])}"


def register(app: Dash) -> None:
    @app.callback(Output(SafetyPage.MAP, "figure"), Output(SafetyPage.RANKING, "figure"),
                  Output(Kpi.VALUE.of("safety_best"), "children"), Output(Kpi.VALUE.of("safety_worst"), "children"),
                  *VIEW)
    def fill_children(search: str | None, _version: Any):
        state = current_view(search)
        frame = run_query(q.safety_by_child, state.area, state.period, OpsSettings.load(), q.SafetyConfig.load())
        bounds = run_query(area_bounds, state.area)
        best, worst = _best_worst(frame)
        return (fig.map_figure(frame, geo_url(short_code(state.area.code)), bounds, state.area.code),
                fig.ranking_figure(frame), best, worst)

    @app.callback(Output(SafetyPage.BREAKDOWN, "figure"), Output(SafetyPage.CHANGES, "figure"),
                  Output(SafetyPage.TABLE, "data"), Output(Kpi.VALUE.of("safety_index"), "children"),
                  Output(Kpi.VALUE.of("safety_prev"), "children"), Output(Kpi.VALUE.of("safety_change"), "children"),
                  Output(SafetyPage.CONTEXT, "children"), *VIEW)
    def fill_breakdown(search: str | None, _version: Any):
        state = current_view(search)
        config = q.SafetyConfig.load()
        frame = run_query(q.safety_breakdown, state.area, state.period, OpsSettings.load(), config)
        now, before = frame.attrs["index"], frame.attrs["prev_index"]
        change = "—" if math.isnan(now) or math.isnan(before) else f"{now - before:+.1f}"
        directions = {i.key: i.direction for i in config.indicators}
        return (fig.breakdown_figure(frame), fig.changes_figure(frame), fig.table_rows(frame, directions),
                fig.fmt_index(now), fig.fmt_index(before), change, context_line(state))

    @app.callback(Output(SafetyPage.TREND, "figure"), *VIEW)
    def fill_trend(search: str | None, _version: Any):
        state = current_view(search)
        return fig.trend_figure(run_query(q.safety_trend, state.area, state.period, OpsSettings.load(),
                                          q.SafetyConfig.load()))

    @app.callback(Output(Shell.URL, "search", allow_duplicate=True), Input(SafetyPage.MAP, "clickData"),
                  Input(SafetyPage.RANKING, "clickData"), State(Shell.URL, "search"), prevent_initial_call=True)
    def drill(map_click: Any, bar_click: Any, search: str | None):
        click = map_click if ctx.triggered_id == SafetyPage.MAP else bar_click
        return drill_query(current_view(search), clicked_code(click))
