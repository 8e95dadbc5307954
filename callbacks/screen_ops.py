"""治理大屏 callbacks: fill the canvas from the URL's view and refresh it on a timer; the body-class hook; the
重大 warning banner, and the kiosk rotation pausing while the banner is up.

The rotation is paused by setting the kiosk timer's `max_intervals` to 0 (the timer stops firing) and resumed
with -1; the rotation's own callbacks own the timer's other properties, so the two never write the same one.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State

from callbacks import alert_banner
from callbacks.backlog import child_label
from callbacks.common import current_view, run_query
from callbacks.screen import CLOCK_JS
from dashboard.context import services
from dashboard.formatting import count_full, date_cn, percent, period_cn
from dashboard.ids import AlertsPage, Kpi, ScreenOpsPage, ScreenPage, Shell
from data import alert_rules
from data.alert_rules import OpsSettings
from data.queries import alerts as aq
from data.queries import backlog as bq
from data.queries import grids as gq
from data.queries import supervision as sq
from layouts.figures import alerts as afig
from layouts.figures import backlog as bfig
from layouts.figures import grids as gfig
from layouts.screen_ops import PATH, TILES, body_frame

VIEW = (State(Shell.URL, "search"), Input(ScreenOpsPage.REFRESH, "n_intervals"), Input(Shell.DATA_VERSION, "data"))
BODY_CLASS_JS = ("function (pathname) { var on = pathname === '" + PATH + "';"
                 " document.body.classList.toggle('screen-ops-mode', on); return on ? 'screen-ops-mode' : ''; }")
PAUSE_JS = "function (state) { return state && state.length ? 0 : -1; }"


def register(app: Dash) -> None:
    app.layout.children.append(body_frame())
    app.clientside_callback(BODY_CLASS_JS, Output(ScreenOpsPage.BODY_CLASS_SINK, "children"),
                            Input(Shell.URL, "pathname"))
    app.clientside_callback(CLOCK_JS, Output(ScreenOpsPage.CLOCK, "children"),
                            Input(ScreenOpsPage.CLOCK_TICK, "n_intervals"))
    alert_banner.register(app)
    if alert_banner.has_component(app.layout, ScreenPage.KIOSK_TICK):
        app.clientside_callback(PAUSE_JS, Output(ScreenPage.KIOSK_TICK, "max_intervals"),
                                Input(AlertsPage.BANNER_STATE, "data"))
    _register_canvas(app)


def _register_canvas(app: Dash) -> None:
    @app.callback([Output(Kpi.VALUE.of(t.key), "children") for t in TILES], Output(ScreenOpsPage.AREA_LABEL, "children"),
                  Output(ScreenOpsPage.PERIOD_LABEL, "children"), Output(ScreenOpsPage.DATA_DATE, "children"),
                  Output(ScreenOpsPage.EXIT, "href"), *VIEW)
    def fill_tiles(search: str | None, _tick: Any, _version: Any):
        state = current_view(search)
        sup = run_query(sq.supervision_summary, state.area, state.period).iloc[0]
        board = run_query(bq.backlog_summary, state.area, state.period).iloc[0]
        cov = run_query(gq.visit_coverage, state.area, state.period.hi, OpsSettings.load()).iloc[0]
        alerts = run_query(aq.alerts_summary, state.area, state.period, alert_rules.revision(services().engine)).iloc[0]
        values = [count_full(sup["listed"]), count_full(sup["resolved"]), count_full(sup["overdue_milestones"]),
                  count_full(board["on_board"]), percent(cov["coverage"], 1), count_full(alerts["open"])]
        return [*values, state.area.name, period_cn(state.period.start, state.period.end),
                date_cn(services().today()), "/" + state.query()]

    @app.callback(Output(ScreenOpsPage.BACKLOG, "figure"), Output(ScreenOpsPage.TREND, "figure"), *VIEW)
    def fill_backlog(search: str | None, _tick: Any, _version: Any):
        state = current_view(search)
        return (bfig.screen_board_figure(run_query(bq.backlog_by_child, state.area, state.period)),
                bfig.screen_trend_figure(run_query(bq.color_trend, state.area, state.period)))

    @app.callback(Output(ScreenOpsPage.COVERAGE, "figure"), Output(ScreenOpsPage.GROUPS, "figure"), *VIEW)
    def fill_coverage(search: str | None, _tick: Any, _version: Any):
        state = current_view(search)
        settings = OpsSettings.load()
        return (gfig.screen_coverage_figure(run_query(gq.grids_by_child, state.area, state.period, settings),
                                            child_label(state.area)),
                gfig.screen_groups_figure(run_query(gq.coverage_by_group, state.area, state.period, settings)))

    @app.callback(Output(ScreenOpsPage.WARNINGS, "children"), *VIEW)
    def fill_warnings(search: str | None, _tick: Any, _version: Any):
        state = current_view(search)
        frame = run_query(aq.latest_open, state.area, state.period, alert_rules.revision(services().engine))
        return afig.screen_warning_items(frame)
