"""精网微格 callbacks: one query and one builder each; the individual list only for the area's chief and admins.

Whether personal data may be shown is decided on the server from the session's principal (role and scope),
never from anything the browser sends.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from callbacks.backlog import VIEW, child_label, clicked_code, context_line, drill_query
from callbacks.common import current_view, run_query
from dashboard.auth import current_principal
from dashboard.formatting import count_full, percent
from dashboard.ids import GridsPage, Kpi, Shell
from data.alert_rules import OpsSettings
from data.queries import grids as q
from layouts.figures import grids as fig
from layouts.grids import TILES, WORK_TILES

TILE_COLUMNS = {"grids_grids": "grids", "grids_demo": "demo_grids", "grids_liaisons": "liaisons",
                "grids_staff": "grid_staff", "grids_per_liaison": "residents_per_liaison", "grids_persons": "persons",
                "grids_coverage": "coverage", "grids_overdue": "overdue", "grids_silent": "silent",
                "grids_reports": "grid_reports"}


def tile_text(key: str, value: float) -> str:
    if key == "grids_coverage":
        return percent(value)
    if key == "grids_per_liaison":
        return "—" if value != value else f"{value:,.0f}"
    return count_full(value)


def register(app: Dash) -> None:
    @app.callback([Output(Kpi.VALUE.of(t.key), "children") for t in (*TILES, *WORK_TILES)],
                  Output(GridsPage.CONTEXT, "children"), *VIEW)
    def fill_tiles(search: str | None, _version: Any):
        state = current_view(search)
        row = run_query(q.grids_summary, state.area, state.period, OpsSettings.load()).iloc[0]
        return [tile_text(t.key, row[TILE_COLUMNS[t.key]]) for t in (*TILES, *WORK_TILES)] + [context_line(state)]

    @app.callback(Output(GridsPage.COVERAGE, "figure"), Output(GridsPage.STRUCTURE, "data"), *VIEW)
    def fill_areas(search: str | None, _version: Any):
        state = current_view(search)
        frame = run_query(q.grids_by_child, state.area, state.period, OpsSettings.load())
        return fig.coverage_figure(frame, child_label(state.area)), fig.structure_rows(frame)

    @app.callback(Output(GridsPage.GROUPS, "figure"), *VIEW)
    def fill_groups(search: str | None, _version: Any):
        state = current_view(search)
        return fig.groups_figure(run_query(q.coverage_by_group, state.area, state.period, OpsSettings.load()))

    @app.callback(Output(GridsPage.VISITS, "figure"), *VIEW)
    def fill_visits(search: str | None, _version: Any):
        state = current_view(search)
        return fig.visits_figure(run_query(q.visits_by_month, state.area, state.period))

    @app.callback(Output(GridsPage.SILENT, "children"), Output(GridsPage.SILENT_TOTAL, "children"), *VIEW)
    def fill_silent(search: str | None, _version: Any):
        state = current_view(search)
        settings = OpsSettings.load()
        frame = run_query(q.silent_grids, state.area, state.period, settings)
        return fig.silent_items(frame, settings.silent_days), f"连续 {settings.silent_days} 天以上无上报（最多列 50 个）"

    @app.callback(Output(GridsPage.PEOPLE, "data"), Output(GridsPage.PEOPLE_NOTE, "children"),
                  Output(f"{GridsPage.PEOPLE}-wrap", "hidden"), *VIEW)
    def fill_people(search: str | None, _version: Any):
        state = current_view(search)
        principal = current_principal()
        allowed = principal is not None and q.may_see_people(principal.role, principal.scope, state.area)
        if not allowed:
            return [], fig.people_note(False), True
        frame = run_query(q.key_person_list, state.area, state.period, OpsSettings.load())
        return fig.people_rows(frame), fig.people_note(True), False

    @app.callback(Output(Shell.URL, "search", allow_duplicate=True), Input(GridsPage.COVERAGE, "clickData"),
                  Input(GridsPage.STRUCTURE, "active_cell"), State(Shell.URL, "search"), prevent_initial_call=True)
    def drill(click: Any, cell: Any, search: str | None):
        if ctx.triggered_id == GridsPage.COVERAGE:
            code = clicked_code(click)
        else:
            code = str(cell.get("row_id"))[:20] if isinstance(cell, dict) and cell.get("row_id") else None
        if code is None:
            raise PreventUpdate
        return drill_query(current_view(search), code)
