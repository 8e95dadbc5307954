"""Figure builders of the governance-operation pages: trace types, values, labels, colors and click targets."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.theme import BACKLOG_COLORS, SMALL_SAMPLE, register_templates
from data.models_ops import VisitMode
from data.queries.alerts import KeyDateReview, WarningDetail
from data.queries.map import Bounds
from data.vocab import BacklogColor
from layouts.figures import alerts as fa
from layouts.figures import backlog as fb
from layouts.figures import grids as fg
from layouts.figures import safety as fs


@pytest.fixture(autouse=True, scope="module")
def templates() -> None:
    register_templates()


def texts(component) -> str:
    """All text inside a Dash component tree."""
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      ensure_ascii=False, default=lambda o: o.to_plotly_json())


def is_empty(fig: go.Figure) -> bool:
    return not fig.data and bool(fig.layout.annotations)


# --- backlog ---


def test_origin_figure_stacks_colors_per_origin() -> None:
    frame = pd.DataFrame([(o, c, i, 10 * i) for i, (o, c) in enumerate(
        [(o, c) for o in ("national", "provincial", "city_found") for c in ("red", "yellow", "green")])],
        columns=["origin", "color", "on_board", "resolved"])
    fig = fb.origin_figure(frame)
    assert len(fig.data) == 6 and fig.layout.barmode == "stack"
    red = [t for t in fig.data if t.name == "红色"]
    assert list(red[0].x) == ["国治件", "省交办件", "市排查件"] and list(red[0].y) == [0, 3, 6]
    assert list(red[1].y) == [0, 30, 60] and red[0].marker.color == BACKLOG_COLORS[BacklogColor.RED]
    assert is_empty(fb.origin_figure(frame.assign(on_board=0, resolved=0)))


def test_area_figure_carries_codes_for_drilling() -> None:
    frame = pd.DataFrame({"code": ["321322000000", "321302000000"], "name": ["沭阳县", "宿城区"], "red": [3, 0],
                          "yellow": [1, 2], "green": [0, 1], "on_board": [4, 3], "resolved": [40, 12]})
    fig = fb.area_figure(frame, "县区")
    assert all(list(t.customdata) == ["321302000000", "321322000000"] for t in fig.data)  # least on the bottom
    resolved = fig.data[-1]
    assert list(resolved.x) == [12, 40] and list(resolved.text) == ["12", "40"]
    assert "县区" in fig.layout.xaxis.title.text


def test_assessment_figure_ranks_and_greys_small_samples() -> None:
    frame = pd.DataFrame({"code": ["a", "b"], "name": ["甲镇", "乙镇"], "weighted_rate": [90.0, 60.0], "cases": [50, 5],
                          **{f"rate_{c}": [80.0, float("nan")] for c in ("red", "yellow", "green")}})
    fig = fb.assessment_figure(frame)
    bar = fig.data[0]
    assert list(bar.y) == ["乙镇 · 样本少", "甲镇"] and list(bar.x) == [60.0, 90.0]
    assert bar.marker.color[0] == SMALL_SAMPLE and bar.customdata[0][0] == "—"
    assert bar.text[1] == "90.0%"


def test_resolved_figure_notes_each_year() -> None:
    months = [date(2022, m, 1) for m in range(1, 13)]
    frame = pd.DataFrame({"month": months, "red": [50] * 12, "yellow": [60] * 12, "green": [67] * 12})
    frame["total"] = frame[["red", "yellow", "green"]].sum(axis=1)
    fig = fb.resolved_figure(frame)
    assert fb.year_totals(frame) == {2022: 2_124}
    assert "2022年化解 2,124 件" in fig.layout.annotations[0].text
    assert [t.name for t in fig.data] == ["红色", "黄色", "绿色"]


def test_trend_figure_stacks_the_board() -> None:
    frame = pd.DataFrame({"at": [datetime(2023, 2, 1), datetime(2023, 3, 1)], "red": [5, 3], "yellow": [2, 4],
                          "green": [0, 1]})
    fig = fb.trend_figure(frame)
    assert {t.stackgroup for t in fig.data} == {"board"} and [t.name for t in fig.data] == ["绿色", "黄色", "红色"]
    assert list(fig.data[2].y) == [5, 3] and pd.Timestamp(fig.data[0].x[0]) == pd.Timestamp("2023-01-01")


def test_wall_screen_backlog_figures_keep_the_screen_layout() -> None:
    """The wall screen's pair, built in one constructor each: the page figure's stacked areas with the screen's
    type, margins and short month ticks; the per-child bars stacked with their totals beside them."""
    frame = pd.DataFrame({"at": [datetime(2023, 2, 1), datetime(2023, 3, 1)], "red": [5, 3], "yellow": [2, 4],
                          "green": [0, 1]})
    fig = fb.screen_trend_figure(frame)
    page = fb.trend_figure(frame)
    assert json.loads(fig.to_json())["data"] == json.loads(page.to_json())["data"]
    assert fig.layout.font.size == fb.SCREEN_FONT and fig.layout.margin.b == 60 and fig.layout.margin.l == 64
    assert fig.layout.xaxis.tickformat == "%-m月末" and fig.layout.xaxis.dtick == "M2"
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)" and not fig.layout.yaxis.title.text
    assert is_empty(fb.screen_trend_figure(frame.assign(red=0, yellow=0, green=0)))
    children = pd.DataFrame({"code": ["a", "b"], "name": ["甲镇", "乙镇"], "red": [1, 4], "yellow": [2, 0],
                             "green": [0, 3], "on_board": [3, 7]})
    board = fb.screen_board_figure(children)
    assert board.layout.barmode == "stack" and [t.type for t in board.data] == ["bar"] * 3 + ["scatter"]
    assert list(board.data[-1].text) == ["7", "3"] and board.layout.xaxis.range == (0, 7 * 1.2)
    assert board.layout.font.size == fb.SCREEN_FONT and board.layout.margin.l == 96


def test_case_rows_and_detail_panel() -> None:
    frame = pd.DataFrame([{"id": 7, "case_no": "SQ1", "category": "征地拆迁", "origin": "national", "color": "red",
                           "state": "on_board", "reported_at": datetime(2023, 1, 2, 8, 30), "closed_at": None,
                           "leader": "沭阳县委书记 张三", "place": "某镇", "listed": True}])
    assert fb.case_rows(frame) == [{"id": 7, "case_no": "SQ1", "color": "红色", "origin": "国治件", "category": "征地拆迁",
                                    "place": "某镇", "leader": "沭阳县委书记 张三", "state": "在办",
                                    "reported_at": "2023-01-02 08:30"}]
    history = fb.CaseHistory(
        pd.DataFrame([{"id": 7, "case_no": "SQ1", "category": "征地拆迁", "origin": "national", "color": "yellow",
                       "status": "open", "reported_at": None, "closed_at": None, "unit": "某局", "leader_name": "张三",
                       "leader_post": "沭阳县委书记", "listed_at": None, "place": "某镇"}]),
        pd.DataFrame({"at": [datetime(2023, 1, 5), datetime(2023, 5, 1)], "from_color": [None, "red"],
                      "to_color": ["red", "yellow"]}),
        pd.DataFrame(columns=["at", "step", "level"]))
    empty = fb.SupervisionDetail(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    text = texts(fb.case_detail(history, empty, datetime(2024, 1, 1)))
    assert "列入积案（红色）" in text and "红色 → 黄色" in text and "沭阳县委书记 张三" in text
    assert "点击左侧清单" in texts(fb.case_detail(fb.CaseHistory(pd.DataFrame(), pd.DataFrame(), pd.DataFrame()),
                                                 empty, datetime(2024, 1, 1)))


# --- grids ---


def test_coverage_figure_colors_and_targets() -> None:
    frame = pd.DataFrame({"code": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "due": [100, 100, 10],
                          "on_time": [99, 80, 10], "coverage": [99.0, 80.0, 100.0]})
    fig = fg.coverage_figure(frame, "乡镇街道")
    bar = fig.data[0]
    assert list(bar.customdata) == ["c", "a", "b"]  # lowest coverage on top (last drawn)
    assert list(bar.marker.color) == [SMALL_SAMPLE, fg.GOOD, fg.BAD]
    assert bar.text[2] == "80.0%（80/100）" and list(bar.y)[0] == "丙 · 样本少"
    assert is_empty(fg.coverage_figure(frame.assign(due=0), "乡镇街道"))


def test_groups_figure_and_people_rows() -> None:
    frame = pd.DataFrame({"group": ["released", "correction", "drug_rehab", "group_rental"], "due": [10, 5, 0, 4],
                          "on_time": [9, 5, 0, 2], "overdue": [1, 0, 0, 2], "coverage": [90.0, 100.0, math.nan, 50.0],
                          "days": [30, 15, 30, 60]})
    fig = fg.groups_figure(frame)
    assert list(fig.data[0].x) == ["刑满释放人员", "社区矫正对象", "吸毒解戒人员", "群租房住户"]
    assert list(fig.data[1].y) == [1, 0, 0, 2] and fig.data[1].text[3] == "50.0% · 每60天"
    people = pd.DataFrame([{"id": 1, "name": "王五", "group": "released", "grid": "第1网格", "village": "某村",
                            "since": None, "last_visit": pd.NaT, "overdue": True, "days_since": None}])
    assert fg.people_rows(people)[0]["last_visit"] == "从未走访" and fg.people_rows(people)[0]["state"] == "逾期未走访"
    assert "仅对本辖区负责人和管理员开放" in fg.people_note(False)


# --- safety ---


def test_index_scores_to_map_and_ranking() -> None:
    frame = pd.DataFrame({"code": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "index": [82.0, 70.5, math.nan],
                          "intake": [100, 10, 0]})
    fig = fs.map_figure(frame, "/geo/321322.geojson", Bounds(118.0, 33.5, 119.0, 34.5), "321322000000")
    trace = fig.data[0]
    assert isinstance(trace, go.Choroplethmap) and list(trace.locations) == ["a", "b"] and list(trace.z) == [82.0, 70.5]
    assert trace.geojson == "/geo/321322.geojson" and (trace.zmin, trace.zmax) == fs.index_range(frame)
    assert fig.layout.map.style["sources"]["none"]["data"]["features"] == []  # no tile server
    ranking = fs.ranking_figure(frame)
    bar = ranking.data[0]
    assert list(bar.y) == ["乙 · 样本少", "甲"] and list(bar.customdata) == ["b", "a"]
    assert bar.marker.color[0] == SMALL_SAMPLE
    assert bar.marker.color[1] == fs.index_color(82.0, fs.index_range(frame))


def test_breakdown_and_changes() -> None:
    frame = pd.DataFrame({"key": ["a", "b", "c"], "label": ["甲", "乙", "丙"], "unit": ["%", "%", "%"],
                          "weight": [2.0, 1.0, 1.0], "value": [1.0, 2.0, math.nan], "score": [50.0, 100.0, math.nan],
                          "points": [100 / 3, 100 / 3, 0.0], "prev_value": [1.0, 1.0, math.nan],
                          "prev_points": [30.0, 20.0, 0.0]})
    frame["change"] = frame["points"] - frame["prev_points"]
    frame.attrs.update(index=200 / 3, prev_index=50.0)
    fig = fs.breakdown_figure(frame)
    full, got = fig.data
    assert list(full.x) == [0.0, pytest.approx(100 / 3), pytest.approx(200 / 3)]  # drawn bottom-up
    assert "66.7" in fig.layout.title.text and got.text[0] == "无数据"
    changes = fs.changes_figure(frame)
    assert list(changes.data[0].y)[-1] == "乙" and changes.data[0].text[-1] == "+13.33"
    assert "50.0 → 66.7" in changes.layout.title.text
    rows = fs.table_rows(frame, {"a": "lower_better"})
    assert rows[0]["direction"] == "越低越好" and rows[2]["value"] == "无数据"


# --- alerts ---


def test_week_and_rule_figures() -> None:
    weeks = pd.DataFrame({"week": [date(2023, 1, 2), date(2023, 1, 9)], "general": [2, 0], "major": [1, 0],
                          "critical": [0, 1]})
    fig = fa.week_figure(weeks)
    assert [t.name for t in fig.data] == ["一般", "较大", "重大"] and list(fig.data[2].y) == [0, 1]
    rules = pd.DataFrame({"rule": ["surge", "cluster"], "raised": [5, 0], "open": [2, 0]})
    rfig = fa.rule_figure(rules)
    assert list(rfig.data[0].y) == ["同地聚集", "案件激增"] and list(rfig.data[1].x) == [0, 2]
    assert is_empty(fa.week_figure(weeks.assign(general=0, major=0, critical=0)))


def test_detail_shows_evidence_in_chinese_and_the_history() -> None:
    warning = {"id": 3, "title": "沭阳县某镇矛盾纠纷案件激增", "level": "major", "rule": "surge", "kind": "dispute",
               "category": None, "status": "assigned", "assigned_unit": "某镇综治中心", "close_note": None,
               "window_start": datetime(2023, 12, 25), "window_end": datetime(2024, 1, 1),
               "due_at": datetime(2024, 1, 2)}
    events = pd.DataFrame({"at": [datetime(2023, 12, 31, 23, 59, 59), datetime(2024, 1, 1, 1)],
                           "action": ["issue", "assign"], "actor": ["系统", "指挥中心"], "level": ["major", "major"],
                           "note": [None, "某镇综治中心"]})
    text = texts(fa.detail(WarningDetail(warning, {"count": 11, "baseline": [3, 3], "z": 8.0}, events)))
    assert "触发件数" in text and "3 / 3" in text and "稳健Z值" in text and "预警交办" in text and "较大" in text
    assert fa.allowed_actions("issued", True) == (True, False, False)
    assert fa.allowed_actions("assigned", True) == (True, True, False)
    assert fa.allowed_actions("acknowledged", True) == (False, False, True)
    assert fa.allowed_actions("closed", True) == (False, False, False)
    assert fa.allowed_actions("assigned", False) == (False, False, False)


def test_review_list_says_how_many_more() -> None:
    frame = pd.DataFrame({"raised_at": [datetime(2023, 12, 30, 8, 5)], "level": ["critical"], "title": ["某镇聚集"]})
    items = fa.review_items(frame, "无", total=31)
    assert len(items) == 2 and "另有 30 条" in str(items[-1].children)
    assert len(fa.review_items(frame, "无", total=1)) == 1 and len(fa.review_items(frame, "无")) == 1
    assert fa.review_items(frame.iloc[:0], "无")[0].children == "无"


def test_key_dates_without_a_key_date() -> None:
    review = KeyDateReview(None, None, pd.DataFrame(), pd.DataFrame(columns=["id"]))
    assert fa.key_dates_title(review) == "所选时段内没有重大节点" and is_empty(fa.key_dates_figure(review))


@pytest.mark.parametrize(("widths", "gap", "share_y"), [((0.5, 0.5), 0.12, False), ((0.55, 0.45), 0.03, True)])
def test_two_panels_lays_out_axes_like_make_subplots(widths, gap, share_y) -> None:
    from plotly.subplots import make_subplots

    from layouts.figures.common import two_panels

    ref = make_subplots(rows=1, cols=2, column_widths=list(widths), horizontal_spacing=gap, shared_yaxes=share_y)
    fig = two_panels([go.Bar(x=[1], y=[2])], [go.Bar(x=[3], y=[4])], {"xaxis2": {"title": {"text": "右"}}},
                     widths=widths, gap=gap, share_y=share_y)
    for axis in ("xaxis", "xaxis2"):
        assert fig.layout[axis].domain == pytest.approx(ref.layout[axis].domain)
        assert fig.layout[axis].anchor == ref.layout[axis].anchor
    assert fig.layout.yaxis2.anchor == "x2" and fig.layout.yaxis2.matches == ref.layout.yaxis2.matches
    assert fig.layout.yaxis2.showticklabels == ref.layout.yaxis2.showticklabels
    assert fig.layout.xaxis2.title.text == "右"  # the caller's settings are merged, not replaced
    assert (fig.data[0].xaxis, fig.data[1].xaxis, fig.data[1].yaxis) in ((None, "x2", "y2"), ("x", "x2", "y2"))


def test_small_counts_tick_by_whole_units_on_every_ops_chart() -> None:
    """The count axes share `common.count_axis`: a township's handful of warnings, visits or backlog cases
    steps by 1 (Plotly's own step would repeat labels under ",d"), a larger one keeps Plotly's step."""
    levels = list(fa.LEVELS)
    weeks = pd.DataFrame({"week": [date(2023, 1, 2), date(2023, 1, 9)], **{lv: [1, 0] for lv in levels}})
    trend = pd.DataFrame({"at": [datetime(2023, 1, 31), datetime(2023, 2, 28)], "red": [1, 2], "yellow": [0, 1],
                          "green": [3, 2]})
    modes = [str(m) for m in VisitMode]
    visits = pd.DataFrame({"month": [date(2023, 1, 1), date(2023, 2, 1)], **{m: [2, 1] for m in modes}})
    visits["total"] = visits[modes].sum(axis=1)
    small = (fa.week_figure(weeks).layout.yaxis, fb.trend_figure(trend).layout.yaxis,
             fb.screen_trend_figure(trend).layout.yaxis, fg.visits_figure(visits).layout.yaxis)
    assert all(axis.dtick == 1 and axis.tickformat == ",d" for axis in small)
    assert fa.week_figure(weeks.assign(**{levels[0]: [40, 0]})).layout.yaxis.dtick is None
    assert fb.trend_figure(trend.assign(green=[30, 2])).layout.yaxis.dtick is None  # the stack reaches 31
