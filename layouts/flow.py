"""案件流转 /flow: where the intake comes from, who handles it, how it ends and how long each stage takes.

Static frame only; `callbacks.flow` fills every chart from the URL (area, period, kinds and `node=`, the
flow-diagram node that filters the other charts).
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.ids import FlowPage
from layouts.components import export_menu, report_menu

PATH = "/flow"
TITLE = "案件流转"

GRAPH_CONFIG = {"displayModeBar": False, "displaylogo": False}


def panel(title: str, graph_id: str, note: str = "", extra: str = "", chart: str = "") -> html.Section:
    """A titled chart panel, with the 导出 menu of its chart (registered as `chart` in dashboard.charts) on the right."""
    menu = [html.Div(export_menu(chart), style={"marginLeft": "auto"})] if chart else []
    return html.Section(
        [
            html.Div([html.Span(title), html.Small(note), *menu], className="flow-panel-title"),
            dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="flow-graph"),
        ],
        className=f"flow-panel {extra}".strip(),
    )


def node_chip() -> html.Div:
    """The active node filter with a ✕ that removes it (hidden while no node is chosen)."""
    return html.Div(
        [
            html.Span("已筛选：", className="flow-chip-prefix"),
            html.Span(id=FlowPage.CHIP_LABEL, className="flow-chip-label"),
            html.Button("✕", id=FlowPage.CHIP_CLEAR, className="flow-chip-clear", title="清除筛选",
                        **{"aria-label": "清除节点筛选"}),
        ],
        id=FlowPage.CHIP,
        className="flow-chip",
        hidden=True,
    )


def layout(**_query: str) -> html.Div:
    """The page frame: context line and chip, the flow diagram, then the four detail charts in one row
    (the whole page fits a 1920×1080 wall screen)."""
    return html.Div(
        [
            html.Div([html.Div(id=FlowPage.CONTEXT, className="cc-subtitle"), node_chip(),
                      html.Div(report_menu("flow"), style={"marginLeft": "auto"})], className="flow-head"),
            panel("案件流转全景", FlowPage.SANKEY, "来源渠道 → 案件类型 → 首办层级 → 终办层级 → 办理结果 · 点击节点筛选下方图表",
                  "flow-sankey-panel", "flow-sankey"),
            html.Div(
                [
                    panel("各环节用时", FlowPage.STAGES, "中位数与90分位（最近秩法）", chart="flow-stages"),
                    panel("逐级提级", FlowPage.ESCALATIONS, "占受理比例", chart="flow-escalations"),
                    panel("办理方式", FlowPage.MODES, chart="flow-modes"),
                    panel("每周受理与办结", FlowPage.WEEKLY, "周一起算 · 空心点为不足一周", "flow-weekly-panel",
                          "flow-weekly"),
                ],
                className="flow-row",
            ),
        ],
        className="flow-page",
    )
