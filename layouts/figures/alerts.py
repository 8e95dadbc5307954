"""风险预警 builders: warnings per week and per rule, the review lists, the warning table and the detail panel
with its evidence and workflow history. Pure: frames from `data.queries.alerts` in."""

from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.formatting import count_full, date_cn
from dashboard.theme import ACCENT, BAD, WARN
from data.models_ops import (
    WARNING_ACTION_LABELS,
    WARNING_LEVEL_LABELS,
    WARNING_RULE_LABELS,
    WARNING_STATUS_LABELS,
    WarningAction,
    WarningLevel,
    WarningRule,
    WarningStatus,
)
from data.queries.alerts import LEVELS, KeyDateReview, WarningDetail
from data.vocab import (
    BACKLOG_COLOR_LABELS,
    BACKLOG_ORIGIN_LABELS,
    KIND_LABELS,
    BacklogColor,
    BacklogOrigin,
    Kind,
)
from layouts.figures.common import compact_layout, count_axis, empty_figure, figure, trace

LEVEL_COLORS = {str(WarningLevel.GENERAL): ACCENT, str(WarningLevel.MAJOR): WARN, str(WarningLevel.CRITICAL): BAD}
EVIDENCE_LABELS = {"count": "触发件数", "baseline": "基线各周件数", "median": "基线中位数", "mad": "绝对中位差",
                   "z": "稳健Z值", "baseline_from": "基线起始", "case_nos": "涉及案件", "people": "涉及人数",
                   "from_color": "原颜色", "origin": "积案来源"}


def level_name(code: object) -> str:
    try:
        return WARNING_LEVEL_LABELS[WarningLevel(str(code))]
    except ValueError:
        return "—"


def rule_name(code: object) -> str:
    try:
        return WARNING_RULE_LABELS[WarningRule(str(code))]
    except ValueError:
        return str(code)


def status_name(code: object) -> str:
    try:
        return WARNING_STATUS_LABELS[WarningStatus(str(code))]
    except ValueError:
        return str(code)


_compact = partial(compact_layout, top=40)  # this page's charts: `compact_layout` with 40 px above the plot


def week_figure(frame: pd.DataFrame) -> go.Figure:
    """Warnings raised per week by their level when raised, stacked (frame from `warnings_by_week`)."""
    if frame.empty or int(frame[list(LEVELS)].to_numpy().sum()) == 0:
        return empty_figure("所选时段内没有预警")
    weeks = pd.to_datetime(frame["week"])
    bars = [trace(go.Bar, x=weeks, y=frame[lv], name=level_name(lv), marker={"color": LEVEL_COLORS[lv]},
                  hovertemplate="%{x|%Y年%-m月%-d日}起一周 · " + level_name(lv) + " %{y} 条<extra></extra>")
            for lv in LEVELS]
    return figure(bars, _compact(barmode="stack", bargap=0.15, xaxis={"tickformat": "%Y年%-m月"},
                                 yaxis=count_axis(float(frame[list(LEVELS)].sum(axis=1).max()), "预警（条）")))


def rule_figure(frame: pd.DataFrame) -> go.Figure:
    """Warnings per rule in the period, and how many are still open (frame from `warnings_by_rule`)."""
    if int(frame["raised"].sum()) == 0:
        return empty_figure("所选时段内没有预警")
    rows = frame.iloc[::-1]
    names = [rule_name(r) for r in rows["rule"]]
    raised = trace(go.Bar, y=names, x=rows["raised"], orientation="h", name="期内发布", marker={"color": ACCENT},
                   text=[count_full(v) for v in rows["raised"]], textposition="outside", cliponaxis=False,
                   hovertemplate="%{y}<br>期内发布 %{x} 条<extra></extra>")
    still_open = trace(go.Bar, y=names, x=rows["open"], orientation="h", name="尚未办结", marker={"color": WARN},
                       hovertemplate="%{y}<br>尚未办结 %{x} 条<extra></extra>")
    return figure([raised, still_open], _compact(
        left=110, barmode="overlay",
        xaxis={**count_axis(float(frame["raised"].max())), "range": [0, max(float(frame["raised"].max()), 1.0) * 1.2]}))


def review_items(frame: pd.DataFrame, empty: str, total: int | None = None) -> list:
    """A review list: time, level, title; when `total` says there were more, a last line says how many."""
    if frame.empty:
        return [html.Li(empty, className="ops-empty")]
    items = [html.Li([html.Span(f"{pd.Timestamp(r.raised_at):%m-%d %H:%M}", className="ops-tl-time"),
                      html.Span(level_name(r.level), className=f"ops-level {r.level}"),
                      html.Span(r.title, title=r.title)]) for r in frame.itertuples(index=False)]
    if total is not None and total > len(frame):
        items.append(html.Li(f"另有 {count_full(total - len(frame))} 条，见预警列表", className="ops-empty"))
    return items


def key_dates_title(review: KeyDateReview) -> str:
    if review.key_date is None or review.window is None:
        return "所选时段内没有重大节点"
    kd, w = review.key_date, review.window
    return f"{kd.name}（{date_cn(kd.start)}–{date_cn(kd.end)}）· 逐日研判 {date_cn(w.start)}至{date_cn(w.end)}"


def key_dates_figure(review: KeyDateReview) -> go.Figure:
    """Warnings per day around the key date, stacked by level."""
    if review.key_date is None:
        return empty_figure("所选时段内没有重大节点")
    days = review.days
    labels = [f"{d.month}月{d.day}日" for d in days["day"]]
    bars = [trace(go.Bar, x=labels, y=days[lv], name=level_name(lv), marker={"color": LEVEL_COLORS[lv]},
                  hovertemplate="%{x} · " + level_name(lv) + " %{y} 条<extra></extra>") for lv in LEVELS]
    return figure(bars, _compact(top=30, barmode="stack", yaxis=count_axis(float(days[list(LEVELS)].sum(axis=1).max()))))


TABLE_COLUMNS = (("raised_at", "发布时间"), ("level", "等级"), ("rule", "类型"), ("title", "预警内容"), ("status", "状态"),
                 ("unit", "交办单位"))


def table_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows of the warning table (row id = warning id; the detail re-checks it against the scope)."""
    return [{"id": int(r.id), "raised_at": f"{pd.Timestamp(r.raised_at):%Y-%m-%d %H:%M}", "level": level_name(r.level),
             "rule": rule_name(r.rule), "title": r.title, "status": status_name(r.status),
             "unit": r.assigned_unit if isinstance(r.assigned_unit, str) else "—"} for r in frame.itertuples(index=False)]


def _evidence_value(key: str, value: object) -> str:
    if key == "case_nos" and isinstance(value, list):
        return "、".join(str(v) for v in value)
    if key == "baseline" and isinstance(value, list):
        return " / ".join(str(v) for v in value)
    if key == "from_color":
        try:
            return BACKLOG_COLOR_LABELS[BacklogColor(str(value))]
        except ValueError:
            return str(value)
    if key == "origin":
        try:
            return BACKLOG_ORIGIN_LABELS[BacklogOrigin(str(value))]
        except ValueError:
            return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def evidence_rows(evidence: dict) -> list:
    """The numbers that triggered the warning, labelled in Chinese."""
    return [html.Tr([html.Th(EVIDENCE_LABELS.get(k, k)), html.Td(_evidence_value(k, v))]) for k, v in evidence.items()]


def detail(d: WarningDetail) -> list:
    """The detail panel: what, where, when, evidence, workflow history."""
    if d.warning is None:
        return [html.Div("点击左侧清单中的预警，查看研判依据并进行交办、签收、办结。", className="ops-muted")]
    w = d.warning
    kind = KIND_LABELS.get(Kind(w["kind"]), "") if w.get("kind") in {k.value for k in Kind} else ""
    window = f"{pd.Timestamp(w['window_start']):%Y-%m-%d %H:%M} 至 {pd.Timestamp(w['window_end']):%Y-%m-%d %H:%M}"
    history = [html.Li([html.Span(f"{pd.Timestamp(e.at):%Y-%m-%d %H:%M}", className="ops-tl-time"),
                        html.Span(f"{WARNING_ACTION_LABELS.get(WarningAction(e.action), e.action)} · {e.actor}"
                                  + (f"（{level_name(e.level)}）" if e.action == WarningAction.ESCALATE else "")),
                        html.Span(e.note if isinstance(e.note, str) else "", className="ops-muted")],
                       className="ops-tl-item" + (" late" if e.action == WarningAction.ESCALATE else ""))
               for e in d.events.itertuples(index=False)]
    return [
        html.Div([html.Span(level_name(w["level"]), className=f"ops-level {w['level']}"), " ",
                  html.Strong(w["title"])], className="ops-case-head"),
        html.Div(f"{rule_name(w['rule'])} · {kind or w.get('category') or ''} · {status_name(w['status'])}"
                 + (f" · 交办 {w['assigned_unit']}" if w.get("assigned_unit") else ""), className="ops-muted"),
        html.Div(f"研判时段：{window}", className="ops-muted"),
        html.Div(f"签收期限：{pd.Timestamp(w['due_at']):%Y-%m-%d %H:%M}" if w["status"] in ("issued", "assigned") else "",
                 className="ops-muted"),
        html.H4("研判依据", className="ops-sub"),
        html.Table(html.Tbody(evidence_rows(d.evidence)), className="ops-evidence"),
        html.H4("处置经过", className="ops-sub"),
        html.Ol(history, className="ops-tl"),
    ] + ([html.Div(f"办结说明：{w['close_note']}", className="ops-muted")] if w.get("close_note") else [])


def allowed_actions(status: str | None, can_act: bool) -> tuple[bool, bool, bool]:
    """Which buttons are enabled (assign, acknowledge, close) for a warning in `status`."""
    if not can_act or status is None:
        return False, False, False
    return (status in ("issued", "assigned"), status == "assigned", status == "acknowledged")


def message(text: str, ok: bool) -> tuple[str, str]:
    return text, "ops-message " + ("ok" if ok else "error")


def screen_warning_items(frame: pd.DataFrame) -> list:
    """Wall screen: open warnings, most severe and newest first (frame from `latest_open`)."""
    if frame.empty:
        return [html.Li("当前没有在办预警", className="ops-empty")]
    return [html.Li([html.Span(level_name(r.level), className=f"ops-level {r.level}"), html.Span(r.title, title=r.title),
                     html.Span(status_name(r.status), className="sops-status")]) for r in frame.itertuples(index=False)]
