"""三年计划 /plan: the plan for a safer Suqian by domain, its late items, the timeline and the item list.

Static frame plus builders for the tiles, the late list and the table; `callbacks.plan` fills them from the URL
(area, the period's end as the status date, and `domain=<code>` to look at one domain). Statuses follow
`data.queries.plan.item_status`.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
from dash import dcc, html

from dashboard.formatting import date_cn
from dashboard.ids import PlanPage
from data.models_strategy import PLAN_STATUS_LABELS, PlanStatus
from layouts.components import TileSpec, export_menu, kpi_tile, report_menu

PATH = "/plan"
TITLE = "三年计划"
PLAN_NAME = "更高水平平安宿迁建设三年计划"
GRAPH_CONFIG = {"displayModeBar": False, "displaylogo": False}
TILE_KEYS = ("plan_items", "plan_done", "plan_on_track", "plan_late", "plan_progress")


def layout(**_query: str) -> html.Div:
    """Tiles; domains beside the late items; the timeline; every item."""
    return html.Div(
        [
            html.Div([html.Div(id=PlanPage.CONTEXT, className="cc-subtitle"),
                      html.Div([html.Span("领域：", className="plan-chip-prefix"),
                                html.Span(id=PlanPage.CHIP_LABEL, className="plan-chip-label"),
                                html.Button("×", id=PlanPage.CHIP_CLEAR, className="plan-chip-clear", n_clicks=0,
                                            title="显示全部领域")],
                               id=PlanPage.CHIP, className="plan-chip", hidden=True),
                      report_menu("plan")], className="plan-head"),
            html.Div(id=PlanPage.TILES, className="kpi-row plan-tiles"),
            html.Div(
                [
                    html.Section([html.Div([html.Span("分领域推进情况"), html.Small("点击领域筛选本页"),
                                            export_menu("plan-domains")], className="plan-panel-title"),
                                  dcc.Graph(id=PlanPage.DOMAINS, config=GRAPH_CONFIG, className="plan-graph")],
                                 className="plan-panel"),
                    html.Section([html.Div([html.Span("滞后事项"), html.Small("有节点超过时限未完成")],
                                           className="plan-panel-title"),
                                  html.Div(id=PlanPage.LATE, className="plan-late")], className="plan-panel"),
                ],
                className="plan-row",
            ),
            html.Section([html.Div([html.Span("计划时间轴"), html.Small("色条为事项周期 · 圆点为节点 · 红叉为逾期未完成节点"),
                                    export_menu("plan-items")], className="plan-panel-title"),
                          dcc.Graph(id=PlanPage.TIMELINE, config=GRAPH_CONFIG, className="plan-timeline")],
                         className="plan-panel"),
            html.Section([html.Div([html.Span("事项清单")], className="plan-panel-title"),
                          html.Div(id=PlanPage.TABLE, className="plan-table-wrap")], className="plan-panel"),
        ],
        className="plan-page",
    )


def tiles(items: pd.DataFrame) -> list[html.Div]:
    """Items, done, on track, late, and the mean progress of the items shown."""
    counts = items["status"].value_counts()
    progress = float(items["progress"].mean()) if len(items) else float("nan")
    values = [str(len(items)), *(str(int(counts.get(str(s), 0))) for s in PlanStatus),
              "—" if math.isnan(progress) else f"{progress:.1f}%"]
    labels = ["计划事项", *(PLAN_STATUS_LABELS[s] for s in PlanStatus), "节点完成率"]
    notes = ["适用于本区域的事项", "全部节点已完成", "未到期节点按计划推进", "有节点逾期未完成", "已完成节点 / 全部节点（按事项平均）"]
    tones = ["", "good", "", "bad", ""]
    return [kpi_tile(TileSpec(key, label, note, tone), value)
            for key, label, value, note, tone in zip(TILE_KEYS, labels, values, notes, tones, strict=True)]


def _day(value: object) -> str:
    return date_cn(value) if isinstance(value, date) else "—"


def late_list(items: pd.DataFrame) -> html.Ul | html.Div:
    """The late items: what was missed, since when, who leads, and the latest note."""
    late = items[items["status"] == str(PlanStatus.LATE)]
    if late.empty:
        return html.Div("没有滞后事项", className="plan-empty")
    return html.Ul([html.Li([html.Div([html.Strong(f"{r.no}. {r.title}"), html.Span(r.owner_unit, className="plan-owner")]),
                             html.Div(f"“{r.late_milestone}”原定 {_day(r.late_due)} 完成，至今未完成", className="plan-missed"),
                             html.Div(r.note or "", className="plan-note")], className="plan-late-item")
                    for r in late.itertuples()], className="plan-late-list")


def table(items: pd.DataFrame) -> html.Table | html.Div:
    """Every item: domain, owner, due date, status, progress, next milestone, latest note; late rows stand out."""
    if items.empty:
        return html.Div("没有适用于该区域的计划事项", className="plan-empty")
    head = html.Thead(html.Tr([html.Th(h) for h in ("序号", "事项", "领域", "牵头单位", "完成时限", "状态", "进度",
                                                    "下一节点", "最新进展")]))
    rows = [html.Tr([html.Td(r.no), html.Td([r.title, html.Span("演示", className="ind-badge demo") if r.is_demo else ""]),
                     html.Td(r.domain), html.Td(r.owner_unit), html.Td(_day(r.due_date)),
                     html.Td(PLAN_STATUS_LABELS[PlanStatus(r.status)], className=f"plan-status {r.status}"),
                     html.Td(f"{r.progress:.0f}%", className="num"),
                     html.Td(f"{r.next_milestone}（{_day(r.next_due)}）" if isinstance(r.next_milestone, str) else "—"),
                     html.Td(r.note if isinstance(r.note, str) else "", className="plan-note-cell")],
                    className=f"plan-item {r.status}") for r in items.itertuples()]
    return html.Table([head, html.Tbody(rows)], className="plan-table")
