"""精网微格 builders: coverage by area and by key group, visits per month, the structure table, silent grids and
(for the area's chief and admins only) the key-person list. Pure: frames from `data.queries.grids` in."""

from __future__ import annotations

import math
from functools import partial

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.formatting import count_full, percent
from dashboard.theme import ACCENT, BAD, GOOD, MUTED, SMALL_SAMPLE, WARN
from data.models_ops import KEY_GROUP_LABELS, VISIT_MODE_LABELS, KeyGroup, VisitMode
from data.rules import SMALL_SAMPLE_MIN
from layouts.figures.backlog import month_axis_layout, screen_layout, screen_style
from layouts.figures.common import compact_layout, count_axis, empty_figure, figure, trace

MODE_COLORS = {VisitMode.ROUTINE: ACCENT, VisitMode.BUILDING_SWEEP: "#9254de", VisitMode.DOOR_KNOCK: "#ff7a45"}
SMALL_FLAG = "样本少"
NOBODY_DUE = "所选区域没有需走访的重点人员"


_compact = partial(compact_layout, top=40)  # this page's charts: `compact_layout` with 40 px above the plot


def _screen(layout: dict, left: int) -> dict:
    """`layout` restyled for the wall screen: what `screen_style` did to the built figure (its legend keeps the
    page's settings and gains the screen's font)."""
    wall = screen_layout(left)
    return {**layout, **wall, "legend": {**layout.get("legend", {}), **wall["legend"]}}


def _untitled(fig: go.Figure, axis: str) -> go.Figure:
    """Drop an axis title on a built figure. Emptied afterwards rather than left out of the layout, so the figure's
    JSON keeps the empty title object it has always had."""
    fig.layout[axis].title.text = None
    return fig


def coverage_color(rate: float, due: int) -> str:
    """Green at 95% and above, amber from 85%, red below; grey for small samples or nobody due."""
    if due < SMALL_SAMPLE_MIN or rate is None or math.isnan(rate):
        return SMALL_SAMPLE
    return GOOD if rate >= 95 else (WARN if rate >= 85 else BAD)


def coverage_figure(frame: pd.DataFrame, child_label: str, limit: int = 20) -> go.Figure:
    """Visit coverage per child at the period's end, the `limit` lowest; bars carry the child's code for
    drilling (frame from `grids_by_child`)."""
    rows = frame[frame["due"] > 0]
    if rows.empty:
        return empty_figure(NOBODY_DUE)
    return figure(*_coverage(rows, child_label, limit))


def _coverage(rows: pd.DataFrame, child_label: str, limit: int, **style) -> tuple[list[go.Bar], dict]:
    """The bar (with `style` added) and the layout of `coverage_figure` (rows: children with someone due), for
    the page and the wall screen."""
    rows = rows.sort_values(["coverage", "code"], ascending=[True, True]).head(limit).iloc[::-1]
    labels = [f"{n} · {SMALL_FLAG}" if d < SMALL_SAMPLE_MIN else n for n, d in zip(rows["name"], rows["due"],
                                                                                  strict=True)]
    bar = trace(go.Bar, y=labels, x=rows["coverage"], orientation="h",
                marker={"color": [coverage_color(r, d) for r, d in zip(rows["coverage"], rows["due"], strict=True)]},
                text=[f"{percent(r, 1)}（{count_full(o)}/{count_full(d)}）" for r, o, d in
                      zip(rows["coverage"], rows["on_time"], rows["due"], strict=True)],
                textposition="outside", cliponaxis=False, customdata=rows["code"],
                hovertemplate="%{y}<br>走访覆盖率 %{x:.1f}%<extra></extra>", **style)
    xaxis = {"range": [0, 135], "tickvals": [0, 25, 50, 75, 100], "ticktext": ["0", "25%", "50%", "75%", "100%"],
             "title": {"text": f"按期走访 / 应走访（{child_label}，覆盖率低的在上）"}}
    return [bar], _compact(left=130, top=12, clickmode="event", xaxis=xaxis)


def groups_figure(frame: pd.DataFrame) -> go.Figure:
    """Key persons per group: visited on time and overdue, with the group's coverage and frequency
    (frame from `coverage_by_group`)."""
    if int(frame["due"].sum()) == 0:
        return empty_figure(NOBODY_DUE)
    return figure(*_groups(frame))


def _groups(frame: pd.DataFrame) -> tuple[list[go.Bar], dict]:
    """The bars and the layout of `groups_figure` (frame with someone due)."""
    names = [KEY_GROUP_LABELS[KeyGroup(g)] for g in frame["group"]]
    on_time = trace(go.Bar, x=names, y=frame["on_time"], name="按期走访", marker={"color": GOOD},
                    hovertemplate="%{x}<br>按期走访 %{y:,} 人<extra></extra>")
    overdue = trace(go.Bar, x=names, y=frame["overdue"], name="逾期未走访", marker={"color": BAD},
                    text=[f"{percent(c, 1)} · 每{d}天" for c, d in zip(frame["coverage"], frame["days"], strict=True)],
                    textposition="outside", cliponaxis=False,
                    hovertemplate="%{x}<br>逾期未走访 %{y:,} 人<extra></extra>")
    yaxis = {**count_axis(float(frame["due"].max()), "人数（时段末在管）"), "range": [0, float(frame["due"].max()) * 1.18]}
    return [on_time, overdue], _compact(barmode="stack", yaxis=yaxis)


def visits_figure(frame: pd.DataFrame) -> go.Figure:
    """Visits per month by action (走访, 扫楼行动, 敲门行动), stacked (frame from `visits_by_month`)."""
    if int(frame["total"].sum()) == 0:
        return empty_figure("所选时段内没有走访记录")
    months = pd.to_datetime(frame["month"])
    bars = [trace(go.Bar, x=months, y=frame[str(mode)], name=VISIT_MODE_LABELS[mode], marker={"color": MODE_COLORS[mode]},
                  xperiod="M1", xperiodalignment="middle",  # under its month's label, as `month_axis` put it
                  hovertemplate="%{x|%Y年%-m月} · " + VISIT_MODE_LABELS[mode] + " %{y:,} 次<extra></extra>")
            for mode in VisitMode]
    return figure(bars, _compact(bottom=56, barmode="stack", xaxis=month_axis_layout(len(frame)),
                                 yaxis=count_axis(float(frame["total"].max()))))


STRUCTURE_COLUMNS = (("name", "区域"), ("grids", "网格"), ("demo_grids", "示范网格"), ("liaisons", "微网格联络员"),
                     ("grid_staff", "网格员"), ("per_liaison", "每名联络员服务居民"), ("due", "在管重点人员"),
                     ("coverage", "走访覆盖率"), ("silent", "沉默网格"))


def structure_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows of the per-area table (row id = the child's code, used to drill)."""
    return [{"id": r.code, "name": r.name, "grids": count_full(r.grids), "demo_grids": int(r.demo_grids),
             "liaisons": count_full(r.liaisons), "grid_staff": count_full(r.grid_staff),
             "per_liaison": "—" if math.isnan(r.residents_per_liaison) else f"{r.residents_per_liaison:,.0f} 人",
             "due": count_full(r.due), "coverage": percent(r.coverage, 1), "silent": int(r.silent)}
            for r in frame.itertuples(index=False)]


def silent_items(frame: pd.DataFrame, days: int) -> list:
    """Silent grids, longest silence first."""
    if frame.empty:
        return [html.Li(f"时段末没有连续 {days} 天以上无上报的网格", className="ops-empty")]
    return [html.Li([html.Span(f"{r.days} 天", className="ops-late"), html.Span(r.township, className="ops-muted"),
                     html.Span(f"{r.village}·{r.grid}")], title=f"自 {r.since:%Y-%m-%d} 起无巡查日志、走访或上报")
            for r in frame.itertuples(index=False)]


PEOPLE_COLUMNS = (("name", "姓名"), ("group", "类别"), ("place", "网格"), ("last_visit", "最近走访"), ("state", "状态"))


def people_rows(frame: pd.DataFrame) -> list[dict]:
    """The individual list (personal data; only built for users allowed to see it)."""
    return [{"id": int(r.id), "name": r.name, "group": KEY_GROUP_LABELS[KeyGroup(r.group)],
             "place": f"{r.village}·{r.grid}",
             "last_visit": "从未走访" if pd.isna(r.last_visit) else f"{r.last_visit:%Y-%m-%d}（{int(r.days_since)}天前）",
             "state": "逾期未走访" if r.overdue else "按期"} for r in frame.itertuples(index=False)]


def people_note(allowed: bool) -> str:
    if allowed:
        return "个人信息仅本辖区负责人和管理员可见，不提供导出。"
    return "重点人员个人信息仅对本辖区负责人和管理员开放；此处仅显示统计数字。"


def muted(text: str) -> html.Span:
    return html.Span(text, style={"color": MUTED})


def screen_coverage_figure(frame: pd.DataFrame, child_label: str) -> go.Figure:
    """Wall screen: coverage per child, lowest first (frame from `grids_by_child`)."""
    rows = frame[frame["due"] > 0]
    if rows.empty:
        return screen_style(empty_figure(NOBODY_DUE), left=170)
    bars, layout = _coverage(rows, child_label, 8, textfont={"size": 16})
    return _untitled(figure(bars, _screen(layout, left=170)), "xaxis")


def screen_groups_figure(frame: pd.DataFrame) -> go.Figure:
    """Wall screen: on time and overdue per key group (frame from `coverage_by_group`)."""
    if int(frame["due"].sum()) == 0:
        return screen_style(empty_figure(NOBODY_DUE), left=64)
    bars, layout = _groups(frame)
    return _untitled(figure(bars, _screen(layout, left=64)), "yaxis")
