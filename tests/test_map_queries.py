"""地图 queries against independent raw SQL on both backends: every child, every metric, exact equality."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import text

from data.filters import Period, city, find_area, short_code
from data.queries.map import area_bounds, centers_in_view, child_metrics, grid_workers, recent_cases
from data.vocab import Level

FULL_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
# A window in the past, so "open at the period end" is not the same as "open now".
PAST = Period(date(2022, 3, 1), date(2022, 8, 31))
CHILD_COL = {Level.CITY: "county_code", Level.COUNTY: "township_code", Level.TOWNSHIP: "village_code",
             Level.VILLAGE: "grid_code", Level.GRID: "grid_code"}
AREA_COL = {Level.COUNTY: "county_code", Level.TOWNSHIP: "township_code", Level.VILLAGE: "village_code",
            Level.GRID: "grid_code"}


def _busiest(conn, column: str, where: str = "", **params) -> str:
    """The code with most cases in `column` (deterministic: ties by code)."""
    sql = f"SELECT {column} FROM cases {where} GROUP BY {column} ORDER BY COUNT(*) DESC, {column} LIMIT 1"
    return conn.execute(text(sql), params).scalar_one()


@pytest.fixture
def areas(small_db) -> dict[Level, object]:
    """One area per level, down the busiest branch, so every level has cases to count."""
    with small_db.connect() as conn:
        county = _busiest(conn, "county_code")
        township = _busiest(conn, "township_code", "WHERE county_code = :c", c=county)
        village = _busiest(conn, "village_code", "WHERE township_code = :t", t=township)
        grid = _busiest(conn, "grid_code", "WHERE village_code = :v", v=village)
    found = {Level.CITY: city(small_db)}
    for level, code in ((Level.COUNTY, county), (Level.TOWNSHIP, township), (Level.VILLAGE, village),
                        (Level.GRID, grid)):
        found[level] = find_area(small_db, code)
    return found


def _kind_sql(kinds: tuple[str, ...]) -> str:
    return f" AND c.kind IN ({', '.join(repr(k) for k in kinds)})" if kinds else ""


def expected_metrics(engine, area, period: Period, kinds: tuple[str, ...]) -> pd.DataFrame:
    """The same figures written independently as plain SQL text, one statement per metric."""
    col = CHILD_COL[area.level]
    unit_where = "code = :code" if area.level == Level.GRID else "parent_code = :code"
    in_area = f" AND c.{AREA_COL[area.level]} = :code" if area.level != Level.CITY else ""
    filt = in_area + _kind_sql(kinds)
    at = period.hi
    p = {"code": area.code, "lo": period.lo, "hi": period.hi, "at": at}
    open_sql = "c.reported_at < :at AND (c.closed_at IS NULL OR c.closed_at >= :at)"
    sqls = {
        "cases": f"SELECT c.{col}, COUNT(*) FROM cases c WHERE c.reported_at >= :lo AND c.reported_at < :hi{filt} "
                 f"GROUP BY c.{col}",
        "handled": f"SELECT c.{col}, COUNT(*) FROM cases c WHERE c.kind = 'dispute' AND c.closed_at >= :lo "
                   f"AND c.closed_at < :hi{filt} GROUP BY c.{col}",
        "mediated": f"SELECT c.{col}, COUNT(*) FROM cases c WHERE c.kind = 'dispute' AND c.outcome = 'mediated' "
                    f"AND c.closed_at >= :lo AND c.closed_at < :hi{filt} GROUP BY c.{col}",
        "overdue": f"SELECT c.{col}, COUNT(*) FROM cases c WHERE {open_sql} AND c.due_at < :at{filt} "
                   f"GROUP BY c.{col}",
        "red_cards": f"SELECT c.{col}, COUNT(*) FROM cases c WHERE {open_sql}{filt} AND (SELECT MAX(CASE k.color "
                     "WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 WHEN 'red' THEN 3 END) FROM case_cards k "
                     f"WHERE k.case_id = c.id AND k.issued_at < :at) = 3 GROUP BY c.{col}",
    }
    with engine.connect() as conn:
        units = conn.execute(text(f"SELECT code, name, population FROM areas WHERE {unit_where} ORDER BY code"),
                             p).all()
        counts = {name: dict(conn.execute(text(sql), p).all()) for name, sql in sqls.items()}
    rows = []
    for code, name, population in units:
        row = {"code": code, "name": name, "population": population}
        row.update({k: int(counts[k].get(code, 0)) for k in sqls})
        row["per_thousand"] = 1000 * row["cases"] / population if population else math.nan
        row["success_rate"] = 100 * row["mediated"] / row["handled"] if row["handled"] else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert got["code"].tolist() == want["code"].tolist()
    assert got["name"].tolist() == want["name"].tolist()
    for col in ("population", "cases", "handled", "mediated", "overdue", "red_cards"):
        assert got[col].tolist() == want[col].tolist(), col
    for col in ("per_thousand", "success_rate"):
        for g, w in zip(got[col], want[col], strict=True):
            assert (math.isnan(g) and math.isnan(w)) or g == pytest.approx(w, rel=1e-12), col


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize(("period", "kinds"), [(FULL_2023, ()), (PAST, ("dispute", "petition"))])
def test_child_metrics_equal_raw_sql(small_db, areas, level, period, kinds) -> None:
    area = areas[level]
    got = child_metrics(small_db, area, period, kinds)
    want = expected_metrics(small_db, area, period, kinds)
    assert len(want) >= 1
    _same(got, want)
    assert got["short"].tolist() == [short_code(c) for c in want["code"]]


def test_levels_have_the_expected_children(small_db, areas) -> None:
    assert len(child_metrics(small_db, areas[Level.CITY], FULL_2023)) == 5
    grid = child_metrics(small_db, areas[Level.GRID], FULL_2023)
    assert grid["code"].tolist() == [areas[Level.GRID].code]


def test_children_without_cases_still_appear(small_db, areas) -> None:
    """A village's grids: many have no case in a short window, and each must still be on the map at 0."""
    village = areas[Level.VILLAGE]
    period = Period(date(2023, 10, 1), date(2023, 12, 31))
    got = child_metrics(small_db, village, period)
    with small_db.connect() as conn:
        n_grids = conn.execute(text("SELECT COUNT(*) FROM areas WHERE parent_code = :v"), {"v": village.code}).scalar()
    assert len(got) == n_grids
    empty = got[got["cases"] == 0]
    assert not empty.empty, "the fixture should include children without cases"
    assert (empty["per_thousand"] == 0).all()
    assert got.loc[got["handled"] == 0, "success_rate"].isna().all()
    _same(got, expected_metrics(small_db, village, period, ()))


def test_success_rate_has_no_value_when_disputes_are_filtered_out(small_db, areas) -> None:
    got = child_metrics(small_db, areas[Level.COUNTY], FULL_2023, ("petition",))
    assert (got["handled"] == 0).all() and got["success_rate"].isna().all()
    assert got["cases"].sum() > 0


def test_centers_in_view_per_level(small_db, areas) -> None:
    """At each level: the centers at that level and one down, inside the area, with their counts."""
    scopes = {
        Level.CITY: ("level IN ('city', 'county')", {}),
        Level.COUNTY: ("level IN ('county', 'township') AND county_code = :a", {"a": areas[Level.COUNTY].code}),
        Level.TOWNSHIP: ("level IN ('township', 'village') AND township_code = :a",
                         {"a": areas[Level.TOWNSHIP].code}),
        Level.VILLAGE: ("level = 'village' AND village_code = :a", {"a": areas[Level.VILLAGE].code}),
        Level.GRID: ("level = 'village' AND village_code = :a", {"a": areas[Level.VILLAGE].code}),
    }
    for level, (where, params) in scopes.items():
        got = centers_in_view(small_db, areas[level])
        with small_db.connect() as conn:
            want = conn.execute(text(
                "SELECT s.id, (SELECT COUNT(*) FROM institutions i WHERE i.center_id = s.id), "
                "(SELECT COUNT(*) FROM center_staff t WHERE t.center_id = s.id) "
                f"FROM service_centers s WHERE {where}"), params).all()
        assert sorted(got[["id", "institutions", "staff"]].itertuples(index=False, name=None)) == sorted(
            tuple(r) for r in want), level
        assert len(got) >= 1
    city_centers = centers_in_view(small_db, areas[Level.CITY])
    assert city_centers["level"].tolist()[0] == "city" and (city_centers["level"] == "county").sum() == 5
    assert city_centers["institutions"].iloc[0] > 0 and city_centers["staff"].iloc[0] > 0


def test_area_bounds_contain_every_child_point(small_db, areas) -> None:
    for level in (Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
        b = area_bounds(small_db, areas[level])
        kids = child_metrics(small_db, areas[level], FULL_2023)
        assert b.west < b.east and b.south < b.north
        assert kids["lon"].between(b.west, b.east).all() and kids["lat"].between(b.south, b.north).all()
    city_b, county_b = area_bounds(small_db, areas[Level.CITY]), area_bounds(small_db, areas[Level.COUNTY])
    assert city_b.west <= county_b.west and county_b.east <= city_b.east


def test_grid_workers_are_the_liaisons_and_the_village_staff(small_db, areas) -> None:
    grid = areas[Level.GRID]
    got = grid_workers(small_db, grid)
    with small_db.connect() as conn:
        liaisons = conn.execute(text("SELECT name FROM grid_workers WHERE role = 'liaison' AND grid_code = :g"),
                                {"g": grid.code}).scalars().all()
        staff = conn.execute(text("SELECT w.name, w.grid_code FROM grid_workers w JOIN areas a ON a.code = :g "
                                  "WHERE w.role = 'grid_staff' AND w.village_code = a.village_code"),
                             {"g": grid.code}).all()
    assert sorted(got.loc[got["role"] == "liaison", "name"]) == sorted(liaisons)
    got_staff = got[got["role"] == "grid_staff"]
    assert sorted(zip(got_staff["name"], got_staff["grid_code"], strict=True)) == sorted(tuple(s) for s in staff)
    assert len(staff) > 0
    assert got_staff["grid_name"].str.contains("网格").all()


def test_recent_cases_are_the_last_ten_registered(small_db, areas) -> None:
    township = areas[Level.TOWNSHIP]
    got = recent_cases(small_db, township, FULL_2023, ())
    with small_db.connect() as conn:
        want = conn.execute(text(
            "SELECT case_no FROM cases WHERE township_code = :t AND reported_at >= :lo AND reported_at < :hi "
            "ORDER BY reported_at DESC, id DESC LIMIT 10"), {"t": township.code, "lo": datetime(2023, 1, 1),
                                                            "hi": datetime(2024, 1, 1)}).scalars().all()
    assert got["case_no"].tolist() == want and len(want) == 10
    assert list(got.columns) == ["case_no", "kind", "category", "reported_at", "status"]
    grid_cases = recent_cases(small_db, areas[Level.GRID], FULL_2023, ("dispute",))
    assert (grid_cases["kind"] == "dispute").all()
