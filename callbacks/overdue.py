"""逾期督办 callbacks: each one parses the view, asks one query and hands the frame to one builder.

"Now" is the end of the URL's period, so every callback reads `state.period` and the queries use `period.hi`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy import Engine

from callbacks.common import DATA_REFRESH, current_view, paging_of, requested_page, run_query
from dashboard.formatting import count_full, date_cn
from dashboard.ids import Kpi, OverduePage, Shell
from dashboard.urlstate import ViewState
from data.filters import AreaRef, Period, find_area
from data.queries import overdue as q
from data.queries.base import child_level
from data.vocab import LEVEL_LABELS, Level
from layouts.figures import overdue as fig
from layouts.overdue import TILES, row_styles

VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))
TILE_COLUMNS = {"overdue_total": "overdue", "overdue_red": "red", "overdue_due_24h": "due_24h",
                "overdue_due_48h": "due_48h"}
Query = Callable[[Engine, AreaRef, Period, tuple[str, ...]], pd.DataFrame]


def child_label(area: AreaRef) -> str:
    """What the area's children are called (a grid shows itself)."""
    return LEVEL_LABELS[child_level(area.level) or Level.GRID]


PAGING = paging_of(OverduePage.TABLE)


def keeps_selection(triggered: list[str]) -> bool:
    """Only a data refresh keeps the clicked case (and its timeline); any other change clears it."""
    return triggered == [DATA_REFRESH]


def case_id_of(active_cell: Any) -> int | None:
    """The case id of the clicked row (row_id from the browser, validated as a positive integer)."""
    if not isinstance(active_cell, dict):
        return None
    try:
        value = int(active_cell.get("row_id"))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def clicked_code(click: Any) -> str | None:
    """The area code a clicked bar carries (customdata), if any; validated by `drill_target`."""
    try:
        return str(click["points"][0]["customdata"])[:20]
    except (TypeError, KeyError, IndexError):
        return None


def drill_target(child: AreaRef | None, area: AreaRef) -> AreaRef | None:
    """The child to drill to, only if it really is one level below the current area and inside it."""
    if child is None or child_level(area.level) != child.level:
        return None
    return child if area.contains(child.code) else None


def _figure_callback(app: Dash, graph_id: str, query: Query, build: Callable[..., go.Figure], labelled: bool) -> None:
    """Register the one-query, one-builder callback of a chart."""

    @app.callback(Output(graph_id, "figure"), *VIEW)
    def draw(search: str | None, _version: str | None) -> go.Figure:
        state = current_view(search)
        frame = run_query(query, state.area, state.period, state.kinds)
        return build(frame, child_label(state.area)) if labelled else build(frame)


def register(app: Dash) -> None:
    """Charts, tiles and the due-soon list follow the URL; the table also follows its own paging/sort/filter."""
    _figure_callback(app, OverduePage.BY_AREA, q.overdue_by_child, fig.overdue_by_area_figure, True)
    _figure_callback(app, OverduePage.AGING, q.overdue_aging, fig.aging_figure, False)
    _figure_callback(app, OverduePage.BY_UNIT, q.overdue_by_unit, fig.overdue_by_unit_figure, False)
    _figure_callback(app, OverduePage.CARDS_BY_AREA, q.cards_by_child, fig.cards_by_area_figure, True)
    _figure_callback(app, OverduePage.CARDS_TREND, q.cards_by_week, fig.cards_trend_figure, False)

    @app.callback(
        [Output(Kpi.VALUE.of(t.key), "children") for t in TILES],
        Output(OverduePage.AREA_LABEL, "children"),
        Output(OverduePage.AS_OF_LABEL, "children"),
        *VIEW,
    )
    def fill_tiles(search: str | None, _version: str | None):
        state = current_view(search)
        row = run_query(q.overdue_summary, state.area, state.period, state.kinds).iloc[0]
        values = [count_full(row[TILE_COLUMNS[t.key]]) for t in TILES]
        return [*values, state.area.name, f"统计时点：{date_cn(state.period.end)}24时（所选时段末）"]

    @app.callback(Output(OverduePage.DUE_SOON_LIST, "children"), *VIEW)
    def fill_due_soon(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.due_soon_items(run_query(q.due_soon_cases, state.area, state.period, state.kinds), state.period.hi)

    @app.callback(
        Output(OverduePage.TABLE, "data"),
        Output(OverduePage.TABLE, "page_count"),
        Output(OverduePage.TABLE, "page_current"),
        Output(OverduePage.TABLE, "active_cell"),
        Output(OverduePage.TABLE_TOTAL, "children"),
        Output(OverduePage.TABLE_NOTICE, "children"),
        Input(Shell.URL, "search"),
        Input(OverduePage.TABLE, "page_current"),
        Input(OverduePage.TABLE, "page_size"),
        Input(OverduePage.TABLE, "sort_by"),
        Input(OverduePage.TABLE, "filter_query"),
        Input(Shell.DATA_VERSION, "data"),
    )
    def fill_table(search, page_current, page_size, sort_by, filter_query, _version):
        state = current_view(search)
        triggered = list(ctx.triggered_prop_ids)
        page = requested_page(triggered, page_current, OverduePage.TABLE)
        request = q.parse_table_request(page, page_size, sort_by, filter_query)
        result = run_query(q.overdue_cases_page, state.area, state.period, state.kinds, request)
        pages = max(-(-result.total // request.page_size), 1)
        notice = f"已忽略无法识别的筛选条件：{'；'.join(request.ignored)}" if request.ignored else ""
        return (fig.table_rows(result.rows, state.period.hi), pages, result.page,
                no_update if keeps_selection(triggered) else None, f"共 {count_full(result.total)} 件", notice)

    @app.callback(
        Output(OverduePage.TIMELINE_TITLE, "children"),
        Output(OverduePage.TIMELINE, "children"),
        Output(OverduePage.TABLE, "style_data_conditional"),
        Input(OverduePage.TABLE, "active_cell"),
        State(OverduePage.TABLE, "data"),
        State(Shell.URL, "search"),
    )
    def show_timeline(active_cell, rows, search):
        case_id = case_id_of(active_cell)
        if case_id is None:
            return fig.timeline_title(None), [], row_styles(None)
        state = current_view(search)
        row = next((r for r in rows or [] if r.get("id") == case_id), None)
        frame = run_query(q.case_timeline, state.area, state.period, case_id)
        return fig.timeline_title(row), fig.timeline_items(frame), row_styles(case_id)

    @app.callback(
        Output(Shell.URL, "search", allow_duplicate=True),
        Input(OverduePage.BY_AREA, "clickData"),
        Input(OverduePage.CARDS_BY_AREA, "clickData"),
        State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def drill(by_area, by_cards, search):
        state: ViewState = current_view(search)
        code = clicked_code(by_area if ctx.triggered_id == OverduePage.BY_AREA else by_cards)
        child = drill_target(run_query(find_area, code) if code else None, state.area)
        if child is None:
            raise PreventUpdate
        return dataclasses.replace(state, area=child).query()
