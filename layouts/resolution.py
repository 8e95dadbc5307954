"""化解率 /resolution: mediation success and resolution rates over time, by category and by area, and petitions.

Static frame only; `callbacks.resolution` fills the tiles and charts from the URL (area, period, kinds,
`grain=week|month` for the trend and `rank=mediation|resolution` for the area ranking).
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.ids import ResolutionPage
from data.queries.base import Grain
from data.queries.resolution import RankMetric
from layouts.components import TileSpec, export_menu, kpi_tile, report_menu

PATH = "/resolution"
TITLE = "化解率"

GRAPH_CONFIG = {"displayModeBar": False, "displaylogo": False}
# Keys are prefixed: Kpi value IDs are global and the home page owns the plain ones.
TILES: tuple[TileSpec, ...] = (
    TileSpec("res_mediation_rate", "调解成功率", "调解成功 / 办结矛盾纠纷", "good"),
    TileSpec("res_resolution_rate", "化解率", "调解成功与办结化解 / 办结案件"),
    TileSpec("res_first_petitions", "初信初访", "时段内登记的初次信访"),
    TileSpec("res_first_petitions_yoy", "初信初访同比", "与上年同期相比"),
)
GRAIN_LABELS = {Grain.MONTH: "按月", Grain.WEEK: "按周"}
RANK_LABELS = {RankMetric.MEDIATION: "调解成功率", RankMetric.RESOLUTION: "化解率"}


def toggle(kind: str, labels: dict) -> html.Div:
    """A row of buttons (pattern-matching IDs `{"type": kind, "value": …}`); the callback marks the active one."""
    return html.Div(
        [html.Button(label, id={"type": kind, "value": str(value)}, className="res-toggle-btn", n_clicks=0)
         for value, label in labels.items()],
        className="res-toggle", role="group",
    )


def panel(title: str, graph_id: str, note: str = "", tools: html.Div | None = None, extra: str = "",
          chart: str = "") -> html.Section:
    """A titled chart panel, optionally with a toggle in its header, and the 导出 menu of its chart on the right."""
    head = [html.Span(title), html.Small(note)] + ([tools] if tools is not None else [])
    if chart:
        head.append(html.Div(export_menu(chart), style={} if tools is not None else {"marginLeft": "auto"}))
    return html.Section(
        [html.Div(head, className="res-panel-title"), dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="res-graph")],
        className=f"res-panel {extra}".strip(),
    )


def layout(**_query: str) -> html.Div:
    """Tiles, then two columns: trend over categories; area ranking over petitions and repeat visits."""
    return html.Div(
        [
            html.Div([html.Div(id=ResolutionPage.CONTEXT, className="cc-subtitle"),
                      html.Div([export_menu("resolution-kpis"), report_menu("resolution")], className="cc-toolbar",
                               style={"marginBottom": 0})],
                     style={"display": "flex", "justifyContent": "space-between", "alignItems": "center"}),
            html.Div([kpi_tile(t) for t in TILES], id=ResolutionPage.KPIS, className="kpi-row res-kpis"),
            html.Div(
                [
                    html.Div(
                        [
                            panel("化解率走势", ResolutionPage.TREND, "按办结时间 · 灰点为样本少（<30件）",
                                  toggle(ResolutionPage.GRAIN, GRAIN_LABELS), "res-trend-panel", "resolution-trend"),
                            panel("分类别化解率", ResolutionPage.CATEGORIES, "办结件数在括号内 · 灰色为样本少",
                                  extra="res-categories-panel", chart="resolution-categories"),
                        ],
                        className="res-stack",
                    ),
                    html.Div(
                        [
                            panel("下级区域排名", ResolutionPage.RANKING, "实心为本期 · 空心为上年同期",
                                  toggle(ResolutionPage.RANK_METRIC, RANK_LABELS), "res-ranking-panel",
                                  "resolution-ranking"),
                            panel("初信初访", ResolutionPage.PETITIONS, "按登记月 · 本期与上年同期",
                                  chart="resolution-petitions"),
                            panel("重访", ResolutionPage.REPEATS, "重访事件按发生月计", chart="resolution-repeats"),
                        ],
                        className="res-stack",
                    ),
                ],
                className="res-grid",
            ),
        ],
        className="res-page",
    )
