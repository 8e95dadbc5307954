"""指标与调查 figures: one indicator over time against its target, province ranks over time, survey vs cases.

Pure builders: DataFrames from `data.queries.indicators` in, `go.Figure` out. Synthetic (demo) values are drawn
hollow and say 演示数据 on hover; published ones are solid, so a leader can tell them apart at a glance.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_full
from dashboard.theme import ACCENT, GOOD, MUTED, TEXT, WARN
from data.indicator_import import parse_period
from data.models_strategy import CASE_METRIC_LABELS, DIRECTION_LABELS, CaseMetric, Direction
from layouts.figures.common import empty_figure, figure, trace

DEMO_LABEL, PUBLISHED_LABEL = "演示数据", "公开数据"
RANK_COLORS = ("#2ec7ff", "#faad14", "#36cfc9", "#9254de", "#ff7a45")


def period_label(key: str) -> str:
    """2023H1 → 2023年上半年 (any key the import accepts)."""
    return parse_period(key).label


def format_value(value: float | None, unit: str) -> str:
    """A value with its unit the way the city publishes it: 78.41%, 7.00 件/万人, 3,486 件."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{value:.2f}%"
    if unit in ("件", "人"):
        return f"{count_full(value)} {unit}"
    return f"{value:.2f} {unit}"


def rank_text(rank: int | None, total: int | None, group: str | None) -> str:
    """第2位（三类地区） or 第13位/13（全省）; empty when there is no rank."""
    if rank is None or (isinstance(rank, float) and math.isnan(rank)):
        return ""
    of = f"/{int(total)}" if total is not None and not (isinstance(total, float) and math.isnan(total)) else ""
    return f"第{int(rank)}位{of}" + (f"（{group}）" if group else "")


def series_figure(series: pd.DataFrame) -> go.Figure:
    """One indicator per period (from `indicator_series`) with its target; demo points hollow."""
    if series.empty:
        return empty_figure("该区域暂无此指标数据")
    unit, name = series["unit"].iloc[0], series["name"].iloc[0]
    labels = [period_label(k) for k in series["period_key"]]
    demo = series["is_demo"].astype(bool).tolist()
    traces = [trace(go.Scatter,
        x=labels, y=series["value"], name=name, mode="lines+markers+text", line={"color": ACCENT, "width": 3},
        marker={"size": 12, "color": [ACCENT if not d else "rgba(0,0,0,0)" for d in demo],
                "line": {"color": ACCENT, "width": 2}},
        text=[format_value(v, unit) for v in series["value"]], textposition="top center",
        textfont={"size": 13, "color": TEXT}, cliponaxis=False,
        customdata=[[DEMO_LABEL if d else PUBLISHED_LABEL, t or "", n or ""] for d, t, n in
                    zip(demo, series["tier"].fillna(""), series["note"].fillna(""), strict=True)],
        hovertemplate="%{x}<br>" + name + " %{text}<br>%{customdata[0]} %{customdata[1]}<br>%{customdata[2]}"
                      "<extra></extra>",
    )]
    if series["target"].notna().any():
        traces.append(trace(go.Scatter, x=labels, y=series["target"], name="目标值", mode="lines",
                            line={"color": WARN, "width": 2, "dash": "dash"},
                            hovertemplate="%{x}<br>目标值 %{y}<extra></extra>"))
    direction = DIRECTION_LABELS[Direction(series["direction"].iloc[0])]
    return figure(traces, {
        "yaxis": {"title": {"text": f"{unit} · {direction}"}, "ticksuffix": "%" if unit == "%" else "",
                  "range": _padded_range(series)},
        "xaxis": {"type": "category"},
        "legend": {"orientation": "h", "y": 1.12, "x": 0}, "margin": {"l": 64, "r": 24, "t": 36, "b": 40}})


def _padded_range(series: pd.DataFrame) -> list[float]:
    """Leave room above the top point for its label."""
    values = pd.concat([series["value"], series["target"].dropna()]).astype(float)
    lo, hi = float(values.min()), float(values.max())
    pad = max((hi - lo) * 0.25, abs(hi) * 0.02, 0.5)
    return [lo - pad, hi + pad]


def rank_figure(ranks: pd.DataFrame) -> go.Figure:
    """Province ranks per indicator over time (from `rank_series`), rank 1 at the top; demo ranks hollow."""
    if ranks.empty:
        return empty_figure("该区域没有全省排名数据（排名仅发布到市级）")
    lines = []
    for i, (code, part) in enumerate(ranks.groupby("code", sort=False)):
        color = RANK_COLORS[i % len(RANK_COLORS)]
        demo = part["rank_is_demo"].astype(bool).tolist()
        texts = [rank_text(r, t, g) for r, t, g in zip(part["province_rank"], part["rank_total"], part["rank_group"],
                                                        strict=True)]
        lines.append(trace(go.Scatter,
            x=[period_middle(k) for k in part["period_key"]], y=part["province_rank"], name=part["name"].iloc[0],
            mode="lines+markers+text", line={"color": color, "width": 2.5},
            marker={"size": 12, "color": [color if not d else "rgba(0,0,0,0)" for d in demo],
                    "line": {"color": color, "width": 2}},
            text=[f"第{int(r)}位" for r in part["province_rank"]], textposition="middle right",
            textfont={"size": 12, "color": color}, cliponaxis=False,
            customdata=[[t, DEMO_LABEL if d else PUBLISHED_LABEL, part["rank_note"].iloc[0] or "", period_label(k)]
                        for t, d, k in zip(texts, demo, part["period_key"], strict=True)],
            hovertemplate="%{customdata[3]}<br>" + part["name"].iloc[0] + " %{customdata[0]}<br>%{customdata[1]}"
                          "<br>%{customdata[2]}<extra></extra>",
            meta=code,
        ))
    worst = int(max(ranks["province_rank"].max(), ranks["rank_total"].max(skipna=True) or 0))
    return figure(lines, {
        "yaxis": {"range": [worst + 0.8, 0.2], "title": {"text": "名次（第1位在上）"}, "dtick": 2 if worst > 8 else 1},
        "xaxis": {"tickformat": "%Y年", "dtick": "M12", "ticklabelmode": "period"},
        "legend": {"orientation": "h", "y": 1.14, "x": 0}, "margin": {"l": 64, "r": 60, "t": 36, "b": 40}})


def period_middle(key: str) -> date:
    """The middle day of a period: years and half-years then sit in time order on one axis."""
    spec = parse_period(key)
    return spec.start + (spec.end - spec.start) / 2


def survey_figure(frame: pd.DataFrame) -> go.Figure:
    """Surveyed rates beside the case-based rate of the same period (from `survey_vs_cases`)."""
    if frame.empty:
        return empty_figure("所选时段没有可与案件数据对照的调查结果")
    labels = [f"{n}<br>{period_label(k)}" for n, k in zip(frame["name"], frame["period_key"], strict=True)]
    demo = frame["is_demo"].astype(bool).tolist()
    surveyed = trace(go.Bar,
        x=labels, y=frame["surveyed"], name="调查结果", marker={"color": ACCENT, "pattern": {
            "shape": ["/" if d else "" for d in demo], "fgcolor": "#0c1a2e", "fillmode": "overlay"}},
        text=[f"{v:.2f}%" for v in frame["surveyed"]], textposition="outside",
        customdata=[[DEMO_LABEL if d else PUBLISHED_LABEL, t or ""] for d, t in
                    zip(demo, frame["tier"].fillna(""), strict=True)],
        hovertemplate="%{x}<br>调查结果 %{y:.2f}%（%{customdata[0]}）%{customdata[1]}<extra></extra>",
    )
    cases = trace(go.Bar,
        x=labels, y=frame["case_rate"], name="案件数据测算", marker={"color": GOOD},
        text=[f"{v:.2f}%" if not math.isnan(v) else "无办结" for v in frame["case_rate"]], textposition="outside",
        customdata=[[CASE_METRIC_LABELS[CaseMetric(m)], count_full(s), count_full(c)] for m, s, c in
                    zip(frame["case_metric"], frame["case_success"], frame["case_closed"], strict=True)],
        hovertemplate="%{x}<br>%{customdata[0]} %{y:.2f}%<br>成功 %{customdata[1]} / 办结 %{customdata[2]} 件"
                      "<extra></extra>",
    )
    rates = frame["case_rate"].dropna()
    low = min(float(frame["surveyed"].min()), float(rates.min()) if len(rates) else 100.0)
    return figure([surveyed, cases], {
        "yaxis": {"range": [max(low - 8, 0), 103], "ticksuffix": "%", "title": {"text": "比率"}},
        "barmode": "group", "bargap": 0.25, "legend": {"orientation": "h", "y": 1.14, "x": 0},
        "margin": {"l": 60, "r": 16, "t": 36, "b": 56}, "uniformtext": {"minsize": 11, "mode": "hide"},
        "xaxis": {"tickfont": {"size": 12, "color": MUTED}}})


def screen_style(fig: go.Figure, month_ticks: bool = False) -> go.Figure:
    """Larger type and a transparent background for the wall screen's panels (read from metres away).

    Axis labels stay level (a tilted label is hard to read on a wall); `month_ticks` shortens date ticks to 月.
    """
    axis = {"tickangle": 0, "tickfont": {"size": 13}, **({"tickformat": "%-m月"} if month_ticks else {})}
    # One update_layout call (each call re-parses its paths), reaching every x axis as update_xaxes would.
    return fig.update_layout({"font": {"size": 16}, "legend": {"font": {"size": 15}}, "paper_bgcolor": "rgba(0,0,0,0)",
                              "plot_bgcolor": "rgba(0,0,0,0)", "margin": {"t": 44},
                              **{key: axis for key in fig.layout if key.startswith("xaxis")}})
