"""指标与调查 /indicators: the published indicators, one indicator over time, province ranks, survey vs cases.

Static frame plus the small builders that turn `latest_values` into the tiles and the table; `callbacks.indicators`
fills them from the URL (area, period, `ind=<indicator code>` for the indicator drawn over time). Values are
per city or county as published (a township view shows its county); the case-kind filter does not apply.
"""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd
from dash import dcc, html

from dashboard.ids import IndicatorsPage, Kpi
from data.indicator_import import CATALOG
from data.models_strategy import ENTRY_SOURCE_LABELS, EntrySource
from layouts.components import export_menu, report_menu
from layouts.figures.indicators import DEMO_LABEL, format_value, period_label, rank_text

PATH = "/indicators"
TITLE = "指标与调查"
GRAPH_CONFIG = {"displayModeBar": False, "displaylogo": False}
DEFAULT_INDICATOR = "crime_rate"
CATALOG_NAMES = {d.code: d.name for d in CATALOG}
# (tile key, indicator code, what the tile shows: value or rank)
TILES: tuple[tuple[str, str, str], ...] = (
    ("ind_safety_sense", "safety_sense", "value"),
    ("ind_crime_rate", "crime_rate", "value"),
    ("ind_crime_total", "crime_total", "rank"),
    ("ind_fraud_awareness", "fraud_awareness", "value"),
    ("ind_school_bullying", "school_bullying_change", "value"),
)


def panel(title: str, graph_id: str, note: str = "", chart: str | None = None, extra: str = "") -> html.Section:
    """A titled chart panel with an optional export menu."""
    head = [html.Span(title), html.Small(note)] + ([export_menu(chart)] if chart else [])
    return html.Section([html.Div(head, className="ind-panel-title"),
                         dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="ind-graph")],
                        className=f"ind-panel {extra}".strip())


def layout(**_query: str) -> html.Div:
    """Tiles; the table beside the selected indicator's series; ranks beside survey vs cases."""
    return html.Div(
        [
            html.Div([html.Div(id=IndicatorsPage.CONTEXT, className="cc-subtitle"),
                      dcc.Link("指标大屏 ›", href="/screen-indicators", id=IndicatorsPage.SCREEN_LINK,
                               className="ind-screen-link"),
                      report_menu("indicators")], className="ind-head"),
            html.Div(id=IndicatorsPage.TILES, className="kpi-row ind-tiles"),
            html.Div(
                [
                    html.Section([html.Div([html.Span("指标一览"), html.Small("点击一行查看该指标走势"),
                                            export_menu("indicators-latest")], className="ind-panel-title"),
                                  html.Div(id=IndicatorsPage.TABLE, className="ind-table-wrap")],
                                 className="ind-panel ind-table-panel"),
                    html.Section([html.Div([html.Span(id=IndicatorsPage.SERIES_TITLE), html.Small("虚线为目标值 · 空心点为演示数据"),
                                            export_menu("indicators-series")], className="ind-panel-title"),
                                  dcc.Graph(id=IndicatorsPage.SERIES, config=GRAPH_CONFIG, className="ind-graph")],
                                 className="ind-panel"),
                ],
                className="ind-row first",
            ),
            html.Div(
                [
                    panel("全省排名", IndicatorsPage.RANKS, "空心点为演示数据", "indicators-ranks"),
                    panel("调查结果与案件数据对照", IndicatorsPage.SURVEY, "同一时段 · 斜纹柱为演示数据",
                          "indicators-survey"),
                ],
                className="ind-row",
            ),
            html.Div(f"说明：标注“{DEMO_LABEL}”的数值、排名为演示数据；其余为宿迁市公开发布的数据。", className="ind-footnote"),
        ],
        className="ind-page",
    )


def _badge(is_demo: bool | None) -> html.Span | str:
    if is_demo is None:
        return ""
    return html.Span("演示" if is_demo else "公开", className="ind-badge demo" if is_demo else "ind-badge published")


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    """A text cell, empty for None or NaN (pandas turns missing strings into NaN)."""
    return "" if _missing(value) else str(value)


def tiles(latest: pd.DataFrame) -> list[html.Div]:
    """The key indicators as tiles: latest value (or rank) with its period, tier and whether it is demo data."""
    rows = {r["code"]: r for r in latest.to_dict("records")}
    out = []
    for key, code, show in TILES:
        r = rows.get(code)
        if r is None:
            out.append(html.Div([html.Div(CATALOG_NAMES.get(code, code), className="kpi-label"),
                                 html.Div("—", id=Kpi.VALUE.of(key), className="kpi-value"),
                                 html.Div("暂无数据", className="kpi-note")], className="kpi"))
            continue
        if show == "rank" and not _missing(r["province_rank"]):
            value = rank_text(r["province_rank"], r["rank_total"], None)
            note = f"{period_label(r['rank_key'])} · {_text(r['rank_group'])}排名 · 发案 {format_value(r['value'], r['unit'])}"
            demo = r["rank_is_demo"]
        else:
            value = format_value(r["value"], r["unit"])
            tier = f" · {r['tier']}（{period_label(r['tier_key'])}）" if _text(r["tier"]) else ""
            note = period_label(r["period_key"]) + tier
            demo = r["is_demo"]
        label = r["name"] + ("排名" if show == "rank" else "")
        out.append(html.Div([html.Div([label, _badge(demo)], className="kpi-label"),
                             html.Div(value, id=Kpi.VALUE.of(key), className="kpi-value"),
                             html.Div(note, className="kpi-note")], className="kpi"))
    return out


def _change(r: dict) -> html.Span | str:
    if _missing(r["change"]):
        return "—"
    tone = "" if r["improved"] is None else ("good" if r["improved"] else "bad")
    unit = "个百分点" if r["unit"] == "%" else r["unit"]
    return html.Span(f"{r['change']:+.2f} {unit}", className=f"ind-change {tone}".strip())


def _entered(r: dict) -> str:
    at = r["entered_at"]
    when = at.strftime("%Y-%m-%d") if isinstance(at, datetime) else str(at)[:10]
    source = ENTRY_SOURCE_LABELS.get(EntrySource(r["entry_source"]), r["entry_source"])
    return f"{r['entered_by']} · {when}" if r["entry_source"] != EntrySource.DEMO else f"{source} · {when}"


def table(latest: pd.DataFrame, selected: str) -> html.Table | html.Div:
    """Every indicator's latest value; a row is a button that selects the indicator drawn over time."""
    if latest.empty:
        return html.Div("该区域暂无指标数据（指标按市、县区两级发布）", className="ind-empty")
    head = html.Thead(html.Tr([html.Th(h) for h in ("指标", "最新期间", "数值", "较上期", "目标", "排名 / 梯队",
                                                    "录入")]))
    body = []
    for r in latest.to_dict("records"):
        standing = " ".join(x for x in (rank_text(r["province_rank"], r["rank_total"], _text(r["rank_group"])),
                                        _text(r["tier"])) if x)
        body.append(html.Tr(
            [html.Td(r["name"], title=f"来源：{r['source']}"), html.Td(period_label(r["period_key"])),
             html.Td([format_value(r["value"], r["unit"]), " ", _badge(r["is_demo"])]), html.Td(_change(r)),
             html.Td(format_value(r["target"], r["unit"]) if not _missing(r["target"]) else "—"),
             html.Td([standing or "—", " ", _badge(r["rank_is_demo"] if standing else None)]),
             html.Td(_entered(r), className="ind-entered")],
            id={"type": IndicatorsPage.ROW, "code": r["code"]}, n_clicks=0,
            className="ind-row-selected" if r["code"] == selected else "", role="button", tabIndex="0",
        ))
    return html.Table([head, html.Tbody(body)], className="ind-table")
