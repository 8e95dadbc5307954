"""风险预警 callbacks: tiles, charts and lists from one query each; the detail panel and the workflow actions.

Warnings move while the data stays the same, so every query gets the warnings' revision (cheap to read) as
an argument: the query cache then forgets an answer as soon as any warning moves. A workflow step is taken
only for a warning inside the user's scope, by a role allowed to act, in a state that allows it (the
transition itself re-checks all three on the database).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.backlog import context_line, row_id
from callbacks.common import current_view, run_query
from dashboard.auth import current_principal
from dashboard.context import services
from dashboard.formatting import count_full
from dashboard.ids import AlertsPage, Kpi, Shell
from data import alert_rules as rules
from data.models_ops import WarningAction
from data.queries import alerts as q
from layouts.alerts import TILES
from layouts.figures import alerts as fig

VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"), Input(AlertsPage.CHANGED, "data"))
TILE_COLUMNS = {"alerts_open": "open", "alerts_critical": "critical", "alerts_major": "major",
                "alerts_general": "general", "alerts_unacknowledged": "unacknowledged", "alerts_raised": "raised"}
ACTING_ROLES = ("leader", "chief", "admin")
BUTTONS = {AlertsPage.ASSIGN: WarningAction.ASSIGN, AlertsPage.ACKNOWLEDGE: WarningAction.ACKNOWLEDGE,
           AlertsPage.CLOSE: WarningAction.CLOSE}


def can_act() -> bool:
    """Leaders, chiefs and admins handle warnings; analysts and wall-screen tokens only look."""
    principal = current_principal()
    return principal is not None and not principal.via_token and str(principal.role) in ACTING_ROLES


def revision() -> str:
    return rules.revision(services().engine)


def warning_param(search: object) -> int | None:
    """`warning=<id>` of the URL (a link from the banner), validated as a positive integer."""
    text = search if isinstance(search, str) else ""
    raw = (parse_qs(text[:2000].lstrip("?")).get("warning") or [""])[0][:12]
    return row_id({"row_id": raw}) if raw else None


def register(app: Dash) -> None:
    _register_overview(app)
    _register_detail(app)


def _register_overview(app: Dash) -> None:
    @app.callback([Output(Kpi.VALUE.of(t.key), "children") for t in TILES], Output(AlertsPage.CONTEXT, "children"),
                  *VIEW)
    def fill_tiles(search: str | None, _version: Any, _changed: Any):
        state = current_view(search)
        row = run_query(q.alerts_summary, state.area, state.period, revision()).iloc[0]
        return [count_full(row[TILE_COLUMNS[t.key]]) for t in TILES] + [context_line(state)]

    @app.callback(Output(AlertsPage.BY_WEEK, "figure"), *VIEW)
    def fill_weeks(search: str | None, _version: Any, _changed: Any):
        state = current_view(search)
        return fig.week_figure(run_query(q.warnings_by_week, state.area, state.period, revision()))

    @app.callback(Output(AlertsPage.BY_RULE, "figure"), *VIEW)
    def fill_rules(search: str | None, _version: Any, _changed: Any):
        state = current_view(search)
        return fig.rule_figure(run_query(q.warnings_by_rule, state.area, state.period, revision()))

    @app.callback(Output(AlertsPage.WEEKLY, "children"), *VIEW)
    def fill_weekly(search: str | None, _version: Any, _changed: Any):
        state = current_view(search)
        frame = run_query(q.weekly_review, state.area, state.period, revision())
        return fig.review_items(frame, "最近7天没有新预警", int(frame["of"].iloc[0]) if len(frame) else None)

    @app.callback(Output(AlertsPage.KEY_DATES_TITLE, "children"), Output(AlertsPage.KEY_DATES, "figure"),
                  Output(AlertsPage.KEY_DATES_LIST, "children"), *VIEW)
    def fill_key_dates(search: str | None, _version: Any, _changed: Any):
        state = current_view(search)
        review = run_query(q.key_date_review, state.area, state.period, rules.AlertRules.load(), revision())
        return (fig.key_dates_title(review), fig.key_dates_figure(review),
                fig.review_items(review.warnings, "节点期间没有预警", int(review.days[list(q.LEVELS)].to_numpy().sum())))

    @app.callback(Output(AlertsPage.TABLE, "data"), Output(AlertsPage.TABLE_TOTAL, "children"), *VIEW)
    def fill_table(search: str | None, _version: Any, _changed: Any):
        state = current_view(search)
        frame = run_query(q.warnings_list, state.area, state.period, revision())
        return fig.table_rows(frame), f"列出 {count_full(len(frame))} 条（至多 {q.LIST_LIMIT} 条）"


def _register_detail(app: Dash) -> None:
    @app.callback(Output(AlertsPage.SELECTED, "data"), Input(AlertsPage.TABLE, "active_cell"),
                  prevent_initial_call=True)
    def select(cell: Any):
        warning_id = row_id(cell)
        if warning_id is None:
            raise PreventUpdate
        return {"warning": warning_id}

    @app.callback(Output(AlertsPage.DETAIL, "children"), Output(AlertsPage.ACTIONS, "hidden"),
                  Output(AlertsPage.UNIT, "options"), Output(AlertsPage.ASSIGN, "disabled"),
                  Output(AlertsPage.ACKNOWLEDGE, "disabled"), Output(AlertsPage.CLOSE, "disabled"),
                  Input(AlertsPage.SELECTED, "data"), *VIEW)
    def show_detail(selected: Any, search: str | None, _version: Any, _changed: Any):
        state = current_view(search)
        chosen = selected.get("warning") if isinstance(selected, dict) else None
        warning_id = row_id({"row_id": chosen}) if chosen is not None else warning_param(search)
        detail = run_query(q.warning_detail, state.area, warning_id or 0, revision())
        if detail.warning is None:
            return fig.detail(detail), True, [], True, True, True
        units = rules.unit_options(services().engine, int(detail.warning["id"]), state.area)
        assign, ack, close = fig.allowed_actions(detail.warning["status"], can_act())
        return fig.detail(detail), False, [{"label": u, "value": u} for u in units], not assign, not ack, not close

    @app.callback(Output(AlertsPage.MESSAGE, "children"), Output(AlertsPage.MESSAGE, "className"),
                  Output(AlertsPage.CHANGED, "data"), Output(AlertsPage.NOTE, "value"),
                  Input(AlertsPage.ASSIGN, "n_clicks"), Input(AlertsPage.ACKNOWLEDGE, "n_clicks"),
                  Input(AlertsPage.CLOSE, "n_clicks"), State(AlertsPage.SELECTED, "data"),
                  State(AlertsPage.UNIT, "value"), State(AlertsPage.NOTE, "value"), State(Shell.URL, "search"),
                  State(AlertsPage.CHANGED, "data"), prevent_initial_call=True)
    def act(_a: Any, _b: Any, _c: Any, selected: Any, unit: Any, note: Any, search: str | None, changed: Any):
        action = BUTTONS.get(ctx.triggered_id)
        if action is None or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        state = current_view(search)
        chosen = selected.get("warning") if isinstance(selected, dict) else None
        warning_id = row_id({"row_id": chosen}) if chosen is not None else warning_param(search)
        principal = current_principal()
        if warning_id is None or principal is None or not can_act():
            return (*fig.message("当前账号无权处置预警", False), no_update, no_update)
        try:
            status = rules.transition(services().engine, warning_id, action, principal.name, state.area, datetime.now(),
                                      unit=unit if isinstance(unit, str) else None,
                                      note=note if isinstance(note, str) else None)
        except rules.WorkflowError as exc:
            return (*fig.message(str(exc), False), no_update, no_update)
        done = f"已{fig.WARNING_ACTION_LABELS[action]}，当前状态：{fig.status_name(status)}"
        return (*fig.message(done, True), int(changed or 0) + 1, "")
