"""平安指数 /safety: the index (0–100) of each area from weighted indicators — map, ranking, trend — and for the
view's area the contribution of each indicator and what moved it since the previous period.

The weights, directions and bounds live in `config/safety_index.json`; its formula is shown on the page.
Static frame only; `callbacks.safety` fills it from the URL's view.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.ids import SafetyPage
from data.alert_rules import config_file, read_json
from layouts.backlog import GRAPH_CONFIG, ops_graph, ops_panel, ops_table, tiles_row
from layouts.components import TileSpec, export_menu, report_menu
from layouts.figures.safety import TABLE_COLUMNS

PATH = "/safety"
TITLE = "平安指数"

TILES: tuple[TileSpec, ...] = (
    TileSpec("safety_index", "平安指数", "本区域本时段（0–100）", "good"),
    TileSpec("safety_prev", "上期指数", "前一等长时段"),
    TileSpec("safety_change", "较上期", "指数变化（分）"),
    TileSpec("safety_best", "下级最高", "下级区域中指数最高"),
    TileSpec("safety_worst", "下级最低", "下级区域中指数最低", "warn"),
)


def formula_lines() -> list[str]:
    """The formula as the configuration file documents it (empty when the file cannot be read)."""
    try:
        return list(read_json(config_file("safety_index.json", "SAFETY_INDEX_FILE")).get("formula", []))
    except ValueError:
        return []


def layout(**_query: str) -> html.Div:
    """Tiles; map and ranking; trend, contributions and changes; the indicator table with the formula."""
    return html.Div(
        [
            html.Div([html.Div(id=SafetyPage.CONTEXT, className="cc-subtitle"), report_menu("safety")],
                     className="ops-head"),
            tiles_row(TILES, "small"),
            html.Div(
                [ops_panel("平安指数地图", dcc.Graph(id=SafetyPage.MAP, config={**GRAPH_CONFIG, "scrollZoom": True},
                                                 style={"height": "460px"}), "点击区域下钻"),
                 ops_panel("下级区域排名", ops_graph(SafetyPage.RANKING, 460), "点击区域下钻",
                           export_menu("safety-ranking"))],
                className="ops-row map",
            ),
            html.Div(
                [ops_panel("指数走势（按月）", ops_graph(SafetyPage.TREND, 380), "每月单独计算",
                           export_menu("safety-trend")),
                 ops_panel("指标贡献", ops_graph(SafetyPage.BREAKDOWN, 380), "灰色为该指标满分",
                           export_menu("safety-breakdown")),
                 ops_panel("较上期变化", ops_graph(SafetyPage.CHANGES, 380), "哪些指标拉动了指数")],
                className="ops-row three",
            ),
            html.Div(
                [ops_panel("指标明细", ops_table(SafetyPage.TABLE, TABLE_COLUMNS, 12)),
                 ops_panel("计算方法", html.Ol([html.Li(line) for line in formula_lines()], id=SafetyPage.FORMULA,
                                            className="ops-formula"), "权重与方向见 config/safety_index.json")],
                className="ops-row two",
            ),
        ],
        className="ops-page safety-page",
    )
