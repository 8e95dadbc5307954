"""舆情监测 /opinion: media volume and tone, opinion beside the case intake, hot topics, areas, sources, the
negative items with the widest reach, negative surges, and the political-legal accounts' own output.

Static frame plus builders for the tiles and lists; `callbacks.opinion` fills them from the URL (area, period,
kinds — an item's kind is its topic's — and `grain=week|month` for the time charts).
"""

from __future__ import annotations

import math

import pandas as pd
from dash import dcc, html

from dashboard.formatting import count_cn, count_full, percent
from dashboard.ids import OpinionPage
from data.models_strategy import MEDIA_SOURCE_LABELS, MediaSource
from data.queries.base import Grain
from data.sentiment import METHOD_NOTE, load_topics
from layouts.components import TileSpec, export_menu, kpi_tile, report_menu

PATH = "/opinion"
TITLE = "舆情监测"
GRAPH_CONFIG = {"displayModeBar": False, "displaylogo": False}
GRAIN_LABELS = {Grain.MONTH: "按月", Grain.WEEK: "按周"}
TILE_KEYS = ("op_volume", "op_negative", "op_negative_share", "op_reach", "op_surges")


def panel(title: str, graph_id: str, note: str = "", chart: str | None = None, tools=None, extra: str = "") -> html.Section:
    head = [html.Span(title), html.Small(note)] + ([tools] if tools is not None else []) + (
        [export_menu(chart)] if chart else [])
    return html.Section([html.Div(head, className="op-panel-title"),
                         dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="op-graph")],
                        className=f"op-panel {extra}".strip())


def grain_toggle() -> html.Div:
    return html.Div([html.Button(label, id={"type": OpinionPage.GRAIN, "value": str(value)}, n_clicks=0,
                                 className="op-toggle-btn") for value, label in GRAIN_LABELS.items()],
                    className="op-toggle", role="group")


def layout(**_query: str) -> html.Div:
    """Tiles; volume beside opinion-vs-cases; topics, areas, sources; negative items, surges and accounts."""
    return html.Div(
        [
            html.Div([html.Div(id=OpinionPage.CONTEXT, className="cc-subtitle"), report_menu("opinion")],
                     className="op-head"),
            html.Div([html.Div(id=OpinionPage.TILES, className="op-tile-group"),
                      html.Div(id=OpinionPage.SURGE_TILE, className="op-tile-group")], className="kpi-row op-tiles"),
            html.Div([panel("舆情量与负面占比", OpinionPage.VOLUME, "按发布时间", "opinion-volume", grain_toggle()),
                      panel("舆情与案件受理对照", OpinionPage.VS_CASES, "同一区域、类型、时段", "opinion-vs-cases")],
                     className="op-row"),
            html.Div([panel("热点话题", OpinionPage.TOPICS, "关键词聚类 · 颜色为负面占比", "opinion-topics"),
                      panel("区域分布", OpinionPage.AREAS, "颜色为负面占比", "opinion-areas"),
                      panel("来源分布", OpinionPage.SOURCES, "", "opinion-sources")], className="op-row three"),
            html.Div([html.Section([html.Div([html.Span("传播最广的负面信息"), html.Small("按传播量"),
                                              export_menu("opinion-negative")], className="op-panel-title"),
                                    html.Div(id=OpinionPage.NEGATIVE, className="op-list")], className="op-panel"),
                      html.Section([html.Div([html.Span("负面舆情激增"),
                                              html.Small("同一县区同一话题：周负面条数较前8周显著升高")],
                                             className="op-panel-title"),
                                    html.Div(id=OpinionPage.SURGES, className="op-list")], className="op-panel"),
                      panel("政法新媒体发文", OpinionPage.ACCOUNTS, "时段所含月份", "opinion-accounts")],
                     className="op-row three"),
            html.Div(f"说明：{METHOD_NOTE}。演示环境中的舆情信息为演示数据。", className="ind-footnote"),
        ],
        className="op-page",
    )


def tiles(kpis: pd.DataFrame) -> list[html.Div]:
    """Volume, negative items, negative share (against the period before) and reach."""
    row = kpis.iloc[0]
    share, before = float(row["negative_share"]), float(row["previous_negative_share"])
    delta = "" if math.isnan(share) or math.isnan(before) else f"上一时段 {before:.1f}%（{share - before:+.1f} 个百分点）"
    values = [count_full(row["volume"]), count_full(row["negative"]), percent(None if math.isnan(share) else share, 1),
              count_cn(row["reach"])]
    labels = ["舆情总量", "负面信息", "负面占比", "传播量"]
    notes = [f"上一时段 {count_full(row['previous_volume'])} 条", "按项目词典判定", delta, "阅读、播放等合计"]
    tones = ["", "bad", "warn", ""]
    return [kpi_tile(TileSpec(key, label, note, tone), value)
            for key, label, value, note, tone in zip(TILE_KEYS[:4], labels, values, notes, tones, strict=True)]


def surge_tile(surges: int) -> html.Div:
    """The number of surges found (its own callback: the surge rule is the page's slowest question)."""
    return kpi_tile(TileSpec(TILE_KEYS[4], "负面激增", "周负面条数显著高于前8周", "bad" if surges else ""), str(surges))


def _topic_label(code: object) -> str:
    labels = {t.code: t.label for t in load_topics()}
    return labels.get(code, "") if isinstance(code, str) else ""


def negative_list(items: pd.DataFrame) -> html.Ul | html.Div:
    """The negative items with the widest reach: time, source, place, topic, title, reach."""
    if items.empty:
        return html.Div("所选条件下没有负面信息", className="op-empty")
    return html.Ul([html.Li([html.Div([html.Span(f"{r.published_at:%Y-%m-%d %H:%M}", className="op-time"),
                                       html.Span(MEDIA_SOURCE_LABELS.get(MediaSource(r.source), r.source), className="op-source"),
                                       html.Span(r.area_name if isinstance(r.area_name, str) else "未标注区域",
                                                 className="op-place"),
                                       html.Span(_topic_label(r.topic), className="op-topic"),
                                       html.Span(f"传播 {count_cn(r.reach)}", className="op-reach")], className="op-item-meta"),
                             html.Div(r.title, className="op-title")], className="op-item") for r in items.itertuples()],
                   className="op-items")


def surge_list(surges: pd.DataFrame) -> html.Ul | html.Div:
    """The surges: week, county, topic, negative items against the usual level."""
    if surges.empty:
        return html.Div("所选时段内没有负面舆情激增", className="op-empty")
    return html.Ul([html.Li([html.Div([html.Strong(f"{r.county_name} · {r.topic_label}"),
                                       html.Span(f"{r.week_start:%Y年%-m月%-d日}起一周", className="op-time")]),
                             html.Div(f"负面 {r.negative} 条（占 {r.negative_share:.0f}%），前8周中位数 "
                                      f"{r.baseline_median:g} 条，稳健Z值 {r.z:.1f}", className="op-surge-detail")],
                            className="op-surge") for r in surges.itertuples()], className="op-items")
