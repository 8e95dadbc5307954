"""逾期督办 /overdue: what is past due at the end of the period, where, whose, how late, and which card it has.

A static frame: tiles, charts, the server-paged table and the timeline panel; `callbacks.overdue` fills them
from the URL's view.
"""

from __future__ import annotations

from dash import dash_table, dcc, html

from dashboard.ids import OverduePage
from dashboard.theme import BORDER, FONT_FAMILY, PANEL, TEXT
from data.queries.overdue import PAGE_SIZE
from layouts.components import EXPORT_FORMATS, TileSpec, export_menu, kpi_tile, report_menu
from layouts.figures.overdue import TABLE_COLUMNS

PATH = "/overdue"
TITLE = "逾期督办"

TILES: tuple[TileSpec, ...] = (
    TileSpec("overdue_total", "逾期在办案件", "时段末仍在办理且已超过办理期限", "bad"),
    TileSpec("overdue_red", "红牌督办", "时段末在办案件中最高为红牌", "bad"),
    TileSpec("overdue_due_24h", "24小时内到期", "时段末起24小时内到期的在办案件", "warn"),
    TileSpec("overdue_due_48h", "48小时内到期", "时段末起48小时内到期的在办案件", "warn"),
)
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
GRAPH_HEIGHT = 340
# The full case list has no chart: spreadsheets only.
TABLE_FORMATS = tuple(f for f in EXPORT_FORMATS if f[0] in ("xlsx", "csv"))
TITLE_ROW = {"display": "flex", "justifyContent": "space-between", "alignItems": "baseline", "gap": "12px"}


def _panel(title: str, body, class_name: str = "", chart: str = "") -> html.Section:
    """A titled panel; `chart` (a name registered in dashboard.charts) puts its 导出 menu at the title's right."""
    head = html.H3(title, className="overdue-panel-title")
    if chart:
        head = html.Div([head, export_menu(chart)], style=TITLE_ROW)
    return html.Section([head, body], className=f"overdue-panel {class_name}".strip())


def _graph(graph_id: str, height: int = GRAPH_HEIGHT) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"})


def _table() -> dash_table.DataTable:
    """The overdue table: paging, sorting and filtering all happen on the server (custom actions)."""
    return dash_table.DataTable(
        id=OverduePage.TABLE,
        columns=[{"id": cid, "name": name, "type": kind} for cid, name, kind in TABLE_COLUMNS],
        data=[],
        page_action="custom",
        page_current=0,
        page_size=PAGE_SIZE,
        page_count=1,
        sort_action="custom",
        sort_mode="single",
        sort_by=[],
        filter_action="custom",
        filter_query="",
        filter_options={"placeholder_text": "筛选…"},
        cell_selectable=True,
        style_as_list_view=True,
        style_table={"overflowX": "auto"},
        style_header={"backgroundColor": "#12294a", "color": TEXT, "fontWeight": "bold", "fontSize": "16px",
                      "border": f"1px solid {BORDER}", "fontFamily": FONT_FAMILY},
        style_filter={"backgroundColor": "#0a1628", "color": TEXT, "fontFamily": FONT_FAMILY},
        style_cell={"backgroundColor": PANEL, "color": TEXT, "fontFamily": FONT_FAMILY, "fontSize": "15px",
                    "padding": "8px 10px", "border": f"1px solid {BORDER}", "textAlign": "left",
                    "whiteSpace": "nowrap", "overflow": "hidden", "textOverflow": "ellipsis", "maxWidth": "260px",
                    "cursor": "pointer"},
        style_cell_conditional=[{"if": {"column_id": "overdue_days"}, "textAlign": "center"}],
        style_data_conditional=row_styles(None),
    )


def row_styles(selected_case: int | None) -> list[dict]:
    """Card colors in the 督办牌 column, and the whole row of the case whose timeline is shown."""
    styles = [
        {"if": {"filter_query": '{card} = "红牌"', "column_id": "card"}, "color": "#ff4d4f", "fontWeight": "bold"},
        {"if": {"filter_query": '{card} = "黄牌"', "column_id": "card"}, "color": "#fadb14"},
        {"if": {"filter_query": '{card} = "蓝牌"', "column_id": "card"}, "color": "#5a9bff"},
        {"if": {"state": "active"}, "backgroundColor": "#12345c", "border": "1px solid #2ec7ff"},
        {"if": {"state": "selected"}, "backgroundColor": "#12345c", "border": "1px solid #1d3557"},
    ]
    if selected_case is not None:
        styles.append({"if": {"filter_query": f"{{id}} = {int(selected_case)}"}, "backgroundColor": "#12345c"})
    return styles


def layout(**_query: str) -> html.Div:
    """Static frame; everything on it is filled by `callbacks.overdue` from the URL's area, period and kinds."""
    return html.Div(
        [
            html.Div([html.Div([html.Span(id=OverduePage.AREA_LABEL), " · ", html.Span(id=OverduePage.AS_OF_LABEL)],
                               className="cc-subtitle"),
                      html.Div([export_menu("overdue-kpis"), report_menu("overdue")], className="cc-toolbar",
                               style={"marginBottom": 0})],
                     style={**TITLE_ROW, "alignItems": "center"}),
            html.Div(
                [*[kpi_tile(t) for t in TILES],
                 _panel("即将到期（48小时内）", html.Ol(id=OverduePage.DUE_SOON_LIST, className="overdue-soon"),
                        "overdue-soon-panel", "overdue-due-soon")],
                className="overdue-top",
            ),
            html.Div(
                [_panel("逾期在办 · 按区域", _graph(OverduePage.BY_AREA), chart="overdue-by-area"),
                 _panel("逾期时长分布", _graph(OverduePage.AGING), chart="overdue-aging"),
                 _panel("责任单位逾期 Top 15", _graph(OverduePage.BY_UNIT), "overdue-units", "overdue-by-unit")],
                className="overdue-row three",
            ),
            html.Div(
                [_panel("督办牌 · 按区域（在办案件最高牌色）", _graph(OverduePage.CARDS_BY_AREA),
                         chart="overdue-cards-by-area"),
                 _panel("督办牌发放趋势（按周）", _graph(OverduePage.CARDS_TREND), chart="overdue-cards-trend")],
                className="overdue-row two",
            ),
            html.Div(
                [
                    html.Section(
                        [html.Div([html.H3("逾期案件清单", className="overdue-panel-title"),
                                   html.Span(id=OverduePage.TABLE_TOTAL, className="overdue-total"),
                                   html.Span("默认按逾期天数从长到短排列；点击表头排序，在第二行输入条件筛选（如 > 30）",
                                             className="overdue-hint"),
                                   html.Div(export_menu("overdue-cases", TABLE_FORMATS), style={"marginLeft": "auto"})],
                                  className="overdue-table-head"),
                         html.Div(id=OverduePage.TABLE_NOTICE, className="overdue-notice", role="status"),
                         _table()],
                        className="overdue-panel overdue-table-panel",
                    ),
                    html.Aside(
                        [html.H3("办理经过", className="overdue-panel-title"),
                         html.Div(id=OverduePage.TIMELINE_TITLE, className="tl-title"),
                         html.Ol(id=OverduePage.TIMELINE, className="tl-list")],
                        className="overdue-panel overdue-timeline-panel",
                    ),
                ],
                className="overdue-row table",
            ),
        ],
        className="overdue-page",
    )
