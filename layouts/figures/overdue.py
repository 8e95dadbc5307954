"""逾期督办 builders: pure functions from the overdue queries' DataFrames to figures, table rows and lists.

Nothing here reads the database; labels come from data.vocab and colors from dashboard.theme, so the same
frames always draw the same picture (and the tests can check the picture's content).
"""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.theme import ACCENT, BAD, CARD_COLORS, WARN
from data.vocab import (
    CARD_LABELS,
    CARD_ORDER,
    HANDLING_LABELS,
    KIND_LABELS,
    STEP_LABELS,
    CardColor,
    HandlingLevel,
    Kind,
    Step,
)
from layouts.figures.common import count_axis, empty_figure, figure, trace

NO_OVERDUE = "时段末没有逾期案件"
AGING_COLORS = ("#fadb14", WARN, "#fa8c16", "#ff7a45", BAD)
GRAPH_FONT = 15


# Each figure is built in one constructor (figure(traces, layout)): add_bar and update_* calls cost ~1 ms apiece.
def _compact(left: int = 48, bottom: int = 48, **layout) -> dict:
    """Panels carry their titles in HTML, so figures use the whole box (`layout` adds to it)."""
    return {"margin": {"l": left, "r": 16, "t": 16, "b": bottom}, "font": {"size": GRAPH_FONT}, "bargap": 0.25,
            "hoverlabel": {"font": {"size": 15}}, **layout}


def _top_legend() -> dict:
    """A one-line legend at the top right, clear of the HTML panel title."""
    return {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.08}


def _area_ticks(df: pd.DataFrame) -> dict:
    """Slanted names when many areas share the axis."""
    return {"tickangle": -45 if len(df) > 12 else 0}


def overdue_by_area_figure(df: pd.DataFrame, child_label: str) -> go.Figure:
    """Bars of overdue cases per child area (frame: code, name, overdue); customdata carries the full code."""
    if df.empty or int(df["overdue"].sum()) == 0:
        return empty_figure(NO_OVERDUE)
    bar = trace(go.Bar,
        x=df["name"], y=df["overdue"], customdata=df["code"], text=df["overdue"], textposition="outside",
        marker={"color": ACCENT}, name="逾期案件", cliponaxis=False,
        hovertemplate=f"%{{x}}<br>逾期在办 %{{y}} 件<extra>{child_label}</extra>",
    )
    return figure([bar], _compact(xaxis=_area_ticks(df), yaxis=count_axis(df["overdue"].max(), "件")))


def overdue_by_unit_figure(df: pd.DataFrame) -> go.Figure:
    """Horizontal bars of the responsible units with most overdue cases (frame: unit, overdue), largest on top."""
    if df.empty:
        return empty_figure(NO_OVERDUE)
    rows = df.iloc[::-1]
    bar = trace(go.Bar,
        x=rows["overdue"], y=rows["unit"], orientation="h", text=rows["overdue"], textposition="outside",
        textfont={"size": 14}, constraintext="none", marker={"color": WARN}, cliponaxis=False,
        hovertemplate="%{y}<br>逾期在办 %{x} 件<extra></extra>",
    )
    return figure([bar], _compact(left=8, bottom=44, xaxis=count_axis(df["overdue"].max(), "件"),
                                  yaxis={"automargin": True, "tickfont": {"size": 14}}))


def aging_figure(df: pd.DataFrame) -> go.Figure:
    """Overdue cases by days past due (frame: bucket, overdue), warmer colors for longer delays."""
    if df.empty or int(df["overdue"].sum()) == 0:
        return empty_figure(NO_OVERDUE)
    bar = trace(go.Bar,
        x=df["bucket"], y=df["overdue"], text=df["overdue"], textposition="outside", cliponaxis=False,
        marker={"color": list(AGING_COLORS[: len(df)])}, hovertemplate="逾期%{x}<br>%{y} 件<extra></extra>",
    )
    return figure([bar], _compact(bottom=56, xaxis={"title": {"text": "逾期时长"}},
                                  yaxis=count_axis(df["overdue"].max(), "件")))


def cards_by_area_figure(df: pd.DataFrame, child_label: str) -> go.Figure:
    """Stacked blue/yellow/red bars per child area (frame: code, name, blue, yellow, red)."""
    colors = [str(c) for c in CARD_ORDER]
    if df.empty or int(df[colors].to_numpy().sum()) == 0:
        return empty_figure("时段末在办案件中没有督办牌")
    bars = [
        trace(go.Bar,
            x=df["name"], y=df[str(color)], name=CARD_LABELS[color], marker={"color": CARD_COLORS[color]},
            customdata=df["code"], hovertemplate=f"%{{x}}<br>{CARD_LABELS[color]} %{{y}} 件<extra>{child_label}</extra>",
        )
        for color in CARD_ORDER
    ]
    return figure(bars, _compact(barmode="stack", legend=_top_legend(), xaxis=_area_ticks(df),
                                  yaxis=count_axis(df[colors].sum(axis=1).max(), "件")))


def cards_trend_figure(df: pd.DataFrame) -> go.Figure:
    """Cards issued per week by color (frame: week, blue, yellow, red) as lines."""
    colors = [str(c) for c in CARD_ORDER]
    if df.empty or int(df[colors].to_numpy().sum()) == 0:
        return empty_figure("时段内没有发放督办牌")
    weeks = pd.to_datetime(df["week"])
    lines = [
        trace(go.Scatter,
            x=weeks, y=df[str(color)], name=CARD_LABELS[color], mode="lines+markers",
            line={"color": CARD_COLORS[color], "width": 2.5}, marker={"size": 5},
            hovertemplate=f"%{{x|%Y年%m月%d日}}当周<br>{CARD_LABELS[color]} %{{y}} 张<extra></extra>",
        )
        for color in CARD_ORDER
    ]
    return figure(lines, _compact(left=56, legend=_top_legend(), hovermode="x unified",
                                  xaxis={"tickformat": "%-m月%-d日"},
                                  yaxis=count_axis(df[colors].to_numpy().max(), "张/周")))


# --- table, lists, timeline --------------------------------------------------------------------------------

TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("case_no", "案件编号", "text"),
    ("kind", "类型", "text"),
    ("category", "类别", "text"),
    ("place", "所属区域", "text"),
    ("unit", "责任单位", "text"),
    ("reported_at", "登记时间", "datetime"),
    ("due_at", "办理期限", "datetime"),
    ("overdue_days", "逾期天数", "numeric"),
    ("card", "督办牌", "text"),
)


def days_overdue(due: datetime, at: datetime) -> int:
    """Whole days overdue as shown and filtered: a started day counts (0.2 days late shows as 1)."""
    return max(math.ceil((at - due).total_seconds() / 86400), 0)


def text_or_blank(value: object) -> str:
    """A text cell from a frame: pandas turns SQL NULLs into None or NaN, both shown as nothing."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _minute(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M") if value is not None and not pd.isna(value) else "—"


def card_label(code: object) -> str:
    """蓝牌/黄牌/红牌 for a color code; 无 when the case has no card (NULL, None or NaN)."""
    color = text_or_blank(code)
    return CARD_LABELS[CardColor(color)] if color else "无"


def table_rows(df: pd.DataFrame, at: datetime) -> list[dict]:
    """Overdue-table rows (frame from `overdue_cases_page`) as the DataTable's records; `id` is the case id."""
    return [
        {
            "id": int(r.id),
            "case_no": r.case_no,
            "kind": KIND_LABELS.get(Kind(r.kind), r.kind),
            "category": r.category,
            "place": f"{text_or_blank(r.township)}{text_or_blank(r.village)}" or "—",
            "unit": r.unit,
            "reported_at": _minute(r.reported_at),
            "due_at": _minute(r.due_at),
            "overdue_days": days_overdue(pd.Timestamp(r.due_at).to_pydatetime(), at),
            "card": card_label(r.card),
        }
        for r in df.itertuples(index=False)
    ]


def _hours_left(due: object, at: datetime) -> str:
    hours = (pd.Timestamp(due).to_pydatetime() - at).total_seconds() / 3600
    return f"{hours:.0f}小时后到期" if hours >= 1 else "不足1小时到期"


def due_soon_items(df: pd.DataFrame, at: datetime) -> list:
    """The 'falling due soon' list (frame: id, case_no, kind, unit, due_at), soonest first."""
    if df.empty:
        return [html.Li("48小时内没有即将到期的案件", className="overdue-empty")]
    return [
        html.Li(
            [
                html.Span(_hours_left(r.due_at, at), className="overdue-soon-left"),
                html.Span(r.case_no, className="overdue-soon-no"),
                html.Span(KIND_LABELS.get(Kind(r.kind), r.kind), className="overdue-soon-kind"),
                html.Span(r.unit, className="overdue-soon-unit"),
            ]
        )
        for r in df.itertuples(index=False)
    ]


def timeline_entry(row: pd.Series) -> tuple[str, str, str]:
    """(what, where, css tone) of one timeline row: an event step at a handling level, or a card."""
    if row["source"] == "card":
        color = CardColor(row["code"])
        return f"{CARD_LABELS[color]}督办", "超期督办", f"card-{color}"
    step = Step(row["code"])
    level = HANDLING_LABELS[HandlingLevel(row["level"])] if text_or_blank(row["level"]) else ""
    where = f"{level}中心" if step != Step.ESCALATED else f"提级至{level}"
    return STEP_LABELS[step], where, f"step-{step}"


def timeline_items(df: pd.DataFrame) -> list:
    """The case's history (frame from `case_timeline`) as an ordered list with times."""
    if df.empty:
        return [html.Li("没有可显示的记录（案件不在当前区域）", className="overdue-empty")]
    items = []
    for _, row in df.iterrows():
        what, where, tone = timeline_entry(row)
        items.append(
            html.Li(
                [html.Span(pd.Timestamp(row["at"]).strftime("%Y-%m-%d %H:%M"), className="tl-time"),
                 html.Span(what, className="tl-what"), html.Span(where, className="tl-where")],
                className=f"tl-item {tone}",
            )
        )
    return items


def timeline_title(row: dict | None) -> list:
    """Header of the timeline panel from the clicked table row (already formatted for display)."""
    if not row:
        return ["点击表格中的案件查看办理经过"]
    return [
        html.Div(row.get("case_no", ""), className="tl-case-no"),
        html.Div(f"{row.get('kind', '')} · {row.get('category', '')} · {row.get('place', '')}", className="tl-meta"),
        html.Div(f"责任单位：{row.get('unit', '')}", className="tl-meta"),
        html.Div(
            [f"办理期限 {row.get('due_at', '')} · ", html.Strong(f"逾期 {row.get('overdue_days', '')} 天"),
             f" · {row.get('card', '')}"],
            className="tl-meta",
        ),
    ]

