"""逾期督办 builders: the figures, rows and lists carry the frames' values with Chinese labels and theme colors."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from dashboard.theme import CARD_COLORS, register_templates
from data.vocab import CardColor
from layouts.figures import overdue as fig

AT = datetime(2024, 1, 1)


@pytest.fixture(autouse=True, scope="module")
def _templates() -> None:
    register_templates()


def _texts(component) -> str:
    """All text inside a Dash component tree, in order."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list):
        return "".join(_texts(c) for c in component)
    return _texts(getattr(component, "children", None))


def test_by_area_bars_carry_codes() -> None:
    df = pd.DataFrame({"code": ["321322000000", "321302000000"], "name": ["沭阳县", "宿城区"], "overdue": [66, 43]})
    f = fig.overdue_by_area_figure(df, "县区")
    (bar,) = f.data
    assert bar.type == "bar"
    assert list(bar.x) == ["沭阳县", "宿城区"] and list(bar.y) == [66, 43]
    assert list(bar.customdata) == ["321322000000", "321302000000"]
    assert "县区" in bar.hovertemplate


def test_empty_states_say_so() -> None:
    zero = pd.DataFrame({"code": ["a"], "name": ["甲"], "overdue": [0]})
    for f in (fig.overdue_by_area_figure(zero, "县区"), fig.aging_figure(zero.rename(columns={"name": "bucket"})),
              fig.overdue_by_unit_figure(pd.DataFrame(columns=["unit", "overdue"]))):
        assert f.data == ()
        assert f.layout.annotations[0].text == fig.NO_OVERDUE
    cards = pd.DataFrame({"code": ["a"], "name": ["甲"], "blue": [0], "yellow": [0], "red": [0]})
    assert "没有督办牌" in fig.cards_by_area_figure(cards, "县区").layout.annotations[0].text
    trend = pd.DataFrame({"week": [date(2023, 1, 2)], "blue": [0], "yellow": [0], "red": [0]})
    assert "没有发放" in fig.cards_trend_figure(trend).layout.annotations[0].text


def test_units_largest_on_top() -> None:
    df = pd.DataFrame({"unit": ["甲局", "乙所", "丙委"], "overdue": [9, 5, 2]})
    (bar,) = fig.overdue_by_unit_figure(df).data
    assert bar.orientation == "h"
    assert list(bar.y) == ["丙委", "乙所", "甲局"] and list(bar.x) == [2, 5, 9]  # plotly draws the last on top


def test_aging_colors_warm_up() -> None:
    df = pd.DataFrame({"bucket": ["≤3天", "3–7天", "7–15天", "15–30天", ">30天"], "overdue": [5, 4, 3, 2, 1]})
    (bar,) = fig.aging_figure(df).data
    assert list(bar.x) == list(df["bucket"]) and list(bar.y) == [5, 4, 3, 2, 1]
    assert list(bar.marker.color) == list(fig.AGING_COLORS)


def test_cards_by_area_stacks_three_colors() -> None:
    df = pd.DataFrame({"code": ["c1", "c2"], "name": ["甲镇", "乙镇"], "blue": [1, 0], "yellow": [2, 1], "red": [3, 5]})
    f = fig.cards_by_area_figure(df, "乡镇街道")
    assert f.layout.barmode == "stack"
    assert [t.name for t in f.data] == ["蓝牌", "黄牌", "红牌"]
    assert [t.marker.color for t in f.data] == [CARD_COLORS[c] for c in (CardColor.BLUE, CardColor.YELLOW, CardColor.RED)]
    assert [list(t.y) for t in f.data] == [[1, 0], [2, 1], [3, 5]]
    assert list(f.data[2].customdata) == ["c1", "c2"]


def test_cards_trend_lines_per_color() -> None:
    df = pd.DataFrame({"week": [date(2023, 1, 2), date(2023, 1, 9)], "blue": [4, 6], "yellow": [1, 2], "red": [0, 3]})
    f = fig.cards_trend_figure(df)
    assert [t.type for t in f.data] == ["scatter"] * 3
    assert [t.name for t in f.data] == ["蓝牌", "黄牌", "红牌"]
    assert list(f.data[2].y) == [0, 3]
    assert pd.Timestamp(f.data[0].x[1]) == pd.Timestamp("2023-01-09")
    assert f.layout.yaxis.dtick == 1 and f.layout.yaxis.title.text == "张/周"  # at most 6 a week: whole steps


def test_small_counts_tick_by_whole_cases() -> None:
    """A township with one overdue case drew "0.2 件" ticks: every count axis steps by 1 up to 10."""
    one = pd.DataFrame({"code": ["a", "b"], "name": ["甲", "乙"], "overdue": [1, 0]})
    assert fig.overdue_by_area_figure(one, "村居").layout.yaxis.dtick == 1
    cards = pd.DataFrame({"code": ["a", "b"], "name": ["甲", "乙"], "blue": [3, 0], "yellow": [4, 0], "red": [4, 1]})
    assert fig.cards_by_area_figure(cards, "村居").layout.yaxis.dtick is None  # the stack reaches 11
    assert fig.cards_by_area_figure(cards.iloc[1:], "村居").layout.yaxis.dtick == 1
    many = pd.DataFrame({"unit": ["甲局"], "overdue": [40]})
    assert fig.overdue_by_unit_figure(many).layout.xaxis.dtick is None


def test_days_overdue_counts_started_days() -> None:
    assert fig.days_overdue(datetime(2023, 12, 31, 20, 0), AT) == 1
    assert fig.days_overdue(datetime(2023, 12, 30, 0, 0), AT) == 2
    assert fig.days_overdue(datetime(2023, 12, 29, 23, 59), AT) == 3
    assert fig.days_overdue(datetime(2024, 1, 2), AT) == 0


def test_table_rows_are_labelled() -> None:
    df = pd.DataFrame([{
        "id": 7, "case_no": "SQ2023321322000007", "kind": "petition", "category": "征地拆迁", "township": "耿圩镇",
        "village": "耿圩社区", "unit": "耿圩镇综治中心", "reported_at": pd.Timestamp("2023-10-22 01:13:05"),
        "due_at": pd.Timestamp("2023-12-21 01:13:05"), "card": "red",
    }, {
        "id": 8, "case_no": "SQ2023321322000008", "kind": "dispute", "category": "邻里纠纷", "township": "耿圩镇",
        "village": None, "unit": "耿圩镇司法所", "reported_at": pd.Timestamp("2023-12-20 08:00:00"),
        "due_at": pd.Timestamp("2023-12-31 12:00:00"), "card": None,
    }])
    first, second = fig.table_rows(df, AT)
    assert first == {"id": 7, "case_no": "SQ2023321322000007", "kind": "信访", "category": "征地拆迁",
                     "place": "耿圩镇耿圩社区", "unit": "耿圩镇综治中心", "reported_at": "2023-10-22 01:13",
                     "due_at": "2023-12-21 01:13", "overdue_days": 11, "card": "红牌"}
    assert second["card"] == "无" and second["place"] == "耿圩镇" and second["overdue_days"] == 1
    assert [c[0] for c in fig.TABLE_COLUMNS] == [k for k in first if k != "id"]


def test_due_soon_items() -> None:
    df = pd.DataFrame({"id": [1], "case_no": ["SQ1"], "kind": ["hazard"], "unit": ["消防大队"],
                       "due_at": [pd.Timestamp("2024-01-01 10:20")]})
    (item,) = fig.due_soon_items(df, AT)
    assert _texts(item) == "10小时后到期SQ1风险隐患消防大队"
    assert "没有即将到期" in _texts(fig.due_soon_items(df.iloc[0:0], AT))


def test_timeline_items_in_words() -> None:
    df = pd.DataFrame({
        "at": pd.to_datetime(["2023-11-01 08:00", "2023-11-02 09:30", "2023-11-20 08:00", "2023-11-23 08:00"]),
        "source": ["event", "event", "card", "card"],
        "code": ["registered", "escalated", "blue", "red"],
        "level": ["village", "township", None, None],
    })
    items = fig.timeline_items(df)
    assert [_texts(i) for i in items] == [
        "2023-11-01 08:00登记村级中心",
        "2023-11-02 09:30提级提级至乡镇级",
        "2023-11-20 08:00蓝牌督办超期督办",
        "2023-11-23 08:00红牌督办超期督办",
    ]
    assert "card-red" in items[-1].className and "step-escalated" in items[1].className
    assert "不在当前区域" in _texts(fig.timeline_items(df.iloc[0:0]))


def test_timeline_title() -> None:
    assert "点击表格" in _texts(fig.timeline_title(None))
    row = {"case_no": "SQ9", "kind": "信访", "category": "涉法涉诉", "place": "甲镇乙村", "unit": "甲镇综治中心",
           "due_at": "2023-12-01 10:00", "overdue_days": 31, "card": "红牌"}
    title = _texts(fig.timeline_title(row))
    assert "SQ9" in title and "逾期 31 天" in title and "甲镇综治中心" in title
