"""Exportable charts of the governance-operation pages (/backlog, /grids, /safety, /alerts), for `dashboard.charts`.

Wiring: `chart_specs()` adds `*charts_ops.CHARTS`. Every spec calls the page's own query and figure builder, so
a file shows what the screen shows. The key-person list (personal data) has no spec on purpose: it is never
exported.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine

from dashboard.exports.registry import ChartSpec
from dashboard.urlstate import ViewState
from data import alert_rules
from data.alert_rules import OpsSettings
from data.models_ops import KEY_GROUP_LABELS, KeyGroup
from data.queries import alerts as qa
from data.queries import backlog as qb
from data.queries import grids as qg
from data.queries import safety as qs
from data.queries import supervision as qsup
from data.queries.base import child_level
from data.vocab import LEVEL_LABELS, Level
from layouts.figures import alerts as fa
from layouts.figures import backlog as fb
from layouts.figures import grids as fg
from layouts.figures import safety as fs
from layouts.figures.common import base_figure


def _child(state: ViewState) -> str:
    return LEVEL_LABELS[child_level(state.area.level) or Level.GRID]


def _table_figure(frame: pd.DataFrame, columns: dict[str, str]) -> go.Figure:
    """A table figure of the listed columns (for list exports as images)."""
    fig = base_figure()
    fig.add_trace(go.Table(header={"values": list(columns.values())},
                           cells={"values": [frame[c].astype(str).tolist() for c in columns]}))
    return fig


# --- backlog and supervision ---


def _origin(engine: Engine, state: ViewState) -> pd.DataFrame:
    frame = qb.backlog_by_origin(engine, state.area, state.period)
    return frame.assign(origin_label=frame["origin"].map(fb.origin_name), color_label=frame["color"].map(fb.color_name))


def _assessment(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qb.backlog_assessment(engine, state.area, state.period, OpsSettings.load().backlog_weights)


SUP_COLUMNS = {"case_no": "案件编号", "category": "类别", "place": "县区", "coordinator": "市主要领导统筹",
               "supervisor": "市分管领导督办", "handler": "县区党政一把手主办", "task_force": "专班", "state": "状态",
               "overdue": "逾期节点", "next_title": "下一节点", "next_due": "节点期限"}


def _supervision(engine: Engine, state: ViewState) -> pd.DataFrame:
    frame = qsup.supervision_list(engine, state.area, state.period)
    frame["state"] = ["已化解" if r else ("已办结" if c else "办理中") for r, c in zip(frame["resolved"], frame["closed"],
                                                                                  strict=True)]
    return frame


# --- grids ---


def _groups(engine: Engine, state: ViewState) -> pd.DataFrame:
    frame = qg.coverage_by_group(engine, state.area, state.period, OpsSettings.load())
    return frame.assign(group_label=[KEY_GROUP_LABELS[KeyGroup(g)] for g in frame["group"]])


def _grid_children(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qg.grids_by_child(engine, state.area, state.period, OpsSettings.load())


# --- safety ---


def _safety_children(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qs.safety_by_child(engine, state.area, state.period, OpsSettings.load(), qs.SafetyConfig.load())


def _safety_trend(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qs.safety_trend(engine, state.area, state.period, OpsSettings.load(), qs.SafetyConfig.load())


def _safety_breakdown(engine: Engine, state: ViewState) -> pd.DataFrame:
    return qs.safety_breakdown(engine, state.area, state.period, OpsSettings.load(), qs.SafetyConfig.load())


# --- alerts ---


def _alerts_list(engine: Engine, state: ViewState) -> pd.DataFrame:
    frame = qa.warnings_list(engine, state.area, state.period, alert_rules.revision(engine))
    return frame.assign(level_label=frame["level"].map(fa.level_name), rule_label=frame["rule"].map(fa.rule_name),
                        status_label=frame["status"].map(fa.status_name))


ALERT_COLUMNS = {"raised_at": "发布时间", "level_label": "等级", "rule_label": "类型", "title": "预警内容",
                 "status_label": "状态", "assigned_unit": "交办单位", "due_at": "签收期限"}

CHARTS: list[ChartSpec] = [
    ChartSpec("backlog-origin", "积案来源与难度", "backlog", _origin, lambda f, s: fb.origin_figure(f),
              {"origin_label": "来源", "color_label": "难度颜色", "on_board": "时段末在办", "resolved": "期内化解"}),
    ChartSpec("backlog-areas", "下级区域积案", "backlog", lambda e, s: qb.backlog_by_child(e, s.area, s.period),
              lambda f, s: fb.area_figure(f, _child(s)),
              {"code": "区域编码", "name": "区域", "red": "红色在办", "yellow": "黄色在办", "green": "绿色在办",
               "on_board": "在办合计", "resolved": "期内化解"}),
    ChartSpec("backlog-assessment", "积案差异化考核", "backlog", _assessment, lambda f, s: fb.assessment_figure(f),
              {"code": "区域编码", "name": "区域", "weighted_rate": "加权化解率(%)", "rate_red": "红色化解率(%)",
               "rate_yellow": "黄色化解率(%)", "rate_green": "绿色化解率(%)", "cases": "积案数"}),
    ChartSpec("backlog-resolved", "积案化解（按月）", "backlog", lambda e, s: qb.resolved_by_month(e, s.area, s.period),
              lambda f, s: fb.resolved_figure(f),
              {"month": "月份", "red": "红色", "yellow": "黄色", "green": "绿色", "total": "合计"}),
    ChartSpec("backlog-colors", "积案颜色变化", "backlog", lambda e, s: qb.color_trend(e, s.area, s.period),
              lambda f, s: fb.trend_figure(f), {"at": "统计时点", "red": "红色", "yellow": "黄色", "green": "绿色"}),
    ChartSpec("backlog-supervision", "挂牌督办清单", "backlog", _supervision,
              lambda f, s: _table_figure(f, SUP_COLUMNS), SUP_COLUMNS),
    ChartSpec("grids-coverage", "重点人员走访覆盖率（按区域）", "grids", _grid_children,
              lambda f, s: fg.coverage_figure(f, _child(s)),
              {"code": "区域编码", "name": "区域", "due": "应走访", "on_time": "按期走访", "overdue": "逾期未走访",
               "coverage": "覆盖率(%)"}),
    ChartSpec("grids-groups", "重点人群走访", "grids", _groups, lambda f, s: fg.groups_figure(f),
              {"group_label": "人群", "due": "在管人数", "on_time": "按期走访", "overdue": "逾期未走访",
               "coverage": "覆盖率(%)", "days": "走访周期(天)"}),
    ChartSpec("grids-visits", "走访次数（按月）", "grids", lambda e, s: qg.visits_by_month(e, s.area, s.period),
              lambda f, s: fg.visits_figure(f),
              {"month": "月份", "routine": "走访", "building_sweep": "扫楼行动", "door_knock": "敲门行动", "total": "合计"}),
    ChartSpec("grids-structure", "网格力量与工作（按区域）", "grids", _grid_children, None,
              {"code": "区域编码", "name": "区域", "grids": "网格", "demo_grids": "示范网格", "liaisons": "微网格联络员",
               "grid_staff": "网格员", "population": "常住人口", "residents_per_liaison": "每名联络员服务居民",
               "due": "在管重点人员", "coverage": "走访覆盖率(%)", "silent": "沉默网格"}),
    ChartSpec("safety-ranking", "平安指数排名", "safety", _safety_children, lambda f, s: fs.ranking_figure(f),
              {"code": "区域编码", "name": "区域", "index": "平安指数", **qs.INDICATOR_LABELS}),
    ChartSpec("safety-trend", "平安指数走势", "safety", _safety_trend, lambda f, s: fs.trend_figure(f),
              {"month": "月份", "index": "平安指数"}),
    ChartSpec("safety-breakdown", "平安指数指标贡献", "safety", _safety_breakdown, lambda f, s: fs.breakdown_figure(f),
              {"label": "指标", "value": "本期值", "unit": "单位", "weight": "权重", "score": "得分", "points": "贡献",
               "prev_value": "上期值", "prev_points": "上期贡献", "change": "贡献变化"}),
    ChartSpec("alerts-by-week", "预警发布趋势（按周）", "alerts",
              lambda e, s: qa.warnings_by_week(e, s.area, s.period, alert_rules.revision(e)),
              lambda f, s: fa.week_figure(f), {"week": "周起始日", "general": "一般", "major": "较大", "critical": "重大"}),
    ChartSpec("alerts-by-rule", "预警类型", "alerts",
              lambda e, s: qa.warnings_by_rule(e, s.area, s.period, alert_rules.revision(e))
              .assign(rule_label=lambda f: f["rule"].map(fa.rule_name)),
              lambda f, s: fa.rule_figure(f), {"rule_label": "类型", "raised": "期内发布", "open": "尚未办结"}),
    ChartSpec("alerts-list", "预警清单", "alerts", _alerts_list, lambda f, s: _table_figure(f, ALERT_COLUMNS),
              ALERT_COLUMNS),
]
