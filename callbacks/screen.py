"""大屏 callbacks: fill the canvas from the URL's view and refresh it on a timer; kiosk rotation of pages.

Data callbacks listen to the URL and to the refresh Interval, so a refresh re-reads the same area the URL
names. The kiosk Interval and the <body> class hook live in the shell (added once by `register`), because
they must keep running while the kiosk shows other pages.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs

import pandas as pd
from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.common import current_view, run_query
from dashboard.auth import current_principal
from dashboard.context import services
from dashboard.formatting import count_full, date_cn, percent, period_cn
from dashboard.geo_routes import geo_url
from dashboard.ids import Kpi, ScreenPage, Shell
from dashboard.urlstate import with_params
from data.filters import short_code
from data.queries import screen as q
from layouts.figures import screen as fig
from layouts.screen import TILES, kiosk_frame

TILE_COLUMNS = {"screen_intake_today": "intake_today", "screen_disputes_handled": "disputes_handled",
                "screen_success_rate": "success_rate", "screen_overdue": "overdue", "screen_red_cards": "red_cards"}
VIEW = (State(Shell.URL, "search"), Input(ScreenPage.REFRESH, "n_intervals"), Input(Shell.DATA_VERSION, "data"))

CLOCK_JS = """function (_n) {
    var d = new Date(), p = function (x) { return String(x).padStart(2, '0'); };
    return d.getFullYear() + '年' + (d.getMonth() + 1) + '月' + d.getDate() + '日 '
        + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}"""
BODY_CLASS_JS = """function (pathname, search) {
    var kiosk = new URLSearchParams(search || '').get('kiosk') === '1';
    document.body.classList.toggle('screen-mode', pathname === '/screen');
    document.body.classList.toggle('kiosk-mode', kiosk);
    return (pathname === '/screen' ? 'screen-mode ' : '') + (kiosk ? 'kiosk-mode' : '');
}"""


def kiosk_enabled(search: object) -> bool:
    """Whether the URL asks for kiosk mode (`kiosk=1`)."""
    text = search if isinstance(search, str) else ""
    return parse_qs(text[:2000].lstrip("?")).get("kiosk", [""])[0] == "1"


def next_kiosk_stop(pathname: str | None, search: object, pages: tuple[str, ...]) -> tuple[str, str] | None:
    """The next page of the rotation and its query string (the view plus kiosk=1), or None when nothing moves.

    The query string is carried over whole, because other pages rebuild theirs from the view and would drop
    `kiosk`; pages outside the list restart the rotation at its first page.
    """
    if not kiosk_enabled(search) or not pages:
        return None
    position = pages.index(pathname) if pathname in pages else -1
    target = pages[(position + 1) % len(pages)]
    if target == pathname:
        return None
    return target, with_params(search if isinstance(search, str) else "", kiosk="1")


def map_signature(frame: pd.DataFrame, bounds: pd.DataFrame, url: str) -> str:
    """What the map shows, as a short digest: a refresh that brings the same map leaves it alone.

    Re-sending an unchanged map made MapLibre rebuild it; a refresh arriving while it was still loading (a busy
    wall PC) aborted the load and raised "Map error." in the page.
    """
    text = frame.to_json(orient="split") + bounds.to_json(orient="split") + url
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _tile_value(key: str, value: float) -> str:
    """Counts in full (the wall shows exact figures), the success rate as a percentage."""
    return percent(value) if key == "screen_success_rate" else count_full(value)


def _register_kiosk(app: Dash) -> None:
    """The shell-level parts: body classes, and the kiosk timer that walks through the configured pages."""
    app.layout.children.append(kiosk_frame())
    app.clientside_callback(BODY_CLASS_JS, Output(ScreenPage.BODY_CLASS_SINK, "children"),
                            Input(Shell.URL, "pathname"), Input(Shell.URL, "search"))

    @app.callback(Output(ScreenPage.KIOSK_TICK, "disabled"), Output(ScreenPage.KIOSK_TICK, "interval"),
                  Input(Shell.URL, "search"))
    def arm_kiosk(search: str | None):
        return not kiosk_enabled(search), services().config.kiosk_seconds * 1000

    @app.callback(
        Output(Shell.URL, "pathname", allow_duplicate=True),
        Output(Shell.URL, "search", allow_duplicate=True),
        Input(ScreenPage.KIOSK_TICK, "n_intervals"),
        State(Shell.URL, "pathname"),
        State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def rotate(_n: int | None, pathname: str | None, search: str | None):
        principal = current_principal()
        if principal is None:
            raise PreventUpdate
        pages = tuple(p for p in services().config.kiosk_pages if principal.may_open(p))
        stop = next_kiosk_stop(pathname, search, pages)
        if stop is None:
            raise PreventUpdate
        # An unchanged query string is not re-sent: every callback of the page being left listens to it, and the
        # renderer could still run one of them after the next page replaced the layout (a console ReferenceError).
        target, query = stop
        return target, no_update if query == search else query


def register(app: Dash) -> None:
    """Kiosk and body-class hooks for every page, the wall clock, and the canvas' data callbacks."""
    _register_kiosk(app)
    app.clientside_callback(CLOCK_JS, Output(ScreenPage.CLOCK, "children"), Input(ScreenPage.CLOCK_TICK, "n_intervals"))

    @app.callback(
        [Output(Kpi.VALUE.of(t.key), "children") for t in TILES],
        Output(ScreenPage.AREA_LABEL, "children"),
        Output(ScreenPage.PERIOD_LABEL, "children"),
        Output(ScreenPage.DATA_DATE, "children"),
        Output(ScreenPage.EXIT, "href"),
        *VIEW,
    )
    def fill_tiles(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        row = run_query(q.screen_kpis, state.area, state.period, state.kinds).iloc[0]
        values = [_tile_value(t.key, row[TILE_COLUMNS[t.key]]) for t in TILES]
        period = f"{period_cn(state.period.start, state.period.end)} · 统计日 {date_cn(state.period.end)}"
        return [*values, state.area.name, period, date_cn(services().today()), "/" + state.query()]

    @app.callback(Output(ScreenPage.MAP, "figure"), Output(ScreenPage.RANKING, "figure"),
                  Output(ScreenPage.MAP_SIGNATURE, "data"), *VIEW, State(ScreenPage.MAP_SIGNATURE, "data"))
    def fill_map(search: str | None, _tick: int | None, _version: str | None, shown: str | None):
        state = current_view(search)
        frame = run_query(q.open_by_child, state.area, state.period, state.kinds)
        bounds = run_query(q.area_bounds, state.area)
        url = geo_url(short_code(state.area.code))
        signature = map_signature(frame, bounds, url)
        if signature == shown:  # a refresh with nothing new: the map is not drawn again
            return no_update, fig.ranking_figure(frame), no_update
        return fig.map_figure(frame, url, state.area.code, bounds), fig.ranking_figure(frame), signature

    @app.callback(Output(ScreenPage.TREND, "figure"), *VIEW)
    def fill_trend(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return fig.trend_figure(run_query(q.monthly_intake, state.area, state.period, state.kinds))

    @app.callback(Output(ScreenPage.FLOW, "figure"), Output(ScreenPage.FLOW_NOTE, "children"), *VIEW)
    def fill_flow(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        frame = run_query(q.flow_levels, state.area, state.period, state.kinds)
        return fig.flow_figure(frame), fig.flow_note(*q.escalation_share(frame))

    @app.callback(Output(ScreenPage.RED_LIST, "children"), Output(ScreenPage.RED_LIST, "style"),
                  Output(ScreenPage.RED_LIST, "className"), *VIEW)
    def fill_red_list(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return fig.red_ticker(run_query(q.latest_red_cards, state.area, state.period, state.kinds))
