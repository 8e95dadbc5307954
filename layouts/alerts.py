"""风险预警 /alerts: warnings by week, level and rule; the weekly review (周研判) and the daily review around key
dates (重大节点); the warning list with each warning's evidence and its workflow (交办 → 签收 → 办结).

Static frame only; `callbacks.alerts` fills it from the URL's view (`warning=<id>` opens one warning).
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.ids import AlertsPage
from layouts.backlog import ops_graph, ops_panel, ops_table, tiles_row
from layouts.components import TileSpec, export_menu, report_menu
from layouts.figures.alerts import TABLE_COLUMNS

PATH = "/alerts"
TITLE = "风险预警"

TILES: tuple[TileSpec, ...] = (
    TileSpec("alerts_open", "在办预警", "时段末前发布、尚未办结"),
    TileSpec("alerts_critical", "重大", "在办预警中重大级", "bad"),
    TileSpec("alerts_major", "较大", "在办预警中较大级", "warn"),
    TileSpec("alerts_general", "一般", "在办预警中一般级"),
    TileSpec("alerts_unacknowledged", "待签收", "已发布或已交办、尚未签收", "warn"),
    TileSpec("alerts_raised", "期内发布", "时段内规则触发的预警"),
)


def _actions() -> html.Div:
    """The workflow controls; the callback enables what the warning's state and the user's role allow."""
    return html.Div(
        [dcc.Dropdown(id=AlertsPage.UNIT, options=[], placeholder="选择责任单位", clearable=False, searchable=False,
                      className="ops-unit"),
         html.Button("预警交办", id=AlertsPage.ASSIGN, className="ops-btn", n_clicks=0, disabled=True),
         html.Div(dcc.Textarea(id=AlertsPage.NOTE, placeholder="办结说明（处置情况）", maxLength=200), className="ops-note"),
         html.Button("签收", id=AlertsPage.ACKNOWLEDGE, className="ops-btn", n_clicks=0, disabled=True),
         html.Button("办结", id=AlertsPage.CLOSE, className="ops-btn", n_clicks=0, disabled=True),
         html.Div(id=AlertsPage.MESSAGE, className="ops-message", role="status")],
        id=AlertsPage.ACTIONS, className="ops-actions", hidden=True,
    )


def layout(**_query: str) -> html.Div:
    """Tiles; per week, per rule and the weekly review; key dates; the list with the detail and actions."""
    return html.Div(
        [
            html.Div([html.Div(id=AlertsPage.CONTEXT, className="cc-subtitle"), report_menu("alerts")],
                     className="ops-head"),
            tiles_row(TILES),
            html.Div(
                [ops_panel("预警发布趋势（按周）", ops_graph(AlertsPage.BY_WEEK, 320), "按发布时等级",
                           export_menu("alerts-by-week")),
                 ops_panel("预警类型", ops_graph(AlertsPage.BY_RULE, 320), "规则见 config/alert_rules.json",
                           export_menu("alerts-by-rule")),
                 ops_panel("周研判", html.Ol(id=AlertsPage.WEEKLY, className="ops-list"), "时段最后7天发布的预警")],
                className="ops-row three",
            ),
            ops_panel("重大节点逐日研判", html.Div([html.Div(id=AlertsPage.KEY_DATES_TITLE, className="ops-keydates-title"),
                                             html.Div([ops_graph(AlertsPage.KEY_DATES, 240),
                                                       html.Ol(id=AlertsPage.KEY_DATES_LIST, className="ops-list")],
                                                      className="ops-row two")]),
                      "重大节点前后每日研判"),
            html.Div(
                [ops_panel("预警清单", html.Div([html.Div(id=AlertsPage.TABLE_TOTAL, className="ops-total"),
                                             ops_table(AlertsPage.TABLE, TABLE_COLUMNS, 12)]),
                           "未办结在前（重大优先）；点击查看并处置", export_menu("alerts-list")),
                 html.Aside([html.H3("预警详情与处置", className="ops-panel-title"),
                             html.Div(id=AlertsPage.DETAIL, className="ops-detail"), _actions()],
                            className="ops-panel ops-detail-panel")],
                className="ops-row detail",
            ),
            dcc.Store(id=AlertsPage.SELECTED),
            dcc.Store(id=AlertsPage.CHANGED, data=0),
        ],
        className="ops-page alerts-page",
    )
