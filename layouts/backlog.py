"""信访积案 /backlog: the petition backlog board by color and origin, its progress, the differentiated assessment,
the case list with each case's history, and the 挂牌督办 leader-listed supervision with its task forces.

Static frame only; `callbacks.backlog` fills it from the URL's view. The small helpers at the top (panels,
graphs, tables) are shared by the other governance-operation pages (/grids, /safety, /alerts).
"""

from __future__ import annotations

from dash import dash_table, dcc, html

from dashboard.ids import BacklogPage
from dashboard.theme import BORDER, FONT_FAMILY, PANEL, TEXT
from layouts.components import TileSpec, export_menu, kpi_tile, report_menu
from layouts.figures.backlog import CASE_COLUMNS, CASE_PAGE_SIZE, SUP_COLUMNS

PATH = "/backlog"
TITLE = "信访积案"

GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
TILES: tuple[TileSpec, ...] = (
    TileSpec("backlog_on_board", "在办积案", "时段末仍在办的信访积案"),
    TileSpec("backlog_red", "红色积案", "时段末在办 · 化解难度大", "bad"),
    TileSpec("backlog_yellow", "黄色积案", "时段末在办", "warn"),
    TileSpec("backlog_green", "绿色积案", "时段末在办 · 化解难度小", "good"),
    TileSpec("backlog_resolved", "期内化解积案", "时段内办结的信访积案"),
    TileSpec("backlog_listed", "期内新列入", "时段内列入积案台账"),
)
SUP_TILES: tuple[TileSpec, ...] = (
    TileSpec("sup_listed", "挂牌督办", "时段末已挂牌的疑难案件"),
    TileSpec("sup_resolved", "已化解", "挂牌案件中已化解", "good"),
    TileSpec("sup_in_progress", "未化解", "办理中或办结未化解", "warn"),
    TileSpec("sup_overdue", "逾期节点", "时段末已过期限未完成的节点", "bad"),
    TileSpec("sup_difficult", "疑难案件化解", "时段内中心化解的疑难复杂案件"),
)


# --- shared by the operations pages ---


def ops_panel(title: str, body, note: str = "", tools=None, class_name: str = "") -> html.Section:
    """A titled panel; `tools` (an export menu, a toggle) sit at the right of the title."""
    head = [html.Span(title), html.Small(note)] + ([tools] if tools is not None else [])
    return html.Section([html.Div(head, className="ops-panel-title"), body],
                        className=f"ops-panel {class_name}".strip())


def ops_graph(graph_id: str, height: int = 340) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"})


def ops_table(table_id: str, columns: tuple[tuple[str, str], ...], page_size: int = 10,
              server_paged: bool = False) -> dash_table.DataTable:
    """A dark, clickable table, paged and sorted in the browser (at most a few hundred rows are sent), or on
    the server (`server_paged`: its callback answers page_current and sort_by with one page)."""
    paging = ({"page_action": "custom", "sort_action": "custom", "page_current": 0, "page_count": 1}
              if server_paged else {"page_action": "native", "sort_action": "native"})
    return dash_table.DataTable(
        id=table_id,
        columns=[{"id": cid, "name": name} for cid, name in columns],
        data=[],
        page_size=page_size,
        **paging,
        cell_selectable=True,
        style_as_list_view=True,
        style_table={"overflowX": "auto"},
        style_header={"backgroundColor": "#12294a", "color": TEXT, "fontWeight": "bold", "fontSize": "15px",
                      "border": f"1px solid {BORDER}", "fontFamily": FONT_FAMILY},
        style_cell={"backgroundColor": PANEL, "color": TEXT, "fontFamily": FONT_FAMILY, "fontSize": "15px",
                    "padding": "7px 10px", "border": f"1px solid {BORDER}", "textAlign": "left",
                    "whiteSpace": "nowrap", "overflow": "hidden", "textOverflow": "ellipsis", "maxWidth": "240px",
                    "cursor": "pointer"},
        style_data_conditional=[
            {"if": {"filter_query": '{color} = "红色"', "column_id": "color"}, "color": "#ff4d4f", "fontWeight": "bold"},
            {"if": {"filter_query": '{color} = "黄色"', "column_id": "color"}, "color": "#fadb14"},
            {"if": {"filter_query": '{color} = "绿色"', "column_id": "color"}, "color": "#52c41a"},
            {"if": {"filter_query": "{overdue} > 0", "column_id": "overdue"}, "color": "#ff4d4f", "fontWeight": "bold"},
            {"if": {"state": "active"}, "backgroundColor": "#12345c", "border": "1px solid #2ec7ff"},
            {"if": {"state": "selected"}, "backgroundColor": "#12345c", "border": f"1px solid {BORDER}"},
        ],
    )


def tiles_row(tiles: tuple[TileSpec, ...], class_name: str = "") -> html.Div:
    return html.Div([kpi_tile(t) for t in tiles], className=f"kpi-row ops-tiles {class_name}".strip())


# --- the page ---


def layout(**_query: str) -> html.Div:
    """Tiles; origin, areas and assessment; resolved per month and color trend; case lists with the detail."""
    return html.Div(
        [
            html.Div([html.Div(id=BacklogPage.CONTEXT, className="cc-subtitle"), report_menu("backlog")],
                     className="ops-head"),
            tiles_row(TILES),
            html.Div(
                [ops_panel("积案来源与难度", ops_graph(BacklogPage.BY_ORIGIN), "国治件 · 省交办件 · 市排查件",
                           export_menu("backlog-origin")),
                 ops_panel("下级区域积案", ops_graph(BacklogPage.BY_AREA), "点击区域下钻",
                           export_menu("backlog-areas")),
                 ops_panel("差异化考核", ops_graph(BacklogPage.ASSESSMENT), "按难度加权的化解率排名",
                           export_menu("backlog-assessment"))],
                className="ops-row three",
            ),
            html.Div(
                [ops_panel("积案化解（按月）", ops_graph(BacklogPage.RESOLVED, 320), "按办结时颜色",
                           export_menu("backlog-resolved")),
                 ops_panel("积案颜色变化", html.Div([ops_graph(BacklogPage.COLOR_TREND, 280),
                                                 html.Div(id=BacklogPage.MOVES, className="ops-moves")]),
                           "各月末在办积案按颜色 · 红转黄、黄转绿为进展", export_menu("backlog-colors"))],
                className="ops-row two",
            ),
            html.Div(
                [
                    html.Div(
                        [ops_panel("积案清单", html.Div([html.Div(id=BacklogPage.TABLE_TOTAL, className="ops-total"),
                                                     ops_table(BacklogPage.TABLE, CASE_COLUMNS, CASE_PAGE_SIZE, server_paged=True)]),
                                   "在办按难度排列，其后为期内化解；点击查看详情"),
                         html.H3("挂牌督办 · 专人专班专案", className="ops-section-title"),
                         tiles_row(SUP_TILES, "small"),
                         ops_panel("挂牌督办清单", html.Div([html.Div(id=BacklogPage.SUP_TOTAL, className="ops-total"),
                                                       ops_table(BacklogPage.SUP_TABLE, SUP_COLUMNS, CASE_PAGE_SIZE, server_paged=True)]),
                                   "市主要领导统筹 · 市分管领导督办 · 县区党政一把手主办", export_menu("backlog-supervision")),
                         ops_panel("专班", html.Ul(id=BacklogPage.FORCES, className="ops-forces"), "非法金融、民营医院等历史遗留问题")],
                        className="ops-stack",
                    ),
                    html.Aside([html.H3("案件详情", className="ops-panel-title"),
                                html.Div(id=BacklogPage.DETAIL, className="ops-detail")],
                               className="ops-panel ops-detail-panel"),
                ],
                className="ops-row detail",
            ),
            dcc.Store(id=BacklogPage.SELECTED),
        ],
        className="ops-page backlog-page",
    )
