"""舆情监测 figures: volume and tone over time, opinion beside case intake, hot topics, areas, sources, accounts.

Pure builders: DataFrames from `data.queries.opinion` in, `go.Figure` out; labels from the vocabularies of
`data.models_strategy`.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_full
from dashboard.theme import ACCENT, BAD, GOOD, MUTED, TEXT, WARN
from data.models_strategy import (
    MEDIA_SOURCE_LABELS,
    SENTIMENT_LABELS,
    SENTIMENT_ORDER,
    MediaSource,
    Sentiment,
)
from data.queries.base import Grain
from layouts.figures.common import empty_figure, figure, trace

TONE_COLORS = {Sentiment.NEGATIVE: BAD, Sentiment.NEUTRAL: "#5b6b82", Sentiment.POSITIVE: GOOD}
PLATFORM_LABELS = {"wechat": "微信", "weibo": "微博", "video": "短视频"}
PLATFORM_COLORS = {"wechat": "#52c41a", "weibo": "#faad14", "video": "#9254de"}
BUCKET_HOVER = {Grain.WEEK: "%{x|%Y年%-m月%-d日}起一周", Grain.MONTH: "%{x|%Y年%-m月}"}
SHARE_SCALE = [[0.0, "#36cfc9"], [0.4, "#faad14"], [1.0, "#ff4d4f"]]
# Buckets are keyed by their first day; drawing each mark in the middle of its week or month keeps it inside
# the period it counts.
PERIOD = {Grain.WEEK: {"xperiod": 7 * 24 * 3600 * 1000, "xperiod0": "2021-01-04", "xperiodalignment": "middle"},
          Grain.MONTH: {"xperiod": "M1", "xperiodalignment": "middle"}}


VS_GAP = 0.08  # between the opinion and the intake panels of vs_cases_figure


def _share_text(share: float) -> str:
    return "—" if share is None or math.isnan(share) else f"{share:.1f}%"


def volume_figure(frame: pd.DataFrame, grain: Grain) -> go.Figure:
    """Items per bucket stacked by tone, with the negative share as a line on the right axis.

    Built in one constructor with the axes make_subplots(specs=[[{"secondary_y": True}]]) would give (that and
    the add_trace/update_* calls took about 25 ms per figure; now 5).
    """
    if frame.empty or int(frame["volume"].sum()) == 0:
        return empty_figure("所选条件下没有舆情信息")
    bars = [trace(go.Bar, x=frame["bucket"], y=frame[str(tone)], name=SENTIMENT_LABELS[tone],
                  marker={"color": TONE_COLORS[tone]}, **PERIOD[grain],
                  hovertemplate=BUCKET_HOVER[grain] + "<br>" + SENTIMENT_LABELS[tone] + " %{y:,} 条<extra></extra>",
                  xaxis="x", yaxis="y") for tone in SENTIMENT_ORDER]
    share = trace(go.Scatter, x=frame["bucket"], y=frame["negative_share"], name="负面占比", mode="lines+markers",
                  line={"color": WARN, "width": 2.5}, marker={"size": 6}, **PERIOD[grain],
                  hovertemplate=BUCKET_HOVER[grain] + "<br>负面占比 %{y:.1f}%<extra></extra>",
                  xaxis="x", yaxis="y2")
    return figure([*bars, share], {
        "xaxis": {"anchor": "y", "domain": [0.0, 0.94], "tickformat": "%Y年%-m月"},
        "yaxis": {"anchor": "x", "domain": [0.0, 1.0], "title": {"text": "条数"}},
        "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right", "title": {"text": "负面占比"}, "ticksuffix": "%",
                   "range": [0, 100], "tickvals": [0, 25, 50, 75, 100], "showgrid": False},
        "barmode": "stack", "legend": {"orientation": "h", "y": 1.14, "x": 0}, "bargap": 0.15,
        "margin": {"l": 56, "r": 56, "t": 40, "b": 40}})


def vs_cases_figure(frame: pd.DataFrame, grain: Grain) -> go.Figure:
    """Opinion (top) and case intake (bottom) of the same area, kinds and buckets on one shared time axis.

    Built in one constructor with the axes make_subplots(rows=2, shared_xaxes=True) would give (it cost
    about 10 ms more per figure).
    """
    if frame.empty:
        return empty_figure("所选条件下没有数据")
    top = [trace(go.Scatter, x=frame["bucket"], y=frame["volume"], name="舆情总量", mode="lines",
                 line={"color": ACCENT, "width": 2.5}, fill="tozeroy", fillcolor="rgba(46,199,255,0.15)",
                 **PERIOD[grain], hovertemplate=BUCKET_HOVER[grain] + "<br>舆情 %{y:,} 条<extra></extra>",
                 xaxis="x", yaxis="y"),
           trace(go.Scatter, x=frame["bucket"], y=frame["negative"], name="负面舆情", mode="lines",
                 line={"color": BAD, "width": 2}, **PERIOD[grain],
                 hovertemplate=BUCKET_HOVER[grain] + "<br>负面 %{y:,} 条<extra></extra>", xaxis="x", yaxis="y")]
    bottom = trace(go.Bar, x=frame["bucket"], y=frame["intake"], name="案件受理", marker={"color": MUTED}, **PERIOD[grain],
                   hovertemplate=BUCKET_HOVER[grain] + "<br>受理 %{y:,} 件<extra></extra>", xaxis="x2", yaxis="y2")
    split = (1 - VS_GAP) / 2
    titles = [{"text": text, "x": 0, "xanchor": "left", "xref": "paper", "y": y, "yanchor": "bottom", "yref": "paper",
               "showarrow": False, "font": {"size": 13, "color": MUTED}}
              for text, y in (("舆情（条）", 1.0), ("案件受理（件）", split))]
    return figure([*top, bottom], {
        "annotations": titles,
        "xaxis": {"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False},
        "yaxis": {"anchor": "x", "domain": [split + VS_GAP, 1.0]},
        "xaxis2": {"anchor": "y2", "domain": [0.0, 1.0], "tickformat": "%Y年%-m月"},
        "yaxis2": {"anchor": "x2", "domain": [0.0, split]},
        "legend": {"orientation": "h", "y": 1.22, "x": 0.3}, "margin": {"l": 56, "r": 16, "t": 56, "b": 36},
        "bargap": 0.15, "hovermode": "x unified"})


def _ranked_axis() -> dict:
    """The y axis of a ranked bar chart: the first row on top, large labels."""
    return {"autorange": "reversed", "tickfont": {"size": 14}}


def topics_figure(topics: pd.DataFrame) -> go.Figure:
    """Hot topics by volume, coloured by negative share, with the change on the period before."""
    if topics.empty:
        return empty_figure("所选条件下没有热点话题")
    top = topics.head(10)
    growth = ["" if math.isnan(g) else f" · 环比{g:+.0f}%" for g in top["growth"]]
    bar = trace(go.Bar,
        y=top["label"], x=top["volume"], orientation="h",
        marker={"color": top["negative_share"], "colorscale": SHARE_SCALE, "cmin": 0, "cmax": 100},
        text=[f"{count_full(v)} 条 · 负面{_share_text(s)}{g}" for v, s, g in
              zip(top["volume"], top["negative_share"], growth, strict=True)],
        textposition="outside", cliponaxis=False, textfont={"size": 13, "color": TEXT},
        customdata=top[["keywords", "topic"]].to_numpy(),
        hovertemplate="%{y}<br>%{text}<br>关键词：%{customdata[0]}<extra></extra>", name="热点话题",
    )
    return figure([bar], {"yaxis": _ranked_axis(),
                          "xaxis": {"range": [0, float(top["volume"].max()) * 2.0], "title": {"text": "条数"}},
                          "showlegend": False, "margin": {"l": 90, "r": 16, "t": 16, "b": 40}})


def areas_figure(areas: pd.DataFrame) -> go.Figure:
    """Items per child area, coloured by negative share."""
    if areas.empty:
        return empty_figure("所选条件下没有舆情信息")
    top = areas.head(12)
    bar = trace(go.Bar,
        y=top["name"], x=top["volume"], orientation="h",
        marker={"color": top["negative_share"], "colorscale": SHARE_SCALE, "cmin": 0, "cmax": 100},
        text=[f"{count_full(v)} · 负面{_share_text(s)}" for v, s in zip(top["volume"], top["negative_share"],
                                                                         strict=True)],
        textposition="outside", cliponaxis=False, textfont={"size": 13, "color": TEXT},
        customdata=top[["code"]].fillna("").to_numpy(),
        hovertemplate="%{y}<br>%{text}<extra></extra>", name="区域",
    )
    return figure([bar], {"yaxis": _ranked_axis(),
                          "xaxis": {"range": [0, float(top["volume"].max()) * 1.7], "title": {"text": "条数"}},
                          "showlegend": False, "margin": {"l": 110, "r": 16, "t": 16, "b": 40}})


def _stacked_layout(x_title: str, left: int) -> dict:
    """Horizontal bars stacked per row, the legend above them."""
    return {"barmode": "stack", "legend": {"orientation": "h", "y": 1.14, "x": 0},
            "margin": {"l": left, "r": 16, "t": 36, "b": 40}, "yaxis": _ranked_axis(),
            "xaxis": {"title": {"text": x_title}}}


def sources_figure(sources: pd.DataFrame) -> go.Figure:
    """Items per source (微博, 微信 …) stacked by tone."""
    if sources.empty:
        return empty_figure("所选条件下没有舆情信息")
    labels = [MEDIA_SOURCE_LABELS.get(MediaSource(s), s) for s in sources["source"]]
    bars = [trace(go.Bar, y=labels, x=sources[str(tone)], orientation="h", name=SENTIMENT_LABELS[tone],
                  marker={"color": TONE_COLORS[tone]},
                  hovertemplate="%{y}<br>" + SENTIMENT_LABELS[tone] + " %{x:,} 条<extra></extra>")
            for tone in SENTIMENT_ORDER]
    return figure(bars, _stacked_layout("条数", left=80))


def accounts_figure(accounts: pd.DataFrame) -> go.Figure:
    """Articles of each political-legal account in the period, stacked by platform."""
    if accounts.empty:
        return empty_figure("所选区域没有政法新媒体账号数据")
    units = list(dict.fromkeys(accounts["unit"]))
    bars = []
    for platform, label in PLATFORM_LABELS.items():
        part = accounts[accounts["platform"] == platform].set_index("unit").reindex(units)
        bars.append(trace(go.Bar, y=units, x=part["articles"].fillna(0), orientation="h", name=label,
                          marker={"color": PLATFORM_COLORS[platform]},
                          hovertemplate="%{y}<br>" + label + " %{x:,} 篇<extra></extra>"))
    return figure(bars, _stacked_layout("发文篇数", left=90))
