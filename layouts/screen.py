"""大屏 /screen: a fixed 1920×1080 wall-screen composition that `assets/screen.js` scales to the window.

The canvas is laid out once in design pixels; the script only sets a CSS transform (never browser zoom), so
text stays sharp on a 4K wall and nothing scrolls. The shell's header and filter bar are hidden on this page
(`body.screen-mode`), and in kiosk mode (`?kiosk=1`) on every page.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.context import services
from dashboard.ids import ScreenPage
from layouts.components import TileSpec, kpi_tile, report_menu

PATH = "/screen"
TITLE = "大屏"

TILES: tuple[TileSpec, ...] = (
    TileSpec("screen_intake_today", "今日受理", "统计日当天登记的各类案件"),
    TileSpec("screen_disputes_handled", "矛盾纠纷化解数", "时段内办结的矛盾纠纷"),
    TileSpec("screen_success_rate", "调解成功率", "调解成功 / 办结纠纷", "good"),
    TileSpec("screen_overdue", "逾期在办", "时段末已超办理期限", "warn"),
    TileSpec("screen_red_cards", "红牌督办", "时段末在办案件中的红牌", "bad"),
)
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
# Design-pixel heights of the figures on the 1920×1080 canvas (see the screen section of the CSS).
MAP_HEIGHT = 742
SIDE_HEIGHT = 340
FLOW_HEIGHT = 296
RANKING_HEIGHT = 272


def _graph(graph_id: str, height: int) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"})


def _panel(title: str, *body, class_name: str = "") -> html.Section:
    return html.Section([html.H3(title, className="screen-panel-title"), *body],
                        className=f"screen-panel {class_name}".strip())


def _header() -> html.Header:
    return html.Header(
        [
            # The report menu is hidden in kiosk mode (CSS `body.kiosk-mode .export-menu`): the wall is for viewing.
            html.Div([dcc.Link("‹ 返回", href="/", id=ScreenPage.EXIT, className="screen-exit"),
                      html.Div([html.Span(id=ScreenPage.AREA_LABEL, className="screen-area"),
                                html.Span(id=ScreenPage.PERIOD_LABEL, className="screen-period")]),
                      report_menu("screen")],
                     className="screen-head-left"),
            html.H1("社会治理现代化指挥中心", className="screen-title"),
            html.Div(
                [html.Div(["本机时间 ", html.Span(id=ScreenPage.CLOCK, className="screen-clock")]),
                 html.Div(["数据截至 ", html.Span(id=ScreenPage.DATA_DATE, className="screen-data-date")])],
                className="screen-head-right",
            ),
        ],
        className="screen-head",
    )


def _red_list() -> html.Div:
    return html.Div(
        [html.Div([html.Span("签发时间"), html.Span("案件编号"), html.Span("所属区域"), html.Span("责任单位")],
                  className="ticker-head"),
         html.Div(html.Ul(id=ScreenPage.RED_LIST, className="ticker-list still"), className="ticker-viewport")],
        className="ticker",
    )


def layout(**_query: str) -> html.Div:
    """The canvas; `callbacks.screen` fills it from the URL's view and refreshes it every N seconds."""
    refresh_ms = services().config.refresh_seconds * 1000
    return html.Div(
        [
            dcc.Interval(id=ScreenPage.REFRESH, interval=refresh_ms),
            dcc.Interval(id=ScreenPage.CLOCK_TICK, interval=1000),
            dcc.Store(id=ScreenPage.MAP_SIGNATURE),
            html.Div(
                [
                    _header(),
                    html.Div([kpi_tile(t) for t in TILES], className="screen-kpis"),
                    html.Div(
                        [
                            html.Div([_panel("近12个月受理趋势", _graph(ScreenPage.TREND, SIDE_HEIGHT)),
                                      _panel("案件流转（首办层级 → 办结层级）", _graph(ScreenPage.FLOW, FLOW_HEIGHT),
                                             html.Div(id=ScreenPage.FLOW_NOTE, className="screen-flow-note"))],
                                     className="screen-col"),
                            _panel("在办案件分布", _graph(ScreenPage.MAP, MAP_HEIGHT), class_name="screen-map"),
                            html.Div([_panel("在办案件最多的区域", _graph(ScreenPage.RANKING, RANKING_HEIGHT),
                                             class_name="screen-ranking"),
                                      _panel("最新红牌督办", _red_list(), class_name="screen-red")],
                                     className="screen-col right"),
                        ],
                        className="screen-main",
                    ),
                ],
                id=ScreenPage.CANVAS,
                className="screen-canvas",
            ),
        ],
        className="screen-root",
    )


def kiosk_frame() -> html.Div:
    """Parts that must outlive page changes (kiosk rotation, the body-class hook); added to the shell once."""
    return html.Div(
        [dcc.Interval(id=ScreenPage.KIOSK_TICK, interval=30_000, disabled=True),
         html.Div(id=ScreenPage.BODY_CLASS_SINK, hidden=True)]
    )
