"""治理大屏 /screen-ops: the governance operations on the fixed 1920×1080 wall-screen canvas of /screen (scaled by
`assets/screen.js`): supervision, the backlog by color, visit coverage and the open warnings.

The shell's header and filter bar are hidden on this page (`body.screen-ops-mode`). `callbacks.screen_ops`
fills the canvas from the URL's view and refreshes it every N seconds.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.context import services
from dashboard.ids import ScreenOpsPage
from layouts.components import TileSpec, kpi_tile

PATH = "/screen-ops"
TITLE = "治理大屏"

TILES: tuple[TileSpec, ...] = (
    TileSpec("sops_listed", "挂牌督办", "时段末已挂牌的疑难案件"),
    TileSpec("sops_resolved", "督办已化解", "挂牌案件中已化解", "good"),
    TileSpec("sops_overdue", "逾期节点", "督办节点已过期限未完成", "bad"),
    TileSpec("sops_backlog", "在办积案", "时段末在办的信访积案", "warn"),
    TileSpec("sops_coverage", "走访覆盖率", "重点人员按期走访 / 应走访", "good"),
    TileSpec("sops_warnings", "在办预警", "尚未办结的风险预警", "bad"),
)
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
SIDE_HEIGHT = 340  # design pixels: each left/centre panel is 397 high with its title


def _graph(graph_id: str, height: int = SIDE_HEIGHT) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"})


def _panel(title: str, *body) -> html.Section:
    return html.Section([html.H3(title, className="screen-panel-title"), *body], className="screen-panel")


def _header() -> html.Header:
    return html.Header(
        [html.Div([dcc.Link("‹ 返回", href="/", id=ScreenOpsPage.EXIT, className="screen-exit"),
                   html.Div([html.Span(id=ScreenOpsPage.AREA_LABEL, className="screen-area"),
                             html.Span(id=ScreenOpsPage.PERIOD_LABEL, className="screen-period")])],
                  className="screen-head-left"),
         html.H1("社会治理业务大屏", className="screen-title"),
         html.Div([html.Div(["本机时间 ", html.Span(id=ScreenOpsPage.CLOCK, className="screen-clock")]),
                   html.Div(["数据截至 ", html.Span(id=ScreenOpsPage.DATA_DATE, className="screen-data-date")])],
                  className="screen-head-right")],
        className="screen-head",
    )


def layout(**_query: str) -> html.Div:
    """The canvas: header, six tiles, then backlog | coverage | open warnings."""
    refresh_ms = services().config.refresh_seconds * 1000
    return html.Div(
        [
            dcc.Interval(id=ScreenOpsPage.REFRESH, interval=refresh_ms),
            dcc.Interval(id=ScreenOpsPage.CLOCK_TICK, interval=1000),
            html.Div(
                [
                    _header(),
                    html.Div([kpi_tile(t) for t in TILES], className="screen-kpis sops-kpis"),
                    html.Div(
                        [html.Div([_panel("在办信访积案（按颜色）", _graph(ScreenOpsPage.BACKLOG)),
                                   _panel("积案颜色变化（各月末在办）", _graph(ScreenOpsPage.TREND))], className="sops-col"),
                         html.Div([_panel("重点人员走访覆盖率", _graph(ScreenOpsPage.COVERAGE)),
                                   _panel("重点人群走访", _graph(ScreenOpsPage.GROUPS))], className="sops-col"),
                         _panel("在办风险预警", html.Ul(id=ScreenOpsPage.WARNINGS, className="sops-warnings"))],
                        className="sops-main",
                    ),
                ],
                id=ScreenOpsPage.CANVAS,
                className="screen-canvas sops-canvas",
            ),
        ],
        className="screen-root",
    )


def body_frame() -> html.Div:
    """The <body> class hook, which must outlive the page (added to the shell once)."""
    return html.Div(id=ScreenOpsPage.BODY_CLASS_SINK, hidden=True)
