"""Figure builders of the strategic pages, checked by content: trace types, values, labels, customdata."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.theme import BAD, GOOD, WARN, register_templates
from data.queries.base import Grain
from layouts.figures import campaigns as fc
from layouts.figures import indicators as fi
from layouts.figures import opinion as fo
from layouts.figures import plan as fp


@pytest.fixture(autouse=True, scope="module")
def _templates() -> None:
    register_templates()


def _series() -> pd.DataFrame:
    return pd.DataFrame({
        "period_key": ["2021", "2022", "2023"], "period_type": "year",
        "period_start": [date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)],
        "period_end": [date(2021, 12, 31), date(2022, 12, 31), date(2023, 12, 31)],
        "value": [9.38, 7.0, 6.58], "target": [7.0, 7.0, 7.0], "province_rank": [None, None, None],
        "rank_total": [None] * 3, "rank_group": [None] * 3, "tier": [None, None, None],
        "is_demo": [False, False, True], "rank_is_demo": [True] * 3, "note": ["公开", "公开", None],
        "name": "刑事案件发案率", "unit": "件/万人", "direction": "lower_better"})


def test_series_figure_draws_values_target_and_marks_demo_points() -> None:
    fig = fi.series_figure(_series())
    line, target = fig.data
    assert isinstance(line, go.Scatter) and list(line.x) == ["2021年", "2022年", "2023年"]
    assert list(line.y) == [9.38, 7.0, 6.58]
    assert list(line.text) == ["9.38 件/万人", "7.00 件/万人", "6.58 件/万人"]
    assert [c[0] for c in line.customdata] == ["公开数据", "公开数据", "演示数据"]
    assert line.marker.color[2] == "rgba(0,0,0,0)" and line.marker.color[0] != "rgba(0,0,0,0)"  # demo hollow
    assert target.name == "目标值" and list(target.y) == [7.0, 7.0, 7.0] and target.line.dash == "dash"
    assert "越低越好" in fig.layout.yaxis.title.text


def test_rank_figure_puts_rank_one_on_top_and_says_which_ranks_are_published() -> None:
    ranks = pd.DataFrame({"code": "crime_total", "name": "刑事案件发案总量", "rank_note": "名次越靠后发案越少",
                          "period_key": ["2021", "2022", "2023"], "period_start": None, "province_rank": [8, 13, 13],
                          "rank_total": [13, 13, 13], "rank_group": "全省", "rank_is_demo": [False, False, True]})
    fig = fi.rank_figure(ranks)
    (trace,) = fig.data
    assert list(trace.y) == [8, 13, 13] and list(trace.text) == ["第8位", "第13位", "第13位"]
    assert [c[1] for c in trace.customdata] == ["公开数据", "公开数据", "演示数据"]
    assert trace.customdata[0][0] == "第8位/13（全省）"
    low, high = fig.layout.yaxis.range
    assert low > high  # reversed: rank 1 at the top
    assert [str(x) for x in trace.x] == ["2021-07-02", "2022-07-02", "2023-07-02"]  # mid-year on a time axis


def test_survey_figure_pairs_the_survey_with_the_case_rate() -> None:
    frame = pd.DataFrame({"code": "mediation_rate", "name": "矛盾纠纷调解率", "case_metric": "mediation_success",
                          "period_key": ["2023H1"], "period_start": [date(2023, 1, 1)], "period_end": [date(2023, 6, 30)],
                          "surveyed": [96.2], "is_demo": [True], "tier": ["全省第一方阵"], "case_rate": [90.41],
                          "case_success": [6760], "case_closed": [7477]})
    fig = fi.survey_figure(frame)
    surveyed, cases = fig.data
    assert (surveyed.name, cases.name) == ("调查结果", "案件数据测算")
    assert list(surveyed.x) == ["矛盾纠纷调解率<br>2023年上半年"] and list(surveyed.y) == [96.2]
    assert surveyed.marker.pattern.shape[0] == "/"  # demo value hatched
    assert list(cases.y) == [90.41] and list(cases.customdata[0]) == ["案件调解成功率", "6,760", "7,477"]


def test_targets_figure_caps_progress_and_colours_by_achievement() -> None:
    targets = pd.DataFrame([
        {"label": "排查发现", "metric": "found", "unit": "件", "target": 100.0, "actual": 400.0, "progress": 200.0,
         "met": True, "shown": True, "comparable": True},
        {"label": "化解率", "metric": "resolution_rate", "unit": "%", "target": 90.0, "actual": 80.0,
         "progress": 88.9, "met": False, "shown": True, "comparable": True},
        {"label": "工作量", "metric": "manual", "unit": "场", "target": 10.0, "actual": float("nan"),
         "progress": float("nan"), "met": False, "shown": False, "comparable": False},
    ])
    (bar,) = fc.targets_figure(targets).data
    assert list(bar.x) == [fc.PROGRESS_CAP, 88.9, 0.0]
    assert list(bar.marker.color) == [GOOD, WARN, fc.MUTED]
    assert bar.text[0] == "400 件 / 目标 100 件 · 已达成" and "全域工作量" in bar.text[2]
    assert [c[0] for c in bar.customdata] == ["排查发现", "化解率", "工作量"]


def test_campaign_timeline_and_comparison() -> None:
    timeline = pd.DataFrame({"month": [date(2023, 1, 1), date(2023, 2, 1), date(2023, 3, 1)],
                             "phase": ["before", "during", "after"], "found": [5, 9, 4], "resolved": [4, 8, 3]})
    fig = fc.timeline_figure(timeline, date(2023, 2, 1), date(2023, 2, 28))
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert [b.name for b in bars] == ["排查发现（行动前）", "排查发现（行动期间）", "排查发现（行动后）"]
    assert [list(b.y) for b in bars] == [[5], [9], [4]]
    assert fig.data[-1].name == "化解办结" and list(fig.data[-1].y) == [4, 8, 3]
    assert fig.layout.shapes[0].x0 == date(2023, 2, 1)  # the campaign window shaded
    phases = pd.DataFrame({"phase": ["before", "during"], "label": ["行动前", "行动期间"],
                           "start": [date(2023, 1, 1), date(2023, 2, 1)], "end": [date(2023, 1, 31), date(2023, 3, 2)],
                           "days": [31, 30], "found": [31, 60], "closed": [30, 50], "resolved": [27, 49],
                           "found_per_30": [30.0, 60.0], "rate": [90.0, 98.0]})
    both = fc.before_after_figure(phases)
    per30, rate = both.data
    assert list(per30.y) == [30.0, 60.0] and list(rate.text) == ["90.0%", "98.0%"]
    # Two panels side by side, each under its own title: the rate on the right axes, in percent.
    assert (per30.xaxis or "x", rate.xaxis, rate.yaxis) == ("x", "x2", "y2")
    assert both.layout.xaxis.domain[1] < both.layout.xaxis2.domain[0]
    assert both.layout.yaxis2.ticksuffix == "%" and both.layout.yaxis2.range[1] == 104
    titles = sorted((a.x, a.text) for a in both.layout.annotations)
    assert [t for _, t in titles] == ["每30天排查发现（件）", "化解率"]


def test_plan_domains_and_timeline() -> None:
    by_domain = pd.DataFrame({"domain_code": ["risk", "security"], "domain": ["防范化解重大风险", "立体化社会治安防控"],
                              "done": [1, 0], "on_track": [5, 7], "late": [2, 1], "total": [8, 8], "progress": [50.0, 40.0]})
    fig = fp.domains_figure(by_domain)
    assert [t.name for t in fig.data] == ["已完成", "按期推进", "滞后"]
    assert list(fig.data[2].x) == [2, 1] and fig.data[2].marker.color == BAD
    assert fig.data[0].customdata[1][0] == "security"  # what a click on the bar sends
    items = pd.DataFrame({"no": [1, 2], "title": ["甲", "乙"], "status": ["late", "on_track"], "owner_unit": ["市委政法委", "市公安局"],
                          "progress": [20.0, 50.0], "start_date": [date(2023, 1, 1)] * 2,
                          "due_date": [date(2024, 6, 30), date(2025, 6, 30)]})
    milestones = pd.DataFrame({"item_id": [1, 1, 2], "no": [1, 1, 2], "seq": [1, 2, 1], "title": ["方案", "试点", "方案"],
                               "due_date": [date(2023, 3, 1), date(2023, 10, 1), date(2023, 5, 1)],
                               "done_at": [date(2023, 2, 1), None, date(2023, 4, 1)], "state": ["done", "late", "done"]})
    tl = fp.timeline_figure(items, milestones, date(2023, 12, 31))
    late_bar = next(t for t in tl.data if t.name == "滞后")
    assert list(late_bar.y) == ["1. 甲"]
    missed = next(t for t in tl.data if t.name == "逾期未完成节点")
    assert missed.marker.symbol == "x" and list(missed.y) == ["1. 甲"] and missed.customdata[0][0] == "试点"


def test_opinion_volume_and_case_alignment_figures() -> None:
    frame = pd.DataFrame({"bucket": [date(2023, 7, 1), date(2023, 8, 1)], "volume": [10, 30], "negative": [2, 20],
                          "neutral": [5, 5], "positive": [3, 5], "negative_share": [20.0, 66.7]})
    fig = fo.volume_figure(frame, Grain.MONTH)
    assert [t.name for t in fig.data] == ["负面", "中性", "正面", "负面占比"]
    assert list(fig.data[0].y) == [2, 20] and fig.data[3].yaxis == "y2"
    vs = fo.vs_cases_figure(frame.assign(intake=[100, 90])[["bucket", "volume", "negative", "intake"]], Grain.MONTH)
    media, negative, intake = vs.data
    assert list(media.x) == list(intake.x)  # one time axis for both
    assert (media.yaxis, intake.yaxis) == ("y", "y2") and list(intake.y) == [100, 90]


def test_topics_and_accounts_figures() -> None:
    topics = pd.DataFrame({"topic": ["land"], "label": ["征地拆迁"], "keywords": ["征地、拆迁"], "kind": ["petition"],
                           "volume": [40], "negative": [30], "reach": [1000], "previous": [10],
                           "negative_share": [75.0], "growth": [300.0]})
    (bar,) = fo.topics_figure(topics).data
    assert list(bar.y) == ["征地拆迁"] and bar.text[0] == "40 条 · 负面75.0% · 环比+300%"
    assert bar.customdata[0][0] == "征地、拆迁"
    accounts = pd.DataFrame({"unit": ["宿迁公安", "宿迁公安", "宿迁政法"], "platform": ["weibo", "wechat", "weibo"],
                             "articles": [90, 50, 60]})
    fig = fo.accounts_figure(accounts)
    assert [t.name for t in fig.data] == ["微信", "微博", "短视频"]
    assert list(fig.data[1].x) == [90, 60] and list(fig.data[0].x) == [50, 0]


@pytest.mark.parametrize("builder", [fi.series_figure, fi.rank_figure, fi.survey_figure, fc.targets_figure,
                                     fp.domains_figure, fo.topics_figure, fo.areas_figure, fo.sources_figure,
                                     fo.accounts_figure])
def test_empty_frames_say_so(builder) -> None:
    fig = builder(pd.DataFrame())
    assert fig.layout.annotations and fig.layout.annotations[0].text
