"""信访积案 and 挂牌督办 builders: pure functions from the frames of `data.queries.backlog` / `.supervision`
to figures, table rows and the case detail panel. Chinese labels come from the vocabularies."""

from __future__ import annotations

import math
from datetime import datetime
from functools import partial

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.formatting import count_full, date_cn, percent
from dashboard.theme import ACCENT, BACKLOG_COLORS, SMALL_SAMPLE, TEXT
from data.queries.backlog import COLORS, ORIGINS, CaseHistory
from data.queries.supervision import SupervisionDetail
from data.rules import SMALL_SAMPLE_MIN
from data.vocab import (
    BACKLOG_COLOR_LABELS,
    BACKLOG_ORIGIN_LABELS,
    HANDLING_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    BacklogColor,
    BacklogOrigin,
    HandlingLevel,
    Status,
    Step,
)
from layouts.figures.common import (
    CHART_FONT,
    compact_layout,
    count_axis,
    empty_figure,
    figure,
    trace,
    two_panels,
)

COLOR_NAMES = {c: BACKLOG_COLOR_LABELS[BacklogColor(c)] for c in COLORS}
ORIGIN_NAMES = {o: BACKLOG_ORIGIN_LABELS[BacklogOrigin(o)] for o in ORIGINS}
FILL = {c: BACKLOG_COLORS[BacklogColor(c)] for c in COLORS}
SMALL_FLAG = "样本少"


def month_axis_layout(months: int, bars: bool = True) -> dict:
    """A readable month axis: month over year, every month up to a year, every quarter (M3) or half year
    beyond. Bar charts also need xperiod="M1", xperiodalignment="middle" on their bars, so that a month's bar
    sits under its label."""
    step = "M1" if months <= 12 else ("M3" if months <= 36 else "M6")
    return {"tickformat": "%-m月\n%Y年", "dtick": step, "tickangle": 0,
            "ticklabelmode": "period" if bars else "instant"}


_compact_layout = partial(compact_layout, top=36)  # this page's charts: `compact_layout` with 36 px above the plot


def color_name(code: object) -> str:
    return COLOR_NAMES.get(str(code), "—") if code is not None and not _missing(code) else "—"


def origin_name(code: object) -> str:
    return ORIGIN_NAMES.get(str(code), "—") if code is not None and not _missing(code) else "—"


def _missing(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _minute(value: object) -> str:
    if value is None or _missing(value) or pd.isna(value):
        return "—"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def origin_figure(frame: pd.DataFrame) -> go.Figure:
    """Backlog by origin: on the board at the period's end (left) and resolved in the period (right), stacked
    by color (frame from `backlog_by_origin`)."""
    if int(frame[["on_board", "resolved"]].to_numpy().sum()) == 0:
        return empty_figure("所选区域和时段内没有信访积案")
    names = [ORIGIN_NAMES[o] for o in ORIGINS]
    panels: dict[str, list] = {}
    for measure in ("on_board", "resolved"):
        panels[measure] = []
        for c in COLORS:
            part = frame[frame["color"] == c].set_index("origin").reindex(ORIGINS)
            panels[measure].append(trace(go.Bar,
                x=names, y=part[measure], name=COLOR_NAMES[c], marker={"color": FILL[c]}, legendgroup=c,
                showlegend=measure == "on_board", customdata=[c] * len(names),
                hovertemplate="%{x} · " + COLOR_NAMES[c] + "<br>%{y:,} 件<extra></extra>"))
    tops = frame.groupby("origin")[["on_board", "resolved"]].sum().max()
    return two_panels(panels["on_board"], panels["resolved"], {
        "barmode": "stack", **_compact_layout(left=48, bottom=64),
        "xaxis": {"title": {"text": "时段末在办"}}, "xaxis2": {"title": {"text": "期内化解"}},
        "yaxis": count_axis(float(tops["on_board"])), "yaxis2": count_axis(float(tops["resolved"]))})


def area_figure(frame: pd.DataFrame, child_label: str) -> go.Figure:
    """Per child: on the board at the end by color (left) and resolved in the period (right); bars carry the
    child's code for drilling (frame from `backlog_by_child`)."""
    if frame.empty:
        return empty_figure("没有下级区域")
    if int(frame[["on_board", "resolved"]].to_numpy().sum()) == 0:
        return empty_figure("所选区域和时段内没有信访积案")
    rows = frame.head(15).iloc[::-1]
    board = [trace(go.Bar, y=rows["name"], x=rows[c], orientation="h", name=COLOR_NAMES[c], marker={"color": FILL[c]},
                   customdata=rows["code"], hovertemplate="%{y} · " + COLOR_NAMES[c] + " %{x:,} 件<extra></extra>")
             for c in COLORS]
    resolved = trace(go.Bar, y=rows["name"], x=rows["resolved"], orientation="h", name="期内化解", marker={"color": ACCENT},
                     customdata=rows["code"], text=[count_full(v) for v in rows["resolved"]],
                     textposition="outside", cliponaxis=False,
                     hovertemplate="%{y}<br>期内化解 %{x:,} 件<extra></extra>")
    top = max(float(rows["resolved"].max()), 1.0)
    return two_panels(board, [resolved], {
        "barmode": "stack", "clickmode": "event", "showlegend": True, **_compact_layout(left=110, bottom=64),
        "xaxis": {**count_axis(float(rows["on_board"].max())), "title": {"text": f"时段末在办（按{child_label}）"}},
        "xaxis2": {**count_axis(top * 1.25), "title": {"text": "期内化解"}, "range": [0, top * 1.25]}},
        widths=(0.55, 0.45), gap=0.03, share_y=True)


def assessment_figure(frame: pd.DataFrame) -> go.Figure:
    """差异化考核: children ranked by the difficulty-weighted resolution rate (frame from `backlog_assessment`);
    fewer than SMALL_SAMPLE_MIN cases are greyed and flagged."""
    rows = frame[frame["cases"] > 0]
    if rows.empty:
        return empty_figure("所选区域和时段内没有信访积案")
    rows = rows.head(15).iloc[::-1]
    small = rows["cases"] < SMALL_SAMPLE_MIN
    labels = [f"{n} · {SMALL_FLAG}" if s else n for n, s in zip(rows["name"], small, strict=True)]
    custom = [[_rate(r, "red"), _rate(r, "yellow"), _rate(r, "green"), int(r["cases"])] for _, r in rows.iterrows()]
    bar = trace(go.Bar,
        y=labels, x=rows["weighted_rate"], orientation="h",
        marker={"color": [SMALL_SAMPLE if s else ACCENT for s in small]},
        text=[percent(v, 1) for v in rows["weighted_rate"]], textposition="outside", cliponaxis=False,
        customdata=custom,
        hovertemplate="%{y}<br>加权化解率 %{x:.1f}%<br>红色 %{customdata[0]} · 黄色 %{customdata[1]} · 绿色 "
                      "%{customdata[2]}<br>积案 %{customdata[3]} 件<extra></extra>")
    return figure([bar], {**_compact_layout(left=170, top=16),
                          "xaxis": {"range": [0, 112], "ticksuffix": "%", "title": {"text": "加权化解率（红×3 黄×2 绿×1）"}}})


def _rate(row: pd.Series, color: str) -> str:
    value = row[f"rate_{color}"]
    return "—" if _missing(value) else f"{value:.1f}%"


def resolved_figure(frame: pd.DataFrame) -> go.Figure:
    """Backlog cases resolved per month, stacked by the color they closed in, with each year's total
    (frame from `resolved_by_month`)."""
    if int(frame["total"].sum()) == 0:
        return empty_figure("所选时段内没有化解的信访积案")
    months = pd.to_datetime(frame["month"])
    # a month's bar sits under its label, in the middle of the month (see `month_axis_layout`)
    bars = [trace(go.Bar, x=months, y=frame[c], name=COLOR_NAMES[c], marker={"color": FILL[c]}, xperiod="M1",
                  xperiodalignment="middle",
                  hovertemplate="%{x|%Y年%-m月} · " + COLOR_NAMES[c] + " %{y:,} 件<extra></extra>") for c in COLORS]
    years = frame.assign(year=[m.year for m in frame["month"]]).groupby("year")["total"].sum()
    note = {"text": "　".join(f"{y}年化解 {count_full(n)} 件" for y, n in years.items()), "xref": "paper",
            "yref": "paper", "x": 1, "y": 1.0, "xanchor": "right", "yanchor": "bottom", "showarrow": False,
            "font": {"size": CHART_FONT + 1, "color": TEXT}}
    return figure(bars, {**_compact_layout(top=64, bottom=56), "barmode": "stack", "annotations": [note],
                         "xaxis": month_axis_layout(len(frame)), "yaxis": count_axis(float(frame["total"].max()))})


def year_totals(frame: pd.DataFrame) -> dict[int, int]:
    """Resolved per year from a `resolved_by_month` frame (what the chart's note says)."""
    return {int(y): int(n) for y, n in frame.assign(year=[m.year for m in frame["month"]]).groupby("year")["total"]
            .sum().items()}


def _stack_top(frame: pd.DataFrame) -> float:
    """The highest month-end board of a `color_trend` frame, its colors stacked."""
    return float(frame[list(COLORS)].sum(axis=1).max())


def trend_figure(frame: pd.DataFrame) -> go.Figure:
    """The board by color at each month's end, stacked (frame from `color_trend`)."""
    if frame.empty or int(frame[list(COLORS)].to_numpy().sum()) == 0:
        return empty_figure("所选时段内积案在办数为零")
    layout = {"yaxis": count_axis(_stack_top(frame), "在办积案（件）"),
              "xaxis": {**month_axis_layout(len(frame), bars=False), "tickformat": "%-m月末\n%Y年"},
              **_compact_layout(top=40)}
    return figure(_trend_traces(frame), layout)


def _trend_traces(frame: pd.DataFrame) -> list[go.Scatter]:
    """The stacked areas of the board's colors at each month's end (green at the bottom, red on top)."""
    ends = pd.to_datetime(frame["at"]) - pd.Timedelta(seconds=1)  # the last instant of each month
    x = ends.dt.to_period("M").dt.start_time  # plotted at the month, labelled "…月末"
    return [trace(go.Scatter, x=x, y=frame[c], name=COLOR_NAMES[c], stackgroup="board", mode="lines",
                  line={"color": FILL[c], "width": 1.5}, fillcolor=FILL[c],
                  hovertemplate="%{x|%Y年%-m月}末 · " + COLOR_NAMES[c] + " %{y:,} 件<extra></extra>")
            for c in reversed(COLORS)]


def moves_items(frame: pd.DataFrame) -> list:
    """Color changes in the period as chips: progress (toward green) and setbacks (toward red)."""
    if frame.empty:
        return [html.Span("期内无颜色变化", className="ops-muted")]
    items = []
    for row in frame.itertuples(index=False):
        tone = "progress" if row.progress else "setback"
        items.append(html.Span([html.Span(COLOR_NAMES.get(row.from_color, "?"), className=f"ops-dot {row.from_color}"),
                                " → ", html.Span(COLOR_NAMES.get(row.to_color, "?"),
                                                 className=f"ops-dot {row.to_color}"),
                                html.Strong(count_full(row.moves))], className=f"ops-move {tone}"))
    return items


CASE_PAGE_SIZE = 10  # rows per page of the case and supervision tables (paged on the server: data.queries.list_pages)
CASE_COLUMNS = (("case_no", "案件编号"), ("color", "难度"), ("origin", "来源"), ("category", "类别"), ("place", "乡镇街道"),
                ("leader", "包案领导"), ("state", "状态"), ("reported_at", "登记时间"))


def case_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows of the backlog table (row id = case id, which the detail panel re-checks against the scope)."""
    return [{"id": int(r.id), "case_no": r.case_no, "color": color_name(r.color), "origin": origin_name(r.origin),
             "category": r.category, "place": r.place or "—", "leader": r.leader or "—",
             "state": "在办" if r.state == "on_board" else f"已化解 {pd.Timestamp(r.closed_at):%Y-%m-%d}",
             "reported_at": _minute(r.reported_at)} for r in frame.itertuples(index=False)]


SUP_COLUMNS = (("case_no", "案件编号"), ("category", "类别"), ("place", "县区"), ("handler", "主办"),
               ("task_force", "专班"), ("next", "下一节点"), ("overdue", "逾期节点"), ("state", "状态"))


def supervision_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows of the supervision table (row id = case id)."""
    rows = []
    for r in frame.itertuples(index=False):
        state = "已化解" if r.resolved else ("已办结" if r.closed else "办理中")
        nxt = "—" if r.next_title is None or pd.isna(r.next_due) else f"{r.next_title}（{pd.Timestamp(r.next_due):%m-%d}）"
        rows.append({"id": int(r.case_id), "case_no": r.case_no, "category": r.category, "place": r.place or "—",
                     "handler": r.handler, "task_force": r.task_force if isinstance(r.task_force, str) else "—",
                     "next": nxt, "overdue": int(r.overdue), "state": state})
    return rows


def forces_items(frame: pd.DataFrame) -> list:
    """Task forces (专人专班专案) with their cases."""
    if frame.empty:
        return [html.Li("本区域暂无专班", className="ops-muted")]
    return [html.Li([html.Span(r.name, className="ops-force-name"), html.Span(r.leader, className="ops-muted"),
                     html.Span(f"案件 {r.cases} · 已化解 {r.resolved}", className="ops-force-count")])
            for r in frame.itertuples(index=False)]


ROLE_LINES = (("coordinator", "市主要领导统筹"), ("supervisor", "市分管领导督办"), ("handler", "县区党政一把手主办"))


def no_selection() -> list:
    return [html.Div("点击左侧清单中的案件，查看办理经过、包案领导和颜色变化。", className="ops-muted")]


def case_detail(history: CaseHistory, supervision: SupervisionDetail, now: datetime) -> list:
    """The detail panel: facts and leader, color history, supervision roles, milestones and notes, events.

    Both parts empty (the case is not in the area, or not a backlog or listed case): the hint only.
    """
    if history.case.empty and supervision.listing.empty:
        return no_selection()
    parts: list = []
    if not history.case.empty:
        c = history.case.iloc[0]
        parts += [html.Div([html.Span(c["case_no"], className="ops-case-no"),
                            html.Span(color_name(c["color"]), className=f"ops-dot {c['color']}")], className="ops-case-head"),
                  html.Div(f"{origin_name(c['origin'])} · {c['category']} · {c['place'] or ''} · "
                           f"{STATUS_LABELS.get(Status(c['status']), c['status'])}", className="ops-muted"),
                  html.Div(["包案领导：", html.Strong(f"{c['leader_post'] or ''} {c['leader_name'] or '—'}")]),
                  html.Div(f"责任单位：{c['unit']}", className="ops-muted"),
                  html.H4("颜色变化", className="ops-sub"), html.Ol(_color_items(history.colors), className="ops-tl")]
    if not supervision.listing.empty:
        s = supervision.listing.iloc[0]
        parts += [html.H4(f"挂牌督办（{date_cn(pd.Timestamp(s['listed_at']).date())}列入）", className="ops-sub"),
                  html.Ul([html.Li([html.Span(label, className="ops-muted"), " ", s[key]]) for key, label in ROLE_LINES]
                          + ([html.Li([html.Span("专班", className="ops-muted"), " ", s["task_force"]])]
                             if isinstance(s["task_force"], str) else []), className="ops-roles"),
                  html.Ol(_milestone_items(supervision.milestones, now), className="ops-tl"),
                  html.H4("进展情况", className="ops-sub"),
                  html.Ol([html.Li([html.Span(_minute(n.at), className="ops-tl-time"), html.Span(n.text),
                                    html.Span(n.author, className="ops-muted")], className="ops-tl-item")
                           for n in supervision.notes.itertuples(index=False)], className="ops-tl")]
    if not history.events.empty:
        parts += [html.H4("办理经过", className="ops-sub"), html.Ol(_event_items(history.events), className="ops-tl")]
    return parts


def _color_items(colors: pd.DataFrame) -> list:
    items = []
    for r in colors.itertuples(index=False):
        what = f"列入积案（{color_name(r.to_color)}）" if r.from_color is None or _missing(r.from_color) else \
            f"{color_name(r.from_color)} → {color_name(r.to_color)}"
        items.append(html.Li([html.Span(_minute(r.at), className="ops-tl-time"), html.Span(what)],
                             className=f"ops-tl-item color-{r.to_color}"))
    return items


def _milestone_items(milestones: pd.DataFrame, now: datetime) -> list:
    items = []
    for m in milestones.itertuples(index=False):
        done = m.done_at is not None and not pd.isna(m.done_at)
        late = (not done and pd.Timestamp(m.due_at) < pd.Timestamp(now)) or (done and m.done_at > m.due_at)
        state = (f"完成 {pd.Timestamp(m.done_at):%Y-%m-%d}" if done else "未完成") + ("（逾期）" if late else "")
        items.append(html.Li([html.Span(f"节点{m.seq} 限{pd.Timestamp(m.due_at):%Y-%m-%d}", className="ops-tl-time"),
                              html.Span(m.title), html.Span(state, className="ops-late" if late else "ops-muted")],
                             className="ops-tl-item" + (" late" if late else "")))
    return items


def _event_items(events: pd.DataFrame) -> list:
    items = []
    for e in events.itertuples(index=False):
        step = STEP_LABELS.get(Step(e.step), e.step) if e.step in {s.value for s in Step} else e.step
        level = HANDLING_LABELS.get(HandlingLevel(e.level), "") if e.level in {h.value for h in HandlingLevel} else ""
        items.append(html.Li([html.Span(_minute(e.at), className="ops-tl-time"), html.Span(f"{step}（{level}）")],
                             className=f"ops-tl-item step-{e.step}"))
    return items


SCREEN_FONT = 17


def screen_layout(left: int = 96) -> dict:
    """Large fonts and a transparent panel for the 1920×1080 wall-screen canvas."""
    return {"font": {"size": SCREEN_FONT}, "margin": {"l": left, "r": 20, "t": 36, "b": 36},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "legend": {"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom", "font": {"size": 16}}}


def screen_style(fig: go.Figure, left: int = 96) -> go.Figure:
    """`screen_layout` applied to a built figure."""
    fig.update_layout(**screen_layout(left))
    return fig


# The wall screen's backlog panel refreshes every minute on every wall PC: its two figures are built in one
# constructor each (add_trace and update_* calls cost ~1 ms apiece, 19 ms for the pair; now about 4 ms).


def screen_board_figure(frame: pd.DataFrame) -> go.Figure:
    """Wall screen: backlog on the board per child, stacked by color (frame from `backlog_by_child`)."""
    if frame.empty or int(frame["on_board"].sum()) == 0:
        return empty_figure("时段末没有在办的信访积案")
    rows = frame.head(10).iloc[::-1]
    bars = [trace(go.Bar, y=rows["name"], x=rows[c], orientation="h", name=COLOR_NAMES[c], marker={"color": FILL[c]},
                  hovertemplate="%{y} · " + COLOR_NAMES[c] + " %{x} 件<extra></extra>") for c in COLORS]
    totals = trace(go.Scatter, y=rows["name"], x=rows["on_board"], mode="text", text=[count_full(v) for v in rows["on_board"]],
                   textposition="middle right", showlegend=False, hoverinfo="skip",
                   textfont={"size": SCREEN_FONT, "color": TEXT}, cliponaxis=False)
    layout = {"barmode": "stack", **screen_layout(),
              "xaxis": {**count_axis(float(rows["on_board"].max())), "range": [0, float(rows["on_board"].max()) * 1.2]}}
    return figure([*bars, totals], layout)


def screen_trend_figure(frame: pd.DataFrame) -> go.Figure:
    """Wall screen: the board by color at each month's end (frame from `color_trend`)."""
    ticks = {"tickformat": "%-m月末", "dtick": "M2" if len(frame) <= 12 else "M6"}  # room for 17px labels
    layout = screen_layout(left=64)
    layout["margin"]["b"] = 60
    if frame.empty or int(frame[list(COLORS)].to_numpy().sum()) == 0:  # one update: merged into the empty state
        return empty_figure("所选时段内积案在办数为零").update_layout({**layout, "xaxis": ticks})
    return figure(_trend_traces(frame), {**layout, "yaxis": count_axis(_stack_top(frame)),
                                         "xaxis": {**month_axis_layout(len(frame), bars=False), **ticks}})
