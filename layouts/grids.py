"""精网微格 /grids: grids and their people down to the grid, visits to key populations (coverage, overdue),
visits per month by action, silent grids, and — for the area's chief and admins only — the individual list.

Static frame only; `callbacks.grids` fills it from the URL's view.
"""

from __future__ import annotations

from dash import html

from dashboard.ids import GridsPage
from layouts.backlog import ops_graph, ops_panel, ops_table, tiles_row
from layouts.components import TileSpec, export_menu, report_menu
from layouts.figures.grids import PEOPLE_COLUMNS, STRUCTURE_COLUMNS

PATH = "/grids"
TITLE = "精网微格"

TILES: tuple[TileSpec, ...] = (
    TileSpec("grids_grids", "网格", "微网格总数"),
    TileSpec("grids_demo", "示范网格", "精网微格示范点"),
    TileSpec("grids_liaisons", "微网格联络员", "每个微网格至少一名"),
    TileSpec("grids_staff", "网格员", "专职网格员"),
    TileSpec("grids_per_liaison", "每名联络员服务居民", "常住人口 / 联络员"),
)
WORK_TILES: tuple[TileSpec, ...] = (
    TileSpec("grids_persons", "在管重点人员", "时段末在管（仅统计人数）"),
    TileSpec("grids_coverage", "走访覆盖率", "按期走访 / 应走访", "good"),
    TileSpec("grids_overdue", "逾期未走访", "时段末超过走访周期", "bad"),
    TileSpec("grids_silent", "沉默网格", "连续多日无巡查、走访、上报", "warn"),
    TileSpec("grids_reports", "网格员上报事件", "时段内网格员上报的案件"),
)


def layout(**_query: str) -> html.Div:
    """Tiles; coverage by area, by group and visits per month; the area table, silent grids and the list."""
    return html.Div(
        [
            html.Div([html.Div(id=GridsPage.CONTEXT, className="cc-subtitle"), report_menu("grids")],
                     className="ops-head"),
            tiles_row(TILES, "small"),
            tiles_row(WORK_TILES, "small"),
            html.Div(
                [ops_panel("重点人员走访覆盖率 · 按区域", ops_graph(GridsPage.COVERAGE, 380), "点击区域下钻",
                           export_menu("grids-coverage")),
                 ops_panel("重点人群走访", ops_graph(GridsPage.GROUPS, 380), "刑满释放 · 社区矫正 · 吸毒解戒 · 群租房",
                           export_menu("grids-groups")),
                 ops_panel("走访次数（按月）", ops_graph(GridsPage.VISITS, 380), "走访 · 扫楼行动 · 敲门行动",
                           export_menu("grids-visits"))],
                className="ops-row three",
            ),
            html.Div(
                [ops_panel("网格力量与工作 · 按区域", ops_table(GridsPage.STRUCTURE, STRUCTURE_COLUMNS, 12),
                           "点击行下钻", export_menu("grids-structure")),
                 ops_panel("沉默网格", html.Div([html.Div(id=GridsPage.SILENT_TOTAL, className="ops-total"),
                                              html.Ul(id=GridsPage.SILENT, className="ops-list silent")]),
                           "时段末连续无巡查日志、走访和上报")],
                className="ops-row two",
            ),
            ops_panel("重点人员名单", html.Div([html.Div(id=GridsPage.PEOPLE_NOTE, className="ops-people-note"),
                                          html.Div(ops_table(GridsPage.PEOPLE, PEOPLE_COLUMNS, 10),
                                                   id=f"{GridsPage.PEOPLE}-wrap")]),
                      "逾期未走访在前"),
        ],
        className="ops-page grids-page",
    )
