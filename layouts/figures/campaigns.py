"""专项行动 figures: progress against targets, the campaign's months before/during/after, and the comparison.

Pure builders: DataFrames from `data.queries.campaigns` in, `go.Figure` out.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_full
from dashboard.theme import ACCENT, GOOD, MUTED, SMALL_SAMPLE, TEXT, WARN
from data.models_strategy import TARGET_METRIC_LABELS, TargetMetric
from data.queries.campaigns import PHASE_LABELS
from layouts.figures.common import empty_figure, figure, trace, two_panels, vline

PHASE_COLORS = {"before": SMALL_SAMPLE, "during": ACCENT, "after": "#5b8fb9"}
PROGRESS_CAP = 150.0  # bars stop here so one overshoot does not squash the others


def _amount(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{value:+.1f}%" if value < 0 else f"{value:.1f}%"
    return f"{count_full(value)} {unit}"


def target_text(row: dict) -> str:
    """What a bar says: actual against target, or why no comparison is made in this view."""
    if not row["shown"]:
        return "全域工作量，仅在覆盖行动全部区域时显示"
    actual, target = _amount(row["actual"], row["unit"]), _amount(row["target"], row["unit"])
    if not row["comparable"]:
        return f"本辖区 {actual}（目标 {target} 为全域口径，不作比较）"
    verdict = "已达成" if row["met"] else "未达成"
    return f"{actual} / 目标 {target} · {verdict}"


def targets_figure(targets: pd.DataFrame) -> go.Figure:
    """One horizontal bar per target: achievement in percent of target (100 % line), coloured by met or not."""
    if targets.empty:
        return empty_figure("该行动没有设定目标")
    rows = targets.to_dict("records")
    progress = [0.0 if math.isnan(r["progress"]) else min(r["progress"], PROGRESS_CAP) for r in rows]
    colors = [MUTED if math.isnan(r["progress"]) else GOOD if r["met"] else WARN for r in rows]
    bar = trace(go.Bar,
        y=[r["label"] for r in rows], x=progress, orientation="h", marker={"color": colors},
        text=[target_text(r) for r in rows], textposition="outside", cliponaxis=False,
        textfont={"size": 14, "color": TEXT},
        customdata=[[TARGET_METRIC_LABELS[TargetMetric(r["metric"])],
                     "—" if math.isnan(r["progress"]) else f"{r['progress']:.0f}%"] for r in rows],
        hovertemplate="%{y}（%{customdata[0]}）<br>完成度 %{customdata[1]}<br>%{text}<extra></extra>", name="完成度",
    )
    full = vline(100, {"color": TEXT, "width": 1.5, "dash": "dot"})  # the 100 % line
    return figure([bar], {
        "shapes": [full], "showlegend": False, "margin": {"l": 170, "r": 16, "t": 16, "b": 48}, "bargap": 0.35,
        "xaxis": {"range": [0, PROGRESS_CAP * 1.9], "ticksuffix": "%", "title": {"text": "完成度（实际 / 目标）"},
                  "tickvals": [0, 50, 100, 150]},
        "yaxis": {"autorange": "reversed", "tickfont": {"size": 15}}})


def timeline_figure(timeline: pd.DataFrame, start: date, end: date) -> go.Figure:
    """Cases found per month, coloured by phase, with those resolved as a line; the campaign window shaded."""
    if timeline.empty or int(timeline["found"].sum()) == 0:
        return empty_figure("行动范围内没有相关案件")
    traces: list[go.Bar | go.Scatter] = []
    for phase in PHASE_LABELS:
        part = timeline[timeline["phase"] == phase]
        if part.empty:
            continue
        traces.append(trace(go.Bar, x=part["month"], y=part["found"], name=f"排查发现（{PHASE_LABELS[phase]}）",
                            marker={"color": PHASE_COLORS[phase]}, xperiod="M1", xperiodalignment="middle",
                            hovertemplate="%{x|%Y年%-m月}<br>排查发现 %{y:,} 件<extra></extra>"))
    traces.append(trace(go.Scatter, x=timeline["month"], y=timeline["resolved"], name="化解办结", mode="lines+markers",
                        line={"color": GOOD, "width": 2.5}, xperiod="M1", xperiodalignment="middle",
                        hovertemplate="%{x|%Y年%-m月}<br>化解办结 %{y:,} 件<extra></extra>"))
    # The campaign window shaded over the plot's full height and named at its top left, as add_vrect drew it.
    stop = end + timedelta(days=1)
    window = {"type": "rect", "x0": start, "x1": stop, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
              "fillcolor": ACCENT, "opacity": 0.08, "line": {"width": 0}}
    label = {"text": "行动期间", "x": min(start, stop), "xref": "x", "xanchor": "left", "y": 1, "yref": "y domain",
             "yanchor": "top", "showarrow": False, "font": {"color": ACCENT}}
    return figure(traces, {
        "shapes": [window], "annotations": [label], "xaxis": {"tickformat": "%Y年%-m月"},
        "yaxis": {"title": {"text": "件数（按登记月）"}}, "legend": {"orientation": "h", "y": 1.14, "x": 0},
        "margin": {"l": 64, "r": 16, "t": 40, "b": 40}, "bargap": 0.2})


def before_after_figure(phases: pd.DataFrame) -> go.Figure:
    """Before, during and after side by side: cases found per 30 days, and the resolution rate."""
    if phases.empty:
        return empty_figure("没有可比较的时段")
    labels = [f"{r.label}<br>{r.start:%Y.%-m.%-d}–{r.end:%Y.%-m.%-d}" for r in phases.itertuples()]
    colors = [PHASE_COLORS[p] for p in phases["phase"]]
    found = trace(go.Bar, x=labels, y=phases["found_per_30"], marker={"color": colors}, name="每30天发现",
                  text=[f"{v:.1f}" for v in phases["found_per_30"]], textposition="outside",
                  textfont={"color": TEXT}, customdata=phases[["found", "days"]].to_numpy(),
                  hovertemplate="%{x}<br>每30天 %{y:.1f} 件（共 %{customdata[0]:,} 件 / %{customdata[1]} 天）"
                                "<extra></extra>")
    rate = trace(go.Bar, x=labels, y=phases["rate"], marker={"color": colors}, name="化解率",
                 text=[f"{v:.1f}%" if not math.isnan(v) else "无办结" for v in phases["rate"]],
                 textposition="outside", textfont={"color": TEXT}, customdata=phases[["resolved", "closed"]].to_numpy(),
                 hovertemplate="%{x}<br>化解率 %{y:.2f}%（%{customdata[0]:,} / %{customdata[1]:,}）<extra></extra>")
    top = float(phases["found_per_30"].max()) * 1.25 or 1.0
    rates = phases["rate"].dropna()
    low = float(rates.min()) if len(rates) else 0.0
    gap = 0.12
    titles = [{"text": text, "x": x, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
               "yanchor": "bottom", "showarrow": False, "font": {"size": 15, "color": TEXT}}
              for text, x in (("每30天排查发现（件）", (1 - gap) / 4), ("化解率", 1 - (1 - gap) / 4))]
    return two_panels([found], [rate], {
        "showlegend": False, "margin": {"l": 48, "r": 16, "t": 40, "b": 56}, "annotations": titles,
        "xaxis": {"tickfont": {"size": 12}}, "xaxis2": {"tickfont": {"size": 12}},
        "yaxis": {"range": [0, top]}, "yaxis2": {"range": [max(low - 15, 0), 104], "ticksuffix": "%"}}, gap=gap)
