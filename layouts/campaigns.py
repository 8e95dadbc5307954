"""专项行动 /campaigns: the campaigns of the period, and for the selected one its targets, months and before/after.

Static frame plus the list builder; `callbacks.campaigns` fills it from the URL (area, period, and
`campaign=<code>` for the campaign shown in detail). A campaign counts its own window, areas and categories.
"""

from __future__ import annotations

import math

import pandas as pd
from dash import dcc, html

from dashboard.formatting import count_full, percent
from dashboard.ids import CampaignsPage
from layouts.components import export_menu, report_menu

PATH = "/campaigns"
TITLE = "专项行动"
GRAPH_CONFIG = {"displayModeBar": False, "displaylogo": False}


def panel(title: str, graph_id: str, note: str = "", chart: str | None = None, extra: str = "") -> html.Section:
    head = [html.Span(title), html.Small(note)] + ([export_menu(chart)] if chart else [])
    return html.Section([html.Div(head, className="camp-panel-title"),
                         dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="camp-graph")],
                        className=f"camp-panel {extra}".strip())


def layout(**_query: str) -> html.Div:
    """The list on top; the selected campaign's targets beside its months; the before/after comparison."""
    return html.Div(
        [
            html.Div([html.Div(id=CampaignsPage.CONTEXT, className="cc-subtitle"), report_menu("campaigns")],
                     className="camp-head"),
            html.Section([html.Div([html.Span("专项行动一览"), html.Small("点击一行查看该行动详情"),
                                    export_menu("campaigns-list")], className="camp-panel-title"),
                          html.Div(id=CampaignsPage.LIST, className="camp-list")], className="camp-panel"),
            html.Div([html.H2(id=CampaignsPage.TITLE, className="camp-title"),
                      html.Div(id=CampaignsPage.META, className="camp-meta")], className="camp-selected"),
            html.Div(
                [
                    panel("目标完成情况", CampaignsPage.TARGETS, "虚线为100%目标线", "campaigns-targets"),
                    panel("行动前后逐月案件", CampaignsPage.TIMELINE, "按登记月 · 阴影为行动期间", "campaigns-timeline"),
                ],
                className="camp-row",
            ),
            panel("行动前、中、后对比", CampaignsPage.BEFORE_AFTER, "各时段与行动期等长（截至数据日期）",
                  "campaigns-before-after", "camp-compare"),
        ],
        className="camp-page",
    )


def _status(row: dict) -> html.Span:
    return html.Span("进行中" if row["running"] else "已结束",
                     className="camp-status running" if row["running"] else "camp-status")


def campaign_list(frame: pd.DataFrame, selected: str | None) -> html.Table | html.Div:
    """The campaigns as a table; a row is a button selecting the campaign shown below."""
    if frame.empty:
        return html.Div("所选时段和区域内没有专项行动", className="camp-empty")
    head = html.Thead(html.Tr([html.Th(h) for h in ("行动", "时间", "牵头单位", "范围", "关联类别", "排查发现",
                                                    "化解办结", "化解率", "状态")]))
    body = []
    for r in frame.to_dict("records"):
        rate = r["rate"]
        body.append(html.Tr(
            [html.Td([r["name"], html.Span("演示", className="ind-badge demo") if r["is_demo"] else ""]),
             html.Td(f"{r['start_date']:%Y.%-m.%-d}–{r['end_date']:%Y.%-m.%-d}"), html.Td(r["lead_unit"]),
             html.Td(r["areas"]), html.Td(r["categories"]), html.Td(count_full(r["found"]), className="num"),
             html.Td(count_full(r["resolved"]), className="num"),
             html.Td(percent(None if isinstance(rate, float) and math.isnan(rate) else rate), className="num"),
             html.Td(_status(r))],
            id={"type": CampaignsPage.ROW, "code": r["code"]}, n_clicks=0, role="button", tabIndex="0",
            className="camp-row-selected" if r["code"] == selected else "",
        ))
    return html.Table([head, html.Tbody(body)], className="camp-table")


def meta_line(row: dict | None) -> str:
    """The selected campaign's window, lead unit, areas and categories in one line."""
    if row is None:
        return ""
    text = (f"{row['start_date']:%Y年%-m月%-d日}至{row['end_date']:%Y年%-m月%-d日} · 牵头：{row['lead_unit']} · "
            f"范围：{row['areas']} · 关联类别：{row['categories']}")
    return text + (f" · {row['description']}" if row["description"] else "") + (" · 演示数据" if row["is_demo"] else "")
