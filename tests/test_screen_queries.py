"""大屏 queries against independent raw SQL on both backends (exact equality)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime

import pandas as pd
import pytest
from shapely.geometry import shape
from sqlalchemy import Engine, text

from data.filters import AreaRef, Period, city, find_area
from data.queries import screen as q
from data.queries.summary import headline_kpis

YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
MID_2022 = Period(date(2022, 3, 1), date(2022, 8, 17))


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def area_sql(area: AreaRef, alias: str = "c") -> tuple[str, dict]:
    if area.level == "city":
        return "", {}
    return f" AND {alias}.{area.level}_code = :area", {"area": area.code}


def scalar(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


@pytest.fixture(params=["city", "321311", "busiest township"])
def area(request: pytest.FixtureRequest, small_db: Engine) -> AreaRef:
    if request.param == "city":
        return city(small_db)
    code = request.param
    if code == "busiest township":  # the small demo leaves many townships without open cases
        with small_db.connect() as conn:
            code = conn.execute(text("SELECT township_code FROM cases WHERE closed_at IS NULL GROUP BY township_code "
                                     "ORDER BY count(*) DESC, township_code LIMIT 1")).scalar_one()
    found = find_area(small_db, code)
    assert found is not None
    return found


@pytest.mark.parametrize("period", [YEAR_2023, MID_2022], ids=["2023", "2022"])
def test_kpis(small_db: Engine, area: AreaRef, period: Period) -> None:
    where, params = area_sql(area)
    day_lo, day_hi = datetime.combine(period.end, datetime.min.time()), period.hi
    intake = scalar(small_db, "SELECT count(*) FROM cases c WHERE c.reported_at >= :lo AND c.reported_at < :hi" + where,
                    lo=ts(day_lo), hi=ts(day_hi), **params)
    handled = scalar(small_db, "SELECT count(*) FROM cases c WHERE c.kind = 'dispute' AND c.closed_at >= :lo "
                     "AND c.closed_at < :hi" + where, lo=ts(period.lo), hi=ts(period.hi), **params)
    overdue = scalar(small_db, "SELECT count(*) FROM cases c WHERE c.reported_at < :hi AND (c.closed_at IS NULL OR "
                     "c.closed_at >= :hi) AND c.due_at < :hi" + where, hi=ts(period.hi), **params)
    red = scalar(small_db, "SELECT count(*) FROM cases c WHERE c.reported_at < :hi AND (c.closed_at IS NULL OR "
                 "c.closed_at >= :hi) AND (SELECT max(CASE cc.color WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 "
                 "WHEN 'red' THEN 3 END) FROM case_cards cc WHERE cc.case_id = c.id AND cc.issued_at < :hi) = 3"
                 + where, hi=ts(period.hi), **params)
    got = q.screen_kpis(small_db, area, period).iloc[0]
    assert (got["intake_today"], got["disputes_handled"], got["overdue"], got["red_cards"]) == (
        intake, handled, overdue, red)
    home = headline_kpis(small_db, area, period).iloc[0]
    assert got["disputes_handled"] == home["disputes_handled"] and got["red_cards"] == home["red_cards"]
    assert got["success_rate"] == pytest.approx(home["success_rate"], nan_ok=True)


def test_kpis_today_is_not_empty(small_db: Engine) -> None:
    """Guard against a vacuous pass above: the as-of day has registrations city-wide."""
    assert q.screen_kpis(small_db, city(small_db), YEAR_2023).iloc[0]["intake_today"] > 0


def test_open_by_child(small_db: Engine, area: AreaRef) -> None:
    where, params = area_sql(area)
    child = {"city": "county_code", "county": "township_code", "township": "village_code"}[area.level]
    with small_db.connect() as conn:
        rows = conn.execute(text(f"SELECT c.{child}, count(*) FROM cases c WHERE c.reported_at < :hi AND "
                                 f"(c.closed_at IS NULL OR c.closed_at >= :hi){where} GROUP BY c.{child}"),
                            {"hi": ts(YEAR_2023.hi), **params}).all()
        children = conn.execute(text("SELECT code FROM areas WHERE parent_code = :p"), {"p": area.code}).scalars().all()
    got = q.open_by_child(small_db, area, YEAR_2023)
    assert sorted(got["code"]) == sorted(children)
    assert {c: n for c, n in zip(got["code"], got["open"], strict=True) if n} == {c: int(n) for c, n in rows}
    assert list(got["open"]) == sorted(got["open"], reverse=True) and got["open"].sum() > 0


@pytest.mark.parametrize("kinds", [(), ("security", "hazard")])
def test_monthly_intake(small_db: Engine, area: AreaRef, kinds: tuple[str, ...]) -> None:
    where, params = area_sql(area)
    kind_sql = " AND c.kind IN ('security', 'hazard')" if kinds else ""
    with small_db.connect() as conn:
        rows = conn.execute(text("SELECT c.reported_at, c.kind FROM cases c WHERE c.reported_at >= :lo AND "
                                 "c.reported_at < :hi" + where + kind_sql),
                            {"lo": "2023-01-01 00:00:00", "hi": ts(YEAR_2023.hi), **params}).all()
    expected = Counter((pd.Timestamp(r).date().replace(day=1), k) for r, k in rows)
    got = q.monthly_intake(small_db, area, YEAR_2023, kinds)
    assert sorted(set(got["month"])) == [date(2023, m, 1) for m in range(1, 13)]
    assert set(got["kind"]) == set(kinds or ("dispute", "petition", "security", "hazard"))
    for row in got.itertuples(index=False):
        assert row.cases == expected[(row.month, row.kind)]
    assert int(got["cases"].sum()) == len(rows)


def test_monthly_intake_ends_with_the_period(small_db: Engine) -> None:
    """A period ending mid-month: 12 months back from that month, the last one only up to the end day."""
    area = city(small_db)
    got = q.monthly_intake(small_db, area, MID_2022)
    assert sorted(set(got["month"]))[0] == date(2021, 9, 1) and sorted(set(got["month"]))[-1] == date(2022, 8, 1)
    august = scalar(small_db, "SELECT count(*) FROM cases WHERE reported_at >= '2022-08-01 00:00:00' AND "
                    "reported_at < :hi", hi=ts(MID_2022.hi))
    assert int(got.loc[got["month"] == date(2022, 8, 1), "cases"].sum()) == august > 0


def test_flow_levels(small_db: Engine, area: AreaRef) -> None:
    where, params = area_sql(area)
    with small_db.connect() as conn:
        rows = conn.execute(text("SELECT c.first_level, c.final_level, count(*) FROM cases c WHERE c.reported_at >= "
                                 ":lo AND c.reported_at < :hi" + where + " GROUP BY c.first_level, c.final_level"),
                            {"lo": ts(YEAR_2023.lo), "hi": ts(YEAR_2023.hi), **params}).all()
    got = q.flow_levels(small_db, area, YEAR_2023)
    assert {(a, b): n for a, b, n in zip(got["first_level"], got["final_level"], got["cases"], strict=True)} == {
        (a, b): int(n) for a, b, n in rows}
    order = ["village", "township", "county", "city"]
    escalated = sum(int(n) for a, b, n in rows if order.index(b) > order.index(a))
    total = sum(int(n) for _a, _b, n in rows)
    assert q.escalation_share(got)[:2] == (escalated, total)


def test_escalation_share_of_nothing() -> None:
    up, total, share = q.escalation_share(pd.DataFrame(columns=["first_level", "final_level", "cases"]))
    assert (up, total) == (0, 0) and share != share  # NaN


def test_latest_red_cards(small_db: Engine, area: AreaRef) -> None:
    where, params = area_sql(area)
    with small_db.connect() as conn:
        expected = conn.execute(text("SELECT c.case_no FROM case_cards cc JOIN cases c ON c.id = cc.case_id WHERE "
                                     "cc.color = 'red' AND cc.issued_at < :hi" + where +
                                     " ORDER BY cc.issued_at DESC, cc.id DESC"),
                                {"hi": ts(YEAR_2023.hi), **params}).scalars().all()
    got = q.latest_red_cards(small_db, area, YEAR_2023)
    assert list(got["case_no"]) == expected[: q.RED_LIST] and len(got) > 0
    assert (pd.to_datetime(got["issued_at"]) < pd.Timestamp(YEAR_2023.hi)).all()
    assert got["township"].map(bool).all() and got["unit"].map(bool).all()


@pytest.mark.parametrize("level", ["township", "village", "grid"])
@pytest.mark.parametrize("kinds", [(), ("petition", "dispute")])
def test_latest_red_cards_below_a_county(small_db: Engine, level: str, kinds: tuple[str, ...]) -> None:
    """Townships, villages and grids read their own index of red cards (sum_red_cards): the same list as the
    cards joined to the cases, the kind filter included, at two instants."""
    with small_db.connect() as conn:
        code = conn.execute(text(f"SELECT c.{level}_code FROM case_cards cc JOIN cases c ON c.id = cc.case_id "
                                 f"WHERE cc.color = 'red' GROUP BY c.{level}_code ORDER BY count(*) DESC, 1 "
                                 "LIMIT 1")).scalar_one()
    area = find_area(small_db, code)
    assert area is not None and area.level == level
    where, params = area_sql(area)
    kind_sql = f" AND c.kind IN ({', '.join(repr(k) for k in kinds)})" if kinds else ""
    for period in (YEAR_2023, Period(date(2023, 1, 1), date(2023, 6, 30))):
        with small_db.connect() as conn:
            expected = conn.execute(text(
                "SELECT c.case_no FROM case_cards cc JOIN cases c ON c.id = cc.case_id WHERE cc.color = 'red' "
                "AND cc.issued_at < :hi" + where + kind_sql + " ORDER BY cc.issued_at DESC, cc.id DESC"),
                {"hi": ts(period.hi), **params}).scalars().all()
        got = q.latest_red_cards(small_db, area, period, kinds)
        assert list(got["case_no"]) == expected[: q.RED_LIST] and len(got) > 0


def test_area_bounds(small_db: Engine, area: AreaRef) -> None:
    with small_db.connect() as conn:
        geometry = conn.execute(text("SELECT geometry FROM areas WHERE code = :c"), {"c": area.code}).scalar_one()
    lon_min, lat_min, lon_max, lat_max = shape(json.loads(geometry)).bounds
    got = q.area_bounds(small_db, area).iloc[0]
    assert (got["lon_min"], got["lat_min"], got["lon_max"], got["lat_max"]) == pytest.approx(
        (lon_min, lat_min, lon_max, lat_max))
    assert 117 < lon_min < lon_max < 120 and 32 < lat_min < lat_max < 35
