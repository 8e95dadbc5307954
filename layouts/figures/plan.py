"""三年计划 figures: items per domain by status, and the timeline of items with their milestones.

Pure builders: DataFrames from `data.queries.plan` in, `go.Figure` out. Late means a milestone passed undone
(see `data.queries.plan.item_status`); late items and missed milestones are red.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from dashboard.theme import ACCENT, BAD, GOOD, TEXT
from data.models_strategy import PLAN_STATUS_LABELS, PLAN_STATUS_ORDER, PlanStatus
from layouts.figures.common import empty_figure, figure, trace, vline

STATUS_COLORS = {PlanStatus.DONE: GOOD, PlanStatus.ON_TRACK: ACCENT, PlanStatus.LATE: BAD}
MILESTONE_STYLE = {"done": ("已完成节点", "circle", GOOD), "late": ("逾期未完成节点", "x", BAD),
                   "pending": ("待完成节点", "circle-open", TEXT)}
ROW_HEIGHT = 24


def domains_figure(by_domain: pd.DataFrame) -> go.Figure:
    """Stacked bars per domain: done, on track, late (clicking a domain filters the page by it)."""
    if by_domain.empty:
        return empty_figure("没有适用于该区域的计划事项")
    bars = [trace(go.Bar,
        y=by_domain["domain"], x=by_domain[str(status)], orientation="h", name=PLAN_STATUS_LABELS[status],
        marker={"color": STATUS_COLORS[status]}, text=[str(v) if v else "" for v in by_domain[str(status)]],
        textposition="inside", insidetextfont={"size": 15, "color": "#06101f"},
        customdata=by_domain[["domain_code", "total"]].to_numpy(),
        hovertemplate="%{y}<br>" + PLAN_STATUS_LABELS[status] + " %{x} 项（共 %{customdata[1]} 项）<extra></extra>",
    ) for status in PLAN_STATUS_ORDER]
    return figure(bars, {
        "barmode": "stack", "legend": {"orientation": "h", "y": 1.16, "x": 0},
        "margin": {"l": 175, "r": 16, "t": 36, "b": 52}, "clickmode": "event",
        "yaxis": {"autorange": "reversed", "tickfont": {"size": 15}}, "xaxis": {"title": {"text": "事项数"}, "dtick": 2}})


def item_label(no: int, title: str) -> str:
    return f"{no}. {title}"


def timeline_figure(items: pd.DataFrame, milestones: pd.DataFrame, as_of: date) -> go.Figure:
    """One row per item from its start to its due date, coloured by status, with its milestones on it."""
    if items.empty:
        return empty_figure("没有适用于该区域的计划事项")
    labels = {r.no: item_label(r.no, r.title) for r in items.itertuples()}
    order = [labels[n] for n in items["no"]]
    traces: list = []
    for status in PLAN_STATUS_ORDER:
        part = items[items["status"] == str(status)]
        if part.empty:
            continue
        starts = pd.to_datetime(part["start_date"])
        spans = (pd.to_datetime(part["due_date"]) - starts).dt.total_seconds() * 1000
        traces.append(trace(go.Bar,
            y=[labels[n] for n in part["no"]], x=spans, base=starts, orientation="h", name=PLAN_STATUS_LABELS[status],
            marker={"color": STATUS_COLORS[status], "opacity": 0.35 if status != PlanStatus.LATE else 0.55},
            customdata=part[["owner_unit", "progress", "due_date"]].astype(str).to_numpy(),
            hovertemplate="%{y}<br>牵头：%{customdata[0]}<br>进度 %{customdata[1]}%<br>完成时限 %{customdata[2]}"
                          "<extra>" + PLAN_STATUS_LABELS[status] + "</extra>",
        ))
    shown = milestones[milestones["no"].isin(labels)]
    for state, (name, symbol, color) in MILESTONE_STYLE.items():
        part = shown[shown["state"] == state]
        if part.empty:
            continue
        traces.append(trace(go.Scatter,
            x=pd.to_datetime(part["due_date"]), y=[labels[n] for n in part["no"]], mode="markers", name=name,
            marker={"symbol": symbol, "size": 11 if state != "late" else 14, "color": color,
                    "line": {"width": 2, "color": color}},
            customdata=part[["title"]].to_numpy(),
            hovertemplate="%{y}<br>节点：%{customdata[0]}<br>时限 %{x|%Y年%-m月%-d日}<extra>" + name + "</extra>",
        ))
    return figure(traces, {
        "shapes": [_today_line(as_of)], "annotations": [_today_note(as_of)],
        "yaxis": {"categoryorder": "array", "categoryarray": order, "autorange": "reversed", "tickfont": {"size": 13}},
        "xaxis": {"type": "date", "tickformat": "%Y年%-m月", "range": [items["start_date"].min() - timedelta(days=20),
                                                                       items["due_date"].max() + timedelta(days=20)]},
        "barmode": "overlay", "height": max(260, ROW_HEIGHT * len(order) + 110),
        "legend": {"orientation": "h", "y": 1.005, "yanchor": "bottom", "x": 0},
        "margin": {"l": 300, "r": 20, "t": 36, "b": 36}, "bargap": 0.35})


def _today_line(as_of: date) -> dict:
    """The dotted line at the status date (x in epoch milliseconds, as `add_vline` gave it)."""
    return vline(pd.Timestamp(as_of).value / 1e6, {"color": TEXT, "width": 1.5, "dash": "dot"})


def _today_note(as_of: date) -> dict:
    """The status date's label, at the top of the line."""
    return {"x": pd.Timestamp(as_of), "y": 1.0, "yref": "paper", "yanchor": "top", "xanchor": "left",
            "text": f" 统计日 {as_of:%Y.%-m.%-d}", "showarrow": False, "font": {"color": TEXT, "size": 13},
            "bgcolor": "rgba(12,26,46,0.85)"}
