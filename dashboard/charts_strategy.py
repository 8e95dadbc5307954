"""Exportable charts of the strategic pages (indicators, campaigns, plan, opinion), for `dashboard.charts`.

Wiring: `chart_specs()` adds `*charts_strategy.CHARTS`. Every spec calls the page's own query and figure
builder, so a file shows what the screen shows; page parameters (`ind=`, `campaign=`, `domain=`, `grain=`)
come from the export link's query string, which carries the page's URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from flask import has_request_context, request
from sqlalchemy import Engine

from callbacks.campaigns import campaign_from_search
from callbacks.indicators import indicator_from_search
from callbacks.opinion import grain_from_search
from callbacks.plan import domain_from_search, status_date
from dashboard.exports.registry import ChartSpec
from dashboard.urlstate import ViewState
from data.db import as_of_date
from data.models_strategy import MEDIA_SOURCE_LABELS, PLAN_STATUS_LABELS, MediaSource, PlanStatus
from data.queries import campaigns as qc
from data.queries import indicators as qi
from data.queries import opinion as qo
from data.queries import plan as qp
from layouts.figures import campaigns as fc
from layouts.figures import indicators as fi
from layouts.figures import opinion as fo
from layouts.figures import plan as fp
from layouts.figures.common import base_figure, empty_figure


def _search() -> str:
    """The export request's query string (the page's URL parameters), empty outside a request."""
    return "?" + request.query_string.decode("utf-8", "replace")[:2000] if has_request_context() else ""


# --- indicators -----------------------------------------------------------------------------------------


def _latest(engine: Engine, state: ViewState) -> pd.DataFrame:
    frame = qi.latest_values(engine, qi.value_area(engine, state.area), state.period)
    frame["period"] = [fi.period_label(k) for k in frame["period_key"]]
    frame["standing"] = [" ".join(x for x in (fi.rank_text(r, t, g if isinstance(g, str) else None),
                                              t2 if isinstance(t2, str) else "") if x)
                         for r, t, g, t2 in zip(frame["province_rank"], frame["rank_total"], frame["rank_group"],
                                                frame["tier"], strict=True)]
    frame["demo"] = ["演示数据" if d else "公开数据" for d in frame["is_demo"]]
    return frame


def _latest_figure(frame: pd.DataFrame, _state: ViewState) -> go.Figure:
    fig = base_figure()
    fig.add_trace(go.Table(header={"values": ["指标", "期间", "数值", "排名/梯队", "数据性质"]},
                           cells={"values": [frame["name"], frame["period"],
                                             [fi.format_value(v, u) for v, u in zip(frame["value"], frame["unit"],
                                                                                     strict=True)],
                                             frame["standing"], frame["demo"]]}))
    return fig


def _series(engine: Engine, state: ViewState) -> pd.DataFrame:
    code = indicator_from_search(_search(), set(qi.indicator_catalog(engine)["code"]))
    return qi.indicator_series(engine, state.area, code)


def _survey(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qi.survey_vs_cases(engine, state.area, state.period)


# --- campaigns ------------------------------------------------------------------------------------------


def _campaign_code(engine: Engine, state: ViewState) -> str | None:
    return campaign_from_search(_search(), qc.campaign_list(engine, state.area, state.period)["code"].tolist())


def _campaign_targets(engine: Engine, state: ViewState) -> pd.DataFrame:
    code = _campaign_code(engine, state)
    return qc.campaign_targets(engine, state.area, code) if code else pd.DataFrame()


def _campaign_timeline(engine: Engine, state: ViewState) -> pd.DataFrame:
    code = _campaign_code(engine, state)
    frame = qc.campaign_timeline(engine, state.area, code) if code else pd.DataFrame(columns=["month", "phase"])
    frame["phase_label"] = frame["phase"].map(qc.PHASE_LABELS)
    return frame


def _timeline_figure(frame: pd.DataFrame, state: ViewState) -> go.Figure:
    if frame.empty:
        return empty_figure()
    during = frame[frame["phase"] == "during"]["month"]
    start, end = (during.min(), during.max()) if len(during) else (frame["month"].min(), frame["month"].min())
    return fc.timeline_figure(frame, start, end)


def _before_after(engine: Engine, state: ViewState) -> pd.DataFrame:
    code = _campaign_code(engine, state)
    return qc.before_after(engine, state.area, code) if code else pd.DataFrame()


# --- plan -----------------------------------------------------------------------------------------------


def _plan_date(engine: Engine, state: ViewState) -> date:
    return status_date(state, as_of_date(engine) or state.period.end)


def _plan_items(engine: Engine, state: ViewState) -> pd.DataFrame:
    items = qp.plan_items(engine, state.area, _plan_date(engine, state))
    domain = domain_from_search(_search(), set(items["domain_code"]))
    items = items[items["domain_code"] == domain] if domain else items
    return items.assign(status_label=[PLAN_STATUS_LABELS[PlanStatus(s)] for s in items["status"]])


def _plan_items_figure(frame: pd.DataFrame, _state: ViewState) -> go.Figure:
    """The items as a table (the page's timeline needs milestones, which a file of items does not carry)."""
    fig = base_figure()
    fig.add_trace(go.Table(header={"values": ["序号", "事项", "牵头单位", "完成时限", "状态", "进度"]},
                           cells={"values": [frame["no"], frame["title"], frame["owner_unit"],
                                             [str(d) for d in frame["due_date"]], frame["status_label"],
                                             [f"{p:.0f}%" for p in frame["progress"]]]}))
    return fig


def _plan_domains(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qp.plan_by_domain(engine, state.area, _plan_date(engine, state))


# --- opinion --------------------------------------------------------------------------------------------


def _volume(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qo.opinion_over_time(engine, state.area, state.period, state.kinds, grain_from_search(_search()))


def _vs_cases(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qo.opinion_vs_cases(engine, state.area, state.period, state.kinds, grain_from_search(_search()))


def _sources(engine: Engine, state: ViewState) -> pd.DataFrame:
    frame = qo.opinion_by_source(engine, state.area, state.period, state.kinds)
    return frame.assign(source_label=[MEDIA_SOURCE_LABELS.get(MediaSource(s), s) for s in frame["source"]])


def _negative(engine: Engine, state: ViewState) -> pd.DataFrame:
    frame = qo.negative_items(engine, state.area, state.period, state.kinds, limit=200)
    return frame.assign(source_label=[MEDIA_SOURCE_LABELS.get(MediaSource(s), s) for s in frame["source"]])


def _negative_figure(frame: pd.DataFrame, _state: ViewState) -> go.Figure:
    fig = base_figure()
    fig.add_trace(go.Table(header={"values": ["发布时间", "来源", "区域", "标题", "传播量"]},
                           cells={"values": [[f"{t:%Y-%m-%d %H:%M}" for t in frame["published_at"]],
                                             frame["source_label"], frame["area_name"].fillna("未标注"),
                                             frame["title"], frame["reach"]]}))
    return fig


def _q(fn: Callable[..., pd.DataFrame]) -> Callable[[Engine, ViewState], pd.DataFrame]:
    """A DataFn from a query taking (engine, area, period, kinds)."""
    return lambda engine, state: fn(engine, state.area, state.period, state.kinds)


LATEST_COLUMNS = {"name": "指标", "period": "期间", "value": "数值", "unit": "单位", "target": "目标值",
                  "standing": "排名/梯队", "demo": "数据性质", "source": "来源", "entered_by": "录入人",
                  "entered_at": "录入时间"}
SERIES_COLUMNS = {"name": "指标", "period_key": "期间", "value": "数值", "unit": "单位", "target": "目标值",
                  "province_rank": "全省排名", "rank_total": "排名总数", "rank_group": "排名范围", "tier": "梯队",
                  "is_demo": "演示数据", "note": "备注"}

CHARTS: list[ChartSpec] = [
    ChartSpec("indicators-latest", "指标一览", "indicators", _latest, _latest_figure, LATEST_COLUMNS),
    ChartSpec("indicators-series", "指标走势", "indicators", _series, lambda f, s: fi.series_figure(f), SERIES_COLUMNS),
    ChartSpec("indicators-ranks", "全省排名", "indicators", lambda e, s: qi.rank_series(e, s.area),
              lambda f, s: fi.rank_figure(f),
              {"name": "指标", "period_key": "期间", "province_rank": "全省排名", "rank_total": "排名总数",
               "rank_group": "排名范围", "rank_is_demo": "演示数据", "rank_note": "排名说明"}),
    ChartSpec("indicators-survey", "调查结果与案件数据对照", "indicators", _survey, lambda f, s: fi.survey_figure(f),
              {"name": "指标", "period_key": "期间", "surveyed": "调查结果(%)", "is_demo": "演示数据",
               "case_rate": "案件数据测算(%)", "case_success": "成功件数", "case_closed": "办结件数"}),
    ChartSpec("campaigns-list", "专项行动一览", "campaigns", lambda e, s: qc.campaign_list(e, s.area, s.period), None,
              {"name": "行动", "start_date": "开始", "end_date": "结束", "lead_unit": "牵头单位", "areas": "范围",
               "categories": "关联类别", "found": "排查发现", "closed": "办结", "resolved": "化解办结",
               "rate": "化解率(%)", "is_demo": "演示数据"}),
    ChartSpec("campaigns-targets", "目标完成情况", "campaigns", _campaign_targets,
              lambda f, s: fc.targets_figure(f),
              {"label": "目标", "unit": "单位", "target": "目标值", "actual": "实际", "progress": "完成度(%)",
               "met": "是否达成"}),
    ChartSpec("campaigns-timeline", "行动前后逐月案件", "campaigns", _campaign_timeline, _timeline_figure,
              {"month": "月份", "phase_label": "时段", "found": "排查发现", "resolved": "化解办结"}),
    ChartSpec("campaigns-before-after", "行动前、中、后对比", "campaigns", _before_after,
              lambda f, s: fc.before_after_figure(f),
              {"label": "时段", "start": "开始", "end": "结束", "days": "天数", "found": "排查发现",
               "found_per_30": "每30天发现", "closed": "办结", "resolved": "化解办结", "rate": "化解率(%)"}),
    ChartSpec("plan-domains", "分领域推进情况", "plan", _plan_domains, lambda f, s: fp.domains_figure(f),
              {"domain": "领域", "done": "已完成", "on_track": "按期推进", "late": "滞后", "total": "事项数",
               "progress": "节点完成率(%)"}),
    ChartSpec("plan-items", "计划事项", "plan", _plan_items, _plan_items_figure,
              {"no": "序号", "title": "事项", "domain": "领域", "owner_unit": "牵头单位", "due_date": "完成时限",
               "status_label": "状态", "progress": "进度(%)", "late_milestone": "逾期节点", "late_due": "逾期节点时限",
               "next_milestone": "下一节点", "next_due": "下一节点时限", "note": "最新进展"}),
    ChartSpec("opinion-volume", "舆情量与负面占比", "opinion", _volume,
              lambda f, s: fo.volume_figure(f, grain_from_search(_search())),
              {"bucket": "起始日", "volume": "总量", "negative": "负面", "neutral": "中性", "positive": "正面",
               "negative_share": "负面占比(%)"}),
    ChartSpec("opinion-vs-cases", "舆情与案件受理对照", "opinion", _vs_cases,
              lambda f, s: fo.vs_cases_figure(f, grain_from_search(_search())),
              {"bucket": "起始日", "volume": "舆情总量", "negative": "负面舆情", "intake": "案件受理"}),
    ChartSpec("opinion-topics", "热点话题", "opinion", _q(qo.hot_topics), lambda f, s: fo.topics_figure(f),
              {"label": "话题", "keywords": "关键词", "volume": "条数", "negative": "负面", "negative_share": "负面占比(%)",
               "previous": "上一时段", "growth": "环比(%)", "reach": "传播量"}),
    ChartSpec("opinion-areas", "舆情区域分布", "opinion", _q(qo.opinion_by_area), lambda f, s: fo.areas_figure(f),
              {"code": "区域编码", "name": "区域", "volume": "条数", "negative": "负面", "negative_share": "负面占比(%)"}),
    ChartSpec("opinion-sources", "舆情来源分布", "opinion", _sources, lambda f, s: fo.sources_figure(f),
              {"source_label": "来源", "volume": "条数", "negative": "负面", "neutral": "中性", "positive": "正面",
               "negative_share": "负面占比(%)"}),
    ChartSpec("opinion-negative", "传播最广的负面信息", "opinion", _negative, _negative_figure,
              {"published_at": "发布时间", "source_label": "来源", "area_name": "区域", "title": "标题",
               "reach": "传播量"}),
    ChartSpec("opinion-accounts", "政法新媒体发文", "opinion", lambda e, s: qo.account_output(e, s.area, s.period),
              lambda f, s: fo.accounts_figure(f), {"unit": "账号", "platform": "平台", "articles": "发文篇数"}),
]
