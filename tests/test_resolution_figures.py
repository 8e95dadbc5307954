"""化解率 figure builders, checked by content: rates, counts, greyed small samples, labels."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from callbacks.resolution import grain_from_search, rank_from_search, tile_values
from dashboard.theme import ACCENT, SMALL_SAMPLE, register_templates
from data.queries.base import Grain
from data.queries.resolution import RankMetric
from layouts.figures.resolution import (
    category_figure,
    month_labels,
    petitions_figure,
    ranking_figure,
    repeats_figure,
    trend_figure,
)

NAN = float("nan")


@pytest.fixture(autouse=True, scope="module")
def _templates() -> None:
    register_templates()


def _rates(closed: list[int], resolved: list[int]) -> list[float]:
    return [100.0 * r / c if c else NAN for c, r in zip(closed, resolved, strict=True)]


def test_trend_draws_all_kinds_bold_and_greys_small_samples() -> None:
    months = [date(2023, 1, 1), date(2023, 2, 1)]
    frame = pd.DataFrame({
        "bucket": months * 3, "kind": ["all", "all", "dispute", "dispute", "hazard", "hazard"],
        "closed": [120, 80, 100, 60, 20, 20], "resolved": [108, 70, 92, 52, 16, 18],
    })
    frame["rate"] = _rates(list(frame["closed"]), list(frame["resolved"]))
    fig = trend_figure(frame, Grain.MONTH)
    names = [t.name for t in fig.data]
    assert names == ["全部（化解率）", "矛盾纠纷（调解成功率）", "风险隐患"]
    assert list(fig.data[0].y) == pytest.approx([90.0, 87.5])
    assert fig.data[0].line.width > fig.data[1].line.width
    assert all(c == SMALL_SAMPLE for c in fig.data[2].marker.color)  # 20 closed < 30
    assert SMALL_SAMPLE not in fig.data[1].marker.color
    assert "%Y年%-m月" in fig.data[0].hovertemplate
    assert "起一周" in trend_figure(frame, Grain.WEEK).data[0].hovertemplate


def test_trend_of_nothing_says_so() -> None:
    empty = pd.DataFrame({"bucket": [date(2023, 1, 1)], "kind": ["all"], "closed": [0], "resolved": [0],
                          "rate": [NAN]})
    fig = trend_figure(empty, Grain.MONTH)
    assert not fig.data and "没有办结" in fig.layout.annotations[0].text


def test_category_chart_shows_rate_and_count_and_greys_small_samples() -> None:
    cats = pd.DataFrame({"kind": ["dispute", "dispute", "petition"], "category": ["邻里纠纷", "婚姻家庭", "征地拆迁"],
                         "closed": [200, 12, 40], "resolved": [180, 12, 30]})
    cats["rate"] = _rates(list(cats["closed"]), list(cats["resolved"]))
    fig = category_figure(cats)
    dots = {t.name: t for t in fig.data if t.mode == "markers"}
    assert set(dots) == {"矛盾纠纷", "信访"}
    # Within a kind: comparable rates first, small samples after them.
    assert list(dots["矛盾纠纷"].y) == ["邻里纠纷", "婚姻家庭"]
    assert list(dots["矛盾纠纷"].x) == pytest.approx([90.0, 100.0])
    assert list(dots["矛盾纠纷"].marker.color)[1] == SMALL_SAMPLE
    values = next(t for t in fig.data if t.mode == "text")
    assert list(values.text) == ["90.0%（200件）", "100.0%（12件） 样本少", "75.0%（40件）"]
    assert max(fig.layout.xaxis.tickvals) == 100


def _ranking() -> pd.DataFrame:
    frame = pd.DataFrame({"code": ["a", "b", "c"], "name": ["沭阳县", "泗阳县", "宿豫区"],
                          "closed": [400, 300, 10], "success": [368, 270, 10],
                          "closed_prev": [380, 0, 12], "success_prev": [340, 0, 11]})
    frame["rate"] = _rates(list(frame["closed"]), list(frame["success"]))
    frame["rate_prev"] = _rates(list(frame["closed_prev"]), list(frame["success_prev"]))
    return frame.sort_values("rate", ascending=False).reset_index(drop=True)


def test_ranking_sets_this_year_beside_last_year_and_flags_small_samples() -> None:
    fig = ranking_figure(_ranking(), RankMetric.MEDIATION)
    current = next(t for t in fig.data if t.name == "本期")
    previous = next(t for t in fig.data if t.name == "上年同期")
    assert list(current.y) == ["宿豫区 · 样本少", "沭阳县", "泗阳县"]
    assert list(current.x) == pytest.approx([100.0, 92.0, 90.0])
    assert list(current.marker.color) == [SMALL_SAMPLE, ACCENT, ACCENT]
    assert previous.x[0] == pytest.approx(100 * 11 / 12) and previous.x[2] != previous.x[2]  # NaN: nothing closed
    assert previous.marker.color[0] == SMALL_SAMPLE
    segments = next(t for t in fig.data if t.mode == "lines")
    assert list(segments.y).count(None) == 2  # no segment for the child without last year's rate
    assert fig.layout.xaxis.title.text == "调解成功率"
    assert ranking_figure(_ranking(), RankMetric.RESOLUTION).layout.xaxis.title.text == "化解率"


def test_ranking_of_a_grid_says_there_are_no_children() -> None:
    empty = _ranking().iloc[0:0]
    assert "没有下级" in ranking_figure(empty, RankMetric.MEDIATION).layout.annotations[0].text


def test_monthly_pairs_show_both_years_with_short_labels() -> None:
    monthly = pd.DataFrame({"month": [date(2023, 1, 1), date(2023, 2, 1)], "current": [10, 12], "previous": [15, 9]})
    bars = petitions_figure(monthly)
    assert [t.type for t in bars.data] == ["bar", "bar"]
    assert list(bars.data[0].x) == ["1月", "2月"] and list(bars.data[0].y) == [10, 12]
    assert list(bars.data[1].y) == [15, 9] and list(bars.data[1].customdata) == ["2022年1月", "2022年2月"]
    lines = repeats_figure(monthly)
    assert [t.type for t in lines.data] == ["scatter", "scatter"] and lines.data[0].name == "本期重访"
    assert month_labels([date(2022, 12, 1), date(2023, 1, 1)]) == ["22年12月", "23年1月"]


def test_url_params_fall_back_and_tiles_format_like_stats() -> None:
    assert grain_from_search("?grain=week") == Grain.WEEK
    assert grain_from_search("?grain=year") == Grain.MONTH == grain_from_search(None)
    assert rank_from_search("?rank=resolution") == RankMetric.RESOLUTION
    assert rank_from_search("?rank=<script>") == RankMetric.MEDIATION
    kpis = pd.DataFrame([{"mediation_rate": 90.4869, "resolution_rate": 90.3978, "first_petitions": 1614,
                          "first_petitions_yoy": -28.4257}])
    assert tile_values(kpis) == ["90.49%", "90.40%", "1,614", "-28.4%"]
