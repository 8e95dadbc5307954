"""案件流转 figure builders, checked by content: nodes, link sums, labels, values, customdata."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pandas as pd
import pytest

from callbacks.flow import node_from_click, node_from_search, search_after_click
from dashboard.theme import register_templates
from data.queries.flow import FAMILY_ORDER, NodeFamily, NodeFilter
from layouts.figures.flow import (
    DIMMED_LINK,
    duration_text,
    escalation_figure,
    modes_figure,
    node_label,
    sankey_figure,
    stage_times_figure,
    weekly_figure,
)

PATHS = pd.DataFrame(
    [
        ("grid_report", "dispute", "village", "village", "mediated", 50),
        ("grid_report", "dispute", "village", "township", "not_mediated", 7),
        ("hotline_12345", "petition", "township", "county", "resolved", 20),
        ("hotline_12345", "dispute", "village", "village", "open", 3),
        ("walk_in", "security", "county", "county", "resolved", 10),
    ],
    columns=["channel", "kind", "first_level", "final_level", "outcome", "cases"],
)
INTAKE = int(PATHS["cases"].sum())


@pytest.fixture(autouse=True, scope="module")
def _templates() -> None:
    register_templates()


def _stage_sums(fig) -> dict[int, int]:
    """Link value per column step (0: channel→kind … 3: final→outcome), from the node columns' keys."""
    trace = fig.data[0]
    family_of = [NodeFamily(k.split(":")[0]) for k in trace.node.customdata]
    sums: dict[int, int] = defaultdict(int)
    for s, v in zip(trace.link.source, trace.link.value, strict=True):
        sums[FAMILY_ORDER.index(family_of[s])] += v
    return dict(sums)


def test_sankey_nodes_are_labelled_in_chinese_and_every_column_sums_to_the_intake() -> None:
    fig = sankey_figure(PATHS)
    trace = fig.data[0]
    assert trace.type == "sankey"
    labels = list(trace.node.label)
    for expected in ("网格员上报 57", "12345热线 23", "群众来访 10", "矛盾纠纷 60", "信访 20", "治安问题 10",
                     "首办·村级 60", "首办·乡镇级 20", "首办·县区级 10", "终办·村级 53", "终办·乡镇级 7",
                     "终办·县区级 30", "调解成功 50", "调解不成功 7", "办结化解 30", "办理中 3"):
        assert expected in labels
    assert not any("风险隐患" in label or "市级" in label for label in labels)  # empty nodes are left out
    assert _stage_sums(fig) == {0: INTAKE, 1: INTAKE, 2: INTAKE, 3: INTAKE}
    assert all(NodeFilter.parse(k) is not None for k in trace.node.customdata)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["来源渠道", "案件类型", "首办层级", "终办层级", "办理结果"]


def test_sankey_highlights_the_flow_through_the_selected_node() -> None:
    node = NodeFilter(NodeFamily.FIRST, "village")
    trace = sankey_figure(PATHS, node).data[0]
    bright = [v for v, c in zip(trace.link.value, trace.link.color, strict=True) if c != DIMMED_LINK]
    # Every column step carries the node's 60 cases in the highlight color.
    assert sum(bright) == 4 * 60
    assert _stage_sums(sankey_figure(PATHS, node)) == {0: INTAKE, 1: INTAKE, 2: INTAKE, 3: INTAKE}
    outlined = [k for k, c in zip(trace.node.customdata, trace.node.line.color, strict=True) if c != "rgba(0, 0, 0, 0)"]
    assert outlined == ["first:village"]


def test_sankey_of_nothing_says_so() -> None:
    fig = sankey_figure(PATHS.iloc[0:0])
    assert not fig.data and "暂无" in fig.layout.annotations[0].text


def test_node_labels_tell_first_and_final_levels_apart() -> None:
    assert node_label(NodeFamily.FIRST, "county") == "首办·县区级"
    assert node_label(NodeFamily.FINAL, "county") == "终办·县区级"
    assert node_label(NodeFamily.OUTCOME, "open") == "办理中"
    assert node_label(NodeFamily.CHANNEL, "police_110") == "110警情"


def test_click_and_url_helpers_toggle_the_node_param() -> None:
    click = {"points": [{"pointNumber": 3, "label": "首办·村级 60", "customdata": "first:village"}]}
    node = node_from_click(click)
    assert node == NodeFilter(NodeFamily.FIRST, "village")
    assert node_from_click({"points": [{"pointNumber": 1}]}) is None  # a link
    assert node_from_click("321322") is None and node_from_click(None) is None
    search = "?area=321322&from=2023-01-01&to=2023-12-31"
    after = search_after_click(search, node)
    assert node_from_search(after) == node and "area=321322" in after
    assert node_from_search(search_after_click(after, node)) is None  # clicking it again clears it
    assert node_from_search("?node=kind:bogus") is None


def test_stage_times_figure_shows_both_percentiles_with_readable_durations() -> None:
    stages = pd.DataFrame({"stage": ["dispatch", "accept", "close", "total"], "cases": [10, 10, 7, 0],
                           "p50_hours": [0.5, 4.0, 48.0, float("nan")], "p90_hours": [2.0, 8.0, 96.0, float("nan")]})
    fig = stage_times_figure(stages)
    assert [t.name for t in fig.data] == ["中位数", "90分位"]
    assert list(fig.data[0].y) == ["登记→分派", "分派→受理", "受理→办结"]  # the empty stage is left out
    assert list(fig.data[0].x) == [0.5, 4.0, 48.0] and list(fig.data[1].x) == [2.0, 8.0, 96.0]
    assert list(fig.data[0].text) == ["30分钟", "4.0小时", "2.0天"]
    assert fig.layout.xaxis.type == "log"
    assert duration_text(float("nan")) == "—"


def test_escalation_figure_shows_counts_and_shares() -> None:
    steps = pd.DataFrame({"from_level": ["village", "township", "county"], "to_level": ["township", "county", "city"],
                          "escalated": [12, 5, 0], "reached": [60, 30, 12], "intake": [90] * 3,
                          "share": [100 * 12 / 90, 100 * 5 / 90, 0.0], "rate": [20.0, 100 * 5 / 30, 0.0]})
    fig = escalation_figure(steps)
    bar = fig.data[0]
    assert list(bar.y) == ["村级→乡镇级", "乡镇级→县区级", "县区级→市级"]
    assert list(bar.x) == [12, 5, 0]
    assert list(bar.text) == ["12件 · 13.3%", "5件 · 5.6%", "0件 · 0.0%"]


def test_modes_figure_uses_the_query_shares() -> None:
    modes = pd.DataFrame({"mode": ["onsite", "online", "joint_meeting", "escalated"], "cases": [50, 25, 15, 10],
                          "share": [50.0, 25.0, 15.0, 10.0]})
    pie = modes_figure(modes).data[0]
    assert list(pie.labels) == ["现场办", "线上办", "提请会办", "提级办理"]
    assert list(pie.values) == [50, 25, 15, 10] and list(pie.customdata) == [50.0, 25.0, 15.0, 10.0]


def test_weekly_figure_keeps_every_case_and_marks_partial_weeks() -> None:
    weeks = pd.DataFrame({"week": [date(2023, 3, 13), date(2023, 3, 20), date(2023, 3, 27)], "days": [5, 7, 3],
                          "intake": [40, 70, 20], "closed": [30, 65, 25]})
    fig = weekly_figure(weeks)
    for group, total in (("intake", 130), ("closed", 120)):
        traces = [t for t in fig.data if t.legendgroup == group]
        values = [v for t in traces for v in t.y if v is not None and v == v]
        assert sum(values) == total
    line = next(t for t in fig.data if t.legendgroup == "intake" and t.mode == "lines+markers")
    assert [v == v for v in line.y] == [False, True, False]  # partial weeks are off the line
    hollow = next(t for t in fig.data if t.legendgroup == "intake" and t.mode == "markers")
    assert hollow.marker.symbol == "circle-open" and "仅含时段内5天" in hollow.customdata[0]
