"""信访积案 callbacks: each parses the view, asks one query (through the cache) and hands it to one builder.

A click on an area bar drills (writes the URL); a click on a case row selects it for the detail panel, whose
query checks again that the case lies inside the view's area (itself clamped to the user's scope). The small
helpers here (drilling, clicked ids) are shared by the other governance-operation pages.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dash import Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from callbacks.common import current_view, requested_page, run_query
from dashboard.context import services
from dashboard.formatting import count_full, period_cn
from dashboard.ids import BacklogPage, Kpi, Shell
from dashboard.urlstate import ViewState
from data.alert_rules import OpsSettings
from data.filters import AreaRef, find_area
from data.queries import backlog as q
from data.queries import supervision as sq
from data.queries.base import child_level
from data.queries.list_pages import parse_sort
from data.vocab import LEVEL_LABELS, Level
from layouts.backlog import SUP_TILES, TILES
from layouts.figures import backlog as fig

VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))
TILE_COLUMNS = {"backlog_on_board": "on_board", "backlog_red": "red", "backlog_yellow": "yellow",
                "backlog_green": "green", "backlog_resolved": "resolved", "backlog_listed": "listed"}
SUP_COLUMNS = {"sup_listed": "listed", "sup_resolved": "resolved", "sup_in_progress": "in_progress",
               "sup_overdue": "overdue_milestones", "sup_difficult": "difficult_resolved"}


# --- shared helpers ---


def child_label(area: AreaRef) -> str:
    return LEVEL_LABELS[child_level(area.level) or Level.GRID]


def context_line(state: ViewState) -> str:
    return f"{state.area.name} · {period_cn(state.period.start, state.period.end)}"


def clicked_code(click: Any) -> str | None:
    """The area code a clicked bar or map shape carries (customdata or location), if any."""
    try:
        point = click["points"][0]
    except (TypeError, KeyError, IndexError):
        return None
    value = point.get("customdata", point.get("location")) if isinstance(point, dict) else None
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value)[:20] if value is not None else None


def drill_query(state: ViewState, code: str | None) -> str:
    """The URL query of the child area clicked, only if it really is a child of the view's area."""
    child = find_area(services().engine, code) if code else None
    if child is None or child_level(state.area.level) != child.level or not state.area.contains(child.code):
        raise PreventUpdate
    return dataclasses.replace(state, area=child).query()


def row_id(active_cell: Any) -> int | None:
    """The id of a clicked table row (from the browser: validated as a positive integer)."""
    if not isinstance(active_cell, dict):
        return None
    try:
        value = int(active_cell.get("row_id"))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _page(table_id: str, page_current: Any) -> int:
    """The page a server-paged table shows: kept on paging and data refreshes, else the first (see
    requested_page); anything but a number from the browser means the first."""
    try:
        return int(requested_page(list(ctx.triggered_prop_ids), page_current, table_id))
    except (TypeError, ValueError, OverflowError):
        return 0


def _table_outputs(table_id: str, total_id: str) -> tuple[Output, ...]:
    return (Output(table_id, "data"), Output(table_id, "page_count"), Output(table_id, "page_current"),
            Output(total_id, "children"))


def _table_inputs(table_id: str) -> tuple[Input, ...]:
    """The view, the table's paging and sorting, and the data version (a server-paged table's callback)."""
    return (Input(Shell.URL, "search"), Input(table_id, "page_current"), Input(table_id, "sort_by"),
            Input(Shell.DATA_VERSION, "data"))


def register(app: Dash) -> None:
    _register_board(app)
    _register_lists(app)


def _register_board(app: Dash) -> None:
    @app.callback([Output(Kpi.VALUE.of(t.key), "children") for t in (*TILES, *SUP_TILES)],
                  Output(BacklogPage.CONTEXT, "children"), *VIEW)
    def fill_tiles(search: str | None, _version: Any):
        state = current_view(search)
        row = run_query(q.backlog_summary, state.area, state.period).iloc[0]
        sup = run_query(sq.supervision_summary, state.area, state.period).iloc[0]
        return ([count_full(row[TILE_COLUMNS[t.key]]) for t in TILES]
                + [count_full(sup[SUP_COLUMNS[t.key]]) for t in SUP_TILES] + [context_line(state)])

    @app.callback(Output(BacklogPage.BY_ORIGIN, "figure"), *VIEW)
    def fill_origin(search: str | None, _version: Any):
        state = current_view(search)
        return fig.origin_figure(run_query(q.backlog_by_origin, state.area, state.period))

    @app.callback(Output(BacklogPage.BY_AREA, "figure"), *VIEW)
    def fill_areas(search: str | None, _version: Any):
        state = current_view(search)
        return fig.area_figure(run_query(q.backlog_by_child, state.area, state.period), child_label(state.area))

    @app.callback(Output(BacklogPage.ASSESSMENT, "figure"), *VIEW)
    def fill_assessment(search: str | None, _version: Any):
        state = current_view(search)
        weights = OpsSettings.load().backlog_weights
        return fig.assessment_figure(run_query(q.backlog_assessment, state.area, state.period, weights))

    @app.callback(Output(BacklogPage.RESOLVED, "figure"), *VIEW)
    def fill_resolved(search: str | None, _version: Any):
        state = current_view(search)
        return fig.resolved_figure(run_query(q.resolved_by_month, state.area, state.period))

    @app.callback(Output(BacklogPage.COLOR_TREND, "figure"), Output(BacklogPage.MOVES, "children"), *VIEW)
    def fill_colors(search: str | None, _version: Any):
        state = current_view(search)
        return (fig.trend_figure(run_query(q.color_trend, state.area, state.period)),
                fig.moves_items(run_query(q.color_moves, state.area, state.period)))

    @app.callback(Output(Shell.URL, "search", allow_duplicate=True), Input(BacklogPage.BY_AREA, "clickData"),
                  State(Shell.URL, "search"), prevent_initial_call=True)
    def drill(click: Any, search: str | None):
        return drill_query(current_view(search), clicked_code(click))


def _register_lists(app: Dash) -> None:
    @app.callback(*_table_outputs(BacklogPage.TABLE, BacklogPage.TABLE_TOTAL), *_table_inputs(BacklogPage.TABLE))
    def fill_cases(search: str | None, page_current: Any, sort_by: Any, _version: Any):
        state = current_view(search)
        frame = run_query(q.backlog_cases, state.area, state.period)
        shown = q.case_page(frame, _page(BacklogPage.TABLE, page_current), fig.CASE_PAGE_SIZE,
                            parse_sort(sort_by, q.CASE_SORT_KEYS))
        return (fig.case_rows(shown.rows), shown.pages, shown.page,
                f"列出 {count_full(len(frame))} 件（至多 {q.CASE_LIST_LIMIT} 件）")

    @app.callback(*_table_outputs(BacklogPage.SUP_TABLE, BacklogPage.SUP_TOTAL), Output(BacklogPage.FORCES, "children"),
                  *_table_inputs(BacklogPage.SUP_TABLE))
    def fill_supervision(search: str | None, page_current: Any, sort_by: Any, _version: Any):
        state = current_view(search)
        frame = run_query(sq.supervision_list, state.area, state.period)
        shown = sq.supervision_page(frame, _page(BacklogPage.SUP_TABLE, page_current), fig.CASE_PAGE_SIZE,
                                parse_sort(sort_by, sq.LIST_SORT_KEYS))
        return (fig.supervision_rows(shown.rows), shown.pages, shown.page,
                f"列出 {count_full(len(frame))} 件（至多 {sq.LIST_LIMIT} 件）",
                fig.forces_items(run_query(sq.task_forces, state.area, state.period)))

    @app.callback(Output(BacklogPage.SELECTED, "data"), Input(BacklogPage.TABLE, "active_cell"),
                  Input(BacklogPage.SUP_TABLE, "active_cell"), prevent_initial_call=True)
    def select(board_cell: Any, sup_cell: Any):
        case_id = row_id(board_cell if ctx.triggered_id == BacklogPage.TABLE else sup_cell)
        if case_id is None:
            raise PreventUpdate
        return {"case": case_id}

    @app.callback(Output(BacklogPage.DETAIL, "children"), Input(BacklogPage.SELECTED, "data"), *VIEW)
    def show_detail(selected: Any, search: str | None, _version: Any):
        state = current_view(search)
        case_id = row_id({"row_id": selected.get("case")}) if isinstance(selected, dict) else None
        if case_id is None:
            return fig.no_selection()
        history = run_query(q.backlog_case, state.area, case_id)
        supervision = run_query(sq.supervision_detail, state.area, case_id)
        return fig.case_detail(history, supervision, state.period.hi)
