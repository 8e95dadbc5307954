"""化解率 figures: rate trends, the rate per category, the area ranking against last year, petitions and repeats.

Pure builders: DataFrames from `data.queries.resolution` in, `go.Figure` out. A rate computed from fewer
than `SMALL_SAMPLE_MIN` cases is drawn grey and flagged "样本少": it is shown, but not to be compared.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_full
from dashboard.theme import ACCENT, KIND_COLORS, MUTED, SMALL_SAMPLE, TEXT, WARN
from data.queries.base import Grain
from data.queries.resolution import ALL_KINDS, RankMetric
from data.rules import SMALL_SAMPLE_MIN
from data.vocab import KIND_LABELS, Kind
from layouts.figures.common import count_axis, empty_figure, figure, trace

SMALL_FLAG = "样本少"
RANK_TITLES = {RankMetric.MEDIATION: "调解成功率", RankMetric.RESOLUTION: "化解率"}
GRAIN_HOVER = {Grain.WEEK: "%{x|%Y年%-m月%-d日}起一周", Grain.MONTH: "%{x|%Y年%-m月}"}


def is_small(closed: pd.Series) -> pd.Series:
    """True where a rate rests on too few cases to compare."""
    return closed < SMALL_SAMPLE_MIN


def _rate_text(rate: float, closed: int) -> str:
    """A rate with the count it rests on, so a reader can judge it (and the small-sample flag)."""
    if rate is None or math.isnan(rate):
        return "无办结"
    flag = f" {SMALL_FLAG}" if closed < SMALL_SAMPLE_MIN else ""
    return f"{rate:.1f}%（{count_full(closed)}件）{flag}"


def kind_series_name(kind: str) -> str:
    """Legend name of a trend line; for disputes the 化解率 is the 调解成功率."""
    if kind == ALL_KINDS:
        return "全部（化解率）"
    if kind == str(Kind.DISPUTE):
        return "矛盾纠纷（调解成功率）"
    return KIND_LABELS[Kind(kind)]


def trend_figure(rates: pd.DataFrame, grain: Grain) -> go.Figure:
    """化解率 per bucket (from `rates_over_time`): all kinds bold, each kind thin; small samples grey."""
    if rates.empty or int(rates.loc[rates["kind"] == ALL_KINDS, "closed"].sum()) == 0:
        return empty_figure("所选时段内没有办结案件")
    lines = []
    for kind in [ALL_KINDS, *(str(k) for k in Kind)]:
        part = rates[(rates["kind"] == kind) & (rates["closed"] > 0)]
        if part.empty:
            continue
        color = TEXT if kind == ALL_KINDS else KIND_COLORS[Kind(kind)]
        small = is_small(part["closed"])
        lines.append(trace(go.Scatter,
            x=part["bucket"], y=part["rate"], name=kind_series_name(kind), mode="lines+markers",
            line={"color": color, "width": 3.5 if kind == ALL_KINDS else 1.6},
            marker={"size": 7 if kind == ALL_KINDS else 5, "color": [SMALL_SAMPLE if s else color for s in small]},
            customdata=list(zip(part["closed"], part["resolved"], [SMALL_FLAG if s else "" for s in small],
                                strict=True)),
            hovertemplate=GRAIN_HOVER[grain] + "<br>" + kind_series_name(kind)
            + " %{y:.2f}%<br>办结 %{customdata[0]:,} 件，化解 %{customdata[1]:,} 件 %{customdata[2]}<extra></extra>",
        ))
    return figure(lines, {"yaxis": {"ticksuffix": "%", "title": {"text": "化解率"}}, "xaxis": {"tickformat": "%Y年%-m月"},
                          "legend": {"orientation": "h", "y": 1.14, "x": 0},
                          "margin": {"l": 64, "r": 20, "t": 40, "b": 40}})


def category_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by kind in vocabulary order, best rate first within a kind (small samples last)."""
    kind_rank = {str(k): i for i, k in enumerate(Kind)}
    return frame.assign(_k=frame["kind"].map(kind_rank), _small=is_small(frame["closed"])).sort_values(
        ["_k", "_small", "rate"], ascending=[True, True, False], kind="stable").drop(columns=["_k", "_small"])


def category_figure(cats: pd.DataFrame) -> go.Figure:
    """化解率 per category (from `rates_by_category`) as dots, values with counts in a column on the right;
    one color per kind, small samples grey and flagged."""
    if cats.empty:
        return empty_figure("所选时段内没有办结案件")
    rows = category_order(cats)
    labels = rows["category"].tolist()  # category names are unique across kinds (data.vocab.CATEGORIES)
    dots = []
    for kind in Kind:
        part = rows[rows["kind"] == str(kind)]
        if part.empty:
            continue
        small = is_small(part["closed"])
        dots.append(trace(go.Scatter,
            x=part["rate"], y=part["category"], name=KIND_LABELS[kind], mode="markers",
            marker={"size": 13, "color": [SMALL_SAMPLE if s else KIND_COLORS[kind] for s in small]},
            customdata=list(zip(part["closed"], part["resolved"], strict=True)),
            hovertemplate="%{y}：%{x:.2f}%<br>办结 %{customdata[0]:,} 件，化解 %{customdata[1]:,} 件<extra></extra>",
        ))
    low, xaxis = _rate_axis(rows["rate"], "化解率")
    return figure([*dots, _value_column(labels, rows["rate"], rows["closed"], low)], {
        "xaxis": xaxis, "yaxis": {"autorange": "reversed", "categoryorder": "array", "categoryarray": labels},
        "height": max(360, 26 * len(rows) + 100), "legend": {"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
        "margin": {"l": 90, "r": 16, "t": 40, "b": 44}})


VALUE_COLUMN_SHARE = 0.42  # of the x range, right of 100%, kept for the value column


def _rate_axis(rates: pd.Series, title: str) -> tuple[float, dict]:
    """A percent axis from just below the lowest rate to 100%, plus room on the right for the value column.

    Ticks stop at 100% (nothing lies beyond it). Returns the axis' lower end and its xaxis layout.
    """
    valid = rates.dropna()
    low = max(0.0, math.floor(float(valid.min())) - 2) if not valid.empty else 0.0
    step = next(s for s in (1, 2, 5, 10, 20) if (100 - low) / s <= 8)
    ticks = [v for v in range(int(math.ceil(low / step) * step), 101, step)]
    return low, {"range": [low, 100 + (100 - low) * VALUE_COLUMN_SHARE], "tickvals": ticks,
                 "ticktext": [f"{v}%" for v in ticks], "title": {"text": title}}


def _value_column(labels: list[str], rates: pd.Series, closed: pd.Series, low: float) -> go.Scatter:
    """The rate and case count of every row as text right of the 100% line, greyed for small samples."""
    small = is_small(closed)
    return trace(go.Scatter,
        x=[100 + (100 - low) * 0.06] * len(labels), y=labels, mode="text", showlegend=False, hoverinfo="skip",
        text=[_rate_text(r, c) for r, c in zip(rates, closed, strict=True)], textposition="middle right",
        textfont={"size": 13, "color": [MUTED if s else TEXT for s in small]}, cliponaxis=False,
    )


def ranking_labels(ranking: pd.DataFrame) -> list[str]:
    """Child names, flagged "样本少" when this year's rate rests on too few cases."""
    return [f"{n} · {SMALL_FLAG}" if c < SMALL_SAMPLE_MIN else n for n, c in
            zip(ranking["name"], ranking["closed"], strict=True)]


def ranking_figure(ranking: pd.DataFrame, metric: RankMetric) -> go.Figure:
    """Children by success rate this period (filled dot) and a year earlier (hollow dot), joined by a line."""
    if ranking.empty:
        return empty_figure("网格没有下级区域")
    if int(ranking["closed"].sum()) == 0 and int(ranking["closed_prev"].sum()) == 0:
        return empty_figure("所选时段内没有办结案件")
    labels = ranking_labels(ranking)
    seg_x, seg_y = [], []
    for label, a, b in zip(labels, ranking["rate_prev"], ranking["rate"], strict=True):
        if not (math.isnan(a) or math.isnan(b)):
            seg_x += [a, b, None]
            seg_y += [label, label, None]
    segments = trace(go.Scatter, x=seg_x, y=seg_y, mode="lines", line={"color": MUTED, "width": 2},
                     hoverinfo="skip", showlegend=False)
    small_prev = is_small(ranking["closed_prev"])
    before = trace(go.Scatter,
        x=ranking["rate_prev"], y=labels, name="上年同期", mode="markers",
        marker={"size": 12, "symbol": "circle-open", "line": {"width": 2},
                "color": [SMALL_SAMPLE if s else MUTED for s in small_prev]},
        customdata=list(zip(ranking["closed_prev"], ranking["success_prev"], strict=True)),
        hovertemplate="%{y}<br>上年同期 %{x:.2f}%<br>办结 %{customdata[0]:,} 件<extra></extra>",
    )
    small = is_small(ranking["closed"])
    now = trace(go.Scatter,
        x=ranking["rate"], y=labels, name="本期", mode="markers",
        marker={"size": 14, "color": [SMALL_SAMPLE if s else ACCENT for s in small]},
        customdata=list(zip(ranking["closed"], ranking["success"], strict=True)),
        hovertemplate="%{y}<br>本期 %{x:.2f}%<br>办结 %{customdata[0]:,} 件<extra></extra>",
    )
    low, xaxis = _rate_axis(pd.concat([ranking["rate"], ranking["rate_prev"]]), RANK_TITLES[metric])
    return figure([segments, before, now, _value_column(labels, ranking["rate"], ranking["closed"], low)], {
        "xaxis": xaxis, "yaxis": {"autorange": "reversed", "categoryorder": "array", "categoryarray": labels},
        "height": max(340, 28 * len(ranking) + 110), "legend": {"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
        "margin": {"l": 130, "r": 16, "t": 40, "b": 44}})


def monthly_pair_figure(monthly: pd.DataFrame, name: str, color: str, as_bars: bool) -> go.Figure:
    """A monthly series of the period beside the same months a year earlier (from `_by_month` queries)."""
    if monthly.empty or int(monthly[["current", "previous"]].to_numpy().sum()) == 0:
        return empty_figure()
    traces: list[go.Bar | go.Scatter] = []
    labels = month_labels(list(monthly["month"]))
    full = [f"{m.year}年{m.month}月" for m in monthly["month"]]
    for column, label, shade in (("current", f"本期{name}", color), ("previous", "上年同期", MUTED)):
        hover = "%{customdata}<br>" + label + " %{y:,}<extra></extra>"
        when = full if column == "current" else [f"{m.year - 1}年{m.month}月" for m in monthly["month"]]
        if as_bars:
            traces.append(trace(go.Bar, x=labels, y=monthly[column], name=label, marker={"color": shade}, customdata=when,
                                hovertemplate=hover))
        else:
            traces.append(trace(go.Scatter, x=labels, y=monthly[column], name=label, mode="lines+markers", customdata=when,
                                line={"color": shade, "width": 2.5, "dash": "solid" if column == "current"
                                      else "dot"}, hovertemplate=hover))
    return figure(traces, {"yaxis": count_axis(float(monthly[["current", "previous"]].to_numpy().max())),
                           "barmode": "group", "legend": {"orientation": "h", "y": 1.14, "x": 0},
                           "margin": {"l": 56, "r": 16, "t": 40, "b": 40}})


def month_labels(months: list) -> list[str]:
    """Short month labels: "3月" within one year, "23年3月" when the months span years."""
    one_year = len({m.year for m in months}) == 1
    return [f"{m.month}月" if one_year else f"{m.year % 100}年{m.month}月" for m in months]


def petitions_figure(monthly: pd.DataFrame) -> go.Figure:
    """初信初访 per month, this period against the same months a year earlier."""
    return monthly_pair_figure(monthly, "初信初访", ACCENT, as_bars=True)


def repeats_figure(monthly: pd.DataFrame) -> go.Figure:
    """重访 events per month, this period against the same months a year earlier."""
    return monthly_pair_figure(monthly, "重访", WARN, as_bars=False)
