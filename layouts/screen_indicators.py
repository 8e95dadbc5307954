"""指标大屏 /screen-indicators: the key strategic indicators on a fixed 1920×1080 wall-screen canvas.

Same canvas as /screen: laid out once in design pixels and scaled to the window by `assets/screen.js` (a CSS
transform, never browser zoom). The shell's header and filter bar are hidden while this canvas is on the page
(CSS `:has`, so leaving the page restores them without any script). Meant for the kiosk rotation
(KIOSK_PAGES=/screen,/screen-indicators,…): it refreshes itself every SCREEN_REFRESH_SECONDS.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.context import services
from dashboard.ids import Kpi
from dashboard.ids import ScreenIndicatorsPage as Ids

PATH = "/screen-indicators"
TITLE = "指标大屏"
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "staticPlot": False}
PANEL_GRAPH_HEIGHT = 340  # design pixels: two rows of panels share the 808 px below the tiles


def _graph(graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{PANEL_GRAPH_HEIGHT}px"})


def _panel(title: str, body) -> html.Section:
    return html.Section([html.H3(title, className="screen-panel-title"), body], className="screen-panel sind-panel")


def _header() -> html.Header:
    return html.Header(
        [
            html.Div([dcc.Link("‹ 返回", href="/indicators", id=Ids.EXIT, className="screen-exit"),
                      html.Div([html.Span(id=Ids.AREA_LABEL, className="screen-area"),
                                html.Span(id=Ids.PERIOD_LABEL, className="screen-period")])],
                     className="screen-head-left"),
            html.H1("平安建设指标", className="screen-title"),
            html.Div([html.Div(["本机时间 ", html.Span(id=Ids.CLOCK, className="screen-clock")]),
                      html.Div(["数据截至 ", html.Span(id=Ids.DATA_DATE, className="screen-data-date")])],
                     className="screen-head-right"),
        ],
        className="screen-head",
    )


def layout(**_query: str) -> html.Div:
    """The canvas; `callbacks.screen_indicators` fills it from the URL's view and refreshes it."""
    return html.Div(
        [
            dcc.Interval(id=Ids.REFRESH, interval=services().config.refresh_seconds * 1000),
            dcc.Interval(id=Ids.CLOCK_TICK, interval=1000),
            html.Div(
                [
                    _header(),
                    html.Div([html.Div(id=Ids.TILES_INDICATORS, className="sind-tile-group three"),
                              html.Div(id=Ids.TILES_PLAN, className="sind-tile-group"),
                              html.Div(id=Ids.TILES_OPINION, className="sind-tile-group two")],
                             className="sind-kpis"),
                    html.Div(
                        [
                            _panel("刑事案件发案率（件/万人）", _graph(Ids.CRIME)),
                            _panel("舆情量与负面占比", _graph(Ids.OPINION)),
                            _panel("全省排名", _graph(Ids.RANKS)),
                            _panel("公众安全感调查梯队", html.Div(id=Ids.TIERS, className="sind-tiers")),
                            _panel("三年计划分领域推进", _graph(Ids.PLAN)),
                            _panel("反诈知晓率", _graph(Ids.FRAUD)),
                        ],
                        className="sind-main",
                    ),
                ],
                id=Ids.CANVAS,
                className="screen-canvas sind-canvas",
            ),
        ],
        className="screen-root",
    )


def tile(key: str, label: str, value: str, note: str, tone: str = "", demo: bool | None = None) -> html.Div:
    """One big tile; its value slot is `Kpi.VALUE.of(key)` like every tile, so tests find it the same way."""
    badge = [] if demo is None else [html.Span("演示" if demo else "公开",
                                               className="ind-badge demo" if demo else "ind-badge published")]
    return html.Div([html.Div([label, *badge], className="kpi-label"),
                     html.Div(value, id=Kpi.VALUE.of(key), className="kpi-value"),
                     html.Div(note, className="kpi-note")], className=f"kpi {tone}".strip())
