"""The same filters give the same totals on every page, and the same as `stats`."""

from __future__ import annotations

from datetime import date

import pytest

from data.filters import Period, city, find_area
from data.queries.flow import flow_paths
from data.queries.map import child_metrics
from data.queries.overdue import overdue_by_child, overdue_summary
from data.queries.resolution import resolution_kpis
from data.queries.screen import screen_kpis
from data.queries.summary import cases_registered, headline_kpis
from data.stats import stats

VIEWS = [
    ("321300", Period(date(2023, 1, 1), date(2023, 9, 14)), ()),
    ("321322", Period(date(2023, 1, 1), date(2023, 12, 31)), ()),
    ("321324", Period(date(2022, 1, 1), date(2022, 12, 31)), ("dispute",)),
    ("321322101", Period(date(2023, 7, 1), date(2023, 9, 30)), ("petition", "hazard")),
]


@pytest.mark.parametrize(("code", "period", "kinds"), VIEWS)
def test_totals_agree_across_pages(small_db, code: str, period: Period, kinds: tuple[str, ...]) -> None:
    area = find_area(small_db, code) or city(small_db)
    intake = cases_registered(small_db, area, period) if not kinds else None
    children = child_metrics(small_db, area, period, kinds)
    flow = flow_paths(small_db, area, period, kinds)
    assert int(children["cases"].sum()) == int(flow["cases"].sum())
    if intake is not None:
        assert int(flow["cases"].sum()) == intake

    s = stats(small_db, area, period)
    res = resolution_kpis(small_db, area, period, kinds).iloc[0]
    home = headline_kpis(small_db, area, period).iloc[0]
    screen = screen_kpis(small_db, area, period, ()).iloc[0]
    assert int(res["disputes_handled"]) == s["disputes_handled"] == int(home["disputes_handled"]) == int(
        screen["disputes_handled"])
    assert round(float(res["mediation_rate"]), 2) == s["mediation_success_rate"]
    assert int(res["first_petitions"]) == s["first_petitions"]

    over = overdue_summary(small_db, area, period, ()).iloc[0]
    assert {c: int(over[c]) for c in ("blue", "yellow", "red")} == s["cards"]
    assert int(over["red"]) == int(home["red_cards"]) == int(screen["red_cards"])
    if not kinds:
        assert int(children["red_cards"].sum()) == s["cards"]["red"]
        assert int(children["overdue"].sum()) == int(over["overdue"]) == int(screen["overdue"])
        assert int(overdue_by_child(small_db, area, period, ())["overdue"].sum()) == int(over["overdue"])
        handled = children["handled"].sum()
        assert int(handled) == s["disputes_handled"]
