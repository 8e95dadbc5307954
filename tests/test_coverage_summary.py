"""Key-person visit coverage from the daily snapshot (`sum_coverage`) equals the query on key_persons and
grid_visits, on SQLite and PostgreSQL.

The snapshot answers a city, a county or a township at midnights, in total, per child and per key group; it
is compared with the query for the city, every county and a few townships at many midnights — before anyone
is due, the first and last stored days, the data's last day, the days after it while visit windows expire, far
beyond — through every reader (`safety._coverage` over slices, `grids.visit_coverage`, `grids.coverage_by`).
It must not answer (the query does) when the visit frequencies differ from those it was built with, when a
visit or person was added without a rebuild, or at an instant that is not a midnight.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from data.alert_rules import OpsSettings
from data.db import get_meta
from data.filters import AreaRef, Period, city, find_area
from data.queries import grids
from data.queries import safety as qs
from data.summaries import coverage_days, day_number, from_day_number, rebuild
from data.summaries.build import COVERAGE_LAST_DAY_KEY

SETTINGS = OpsSettings.load()
KEYS = (None, "county_code", "township_code", "key_group")


@contextmanager
def query_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every reader runs the query on key_persons and grid_visits."""
    with monkeypatch.context() as m:
        m.setattr(grids, "coverage_snapshot", lambda *_a, **_k: None)
        m.setattr(qs, "coverage_snapshot", lambda *_a, **_k: None)
        yield


def midnight(day: int) -> datetime:
    return datetime.combine(from_day_number(day), datetime.min.time())


def stored_span(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        first = conn.execute(text("SELECT MIN(day) FROM sum_coverage")).scalar_one()
    return int(first), int(get_meta(engine, COVERAGE_LAST_DAY_KEY))


def midnights_to_check(engine: Engine, rng: random.Random, n: int) -> list[int]:
    """Midnights worth checking: around the first and last stored day and the data's last day, and random."""
    first, last = stored_span(engine)
    as_of = day_number(date.fromisoformat(get_meta(engine, "as_of")))
    edges = [first - 3, first - 1, first, first + 1, last - 1, last, last + 1, last + 400, as_of, as_of + 1,
             as_of + 2, as_of + 16, as_of + 31, as_of + 61]
    return edges + [rng.randrange(first - 10, last + 10) for _ in range(n)]


def summary_areas(engine: Engine) -> list[AreaRef]:
    with engine.connect() as conn:
        counties = conn.execute(text("SELECT DISTINCT county_code FROM key_persons ORDER BY 1")).scalars().all()
        townships = conn.execute(text("SELECT DISTINCT township_code FROM key_persons ORDER BY 1")).scalars().all()
    return [city(engine), *[find_area(engine, c) for c in counties], *[find_area(engine, t) for t in townships[::9]]]


def query_counts(engine: Engine, area: AreaRef, at: datetime, key: str | None,
                 monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, int], tuple[int, int]]:
    """What the query says, in the snapshot's shape (only where anyone is due)."""
    with query_only(monkeypatch):
        if key is None:
            row = grids.visit_coverage(engine, area, at, SETTINGS).iloc[0]
            return {("", 0): (int(row["due"]), int(row["on_time"]))} if row["due"] else {}
        frame = grids.coverage_by(engine, area, at, SETTINGS, grids.PERSONS.c[key])
    return {(k, 0): (int(d), int(o)) for k, d, o in zip(frame["key"], frame["due"], frame["on_time"], strict=True)}


def test_snapshot_equals_the_query(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    areas = summary_areas(small_db)
    assert len(areas) > 6
    days = midnights_to_check(small_db, random.Random(3), 25)
    due = on_time = 0
    for area in areas:
        for day in days:
            at = midnight(day)
            for key in KEYS:
                got = grids.coverage_snapshot(small_db, area, [at], SETTINGS, key)
                assert got is not None
                want = query_counts(small_db, area, at, key, monkeypatch)
                assert got == want, (area.code, from_day_number(day), key)
                if area.level == "city" and key is None and want:
                    due += want[("", 0)][0]
                    on_time += want[("", 0)][1]
    assert 0 < on_time < due  # not vacuous: people due, some visited on time, some not
    first, last = stored_span(small_db)
    at_last = grids.coverage_snapshot(small_db, city(small_db), [midnight(last)], SETTINGS)[("", 0)]
    assert at_last[0] > 0 and at_last[1] == 0  # after the data every window expires; those still supervised stay due
    assert grids.coverage_snapshot(small_db, city(small_db), [midnight(first - 1)], SETTINGS) == {}


def test_readers_over_slices_equal_the_query(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """safety._coverage over the trend's months, the breakdown's two periods and one period, per child or not;
    the grids page's readers at period ends."""
    rng = random.Random(11)
    first, last = stored_span(small_db)
    periods = [Period(date(2023, 1, 1), date(2023, 12, 31)), Period(from_day_number(first - 40),
                                                                     from_day_number(first + 20)),
               Period(from_day_number(last - 100), from_day_number(last + 30))]
    for _ in range(6):
        start = from_day_number(rng.randrange(first - 30, last))
        periods.append(Period(start, start + timedelta(days=rng.choice([0, 6, 45, 200, 365]))))
    areas = summary_areas(small_db)
    for period in periods:
        for slices in ([period], [qs.previous_period(period), period], qs.month_slices(period)):
            for area in areas:
                for by_child in (False, True) if area.level != "township" else (False,):
                    got = qs._coverage(small_db, area, slices, by_child, SETTINGS)
                    with query_only(monkeypatch):
                        want = qs._coverage(small_db, area, slices, by_child, SETTINGS)
                    assert got == pytest.approx(want, nan_ok=True) and got.keys() == want.keys(), (
                        area.code, period, len(slices), by_child)
    county = find_area(small_db, "321322")
    period = Period(date(2023, 3, 1), date(2023, 9, 30))
    got = (grids.coverage_by_group(small_db, county, period, SETTINGS),
           grids.grids_by_child(small_db, county, period, SETTINGS))
    with query_only(monkeypatch):
        want = (grids.coverage_by_group(small_db, county, period, SETTINGS),
                grids.grids_by_child(small_db, county, period, SETTINGS))
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(g, w)


def test_other_frequencies_or_instants_use_the_query(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    area = city(small_db)
    at = datetime(2023, 6, 1)
    assert grids.coverage_snapshot(small_db, area, [at], SETTINGS) is not None
    other = replace(SETTINGS, visit_days={**SETTINGS.visit_days, "released": SETTINGS.visit_days["released"] + 7})
    assert grids.coverage_snapshot(small_db, area, [at], other) is None
    assert coverage_days(small_db, [day_number(at.date())], other.visit_days) is None
    slices = [Period(date(2023, 1, 1), date(2023, 5, 31))]
    changed = qs._coverage(small_db, area, slices, True, other)
    assert changed != qs._coverage(small_db, area, slices, True, SETTINGS)
    with query_only(monkeypatch):
        assert changed == qs._coverage(small_db, area, slices, True, other)
    assert grids.coverage_snapshot(small_db, area, [at + timedelta(hours=9)], SETTINGS) is None
    with small_db.connect() as conn:
        village = find_area(small_db, conn.execute(text("SELECT MIN(village_code) FROM key_persons")).scalar_one())
    assert village.level == "village" and grids.coverage_snapshot(small_db, village, [at], SETTINGS) is None
    township = find_area(small_db, village.code[:9])
    assert grids.coverage_snapshot(small_db, township, [at], SETTINGS, "village_code") is None


def _insert(engine: Engine, table: str, row: dict) -> int:
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    values = tuple(v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) and engine.dialect.name == "sqlite"
                   else v for v in row.values())  # as the demo loader writes timestamps on SQLite
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join([mark] * len(row))})",
                             values)
        return int(conn.execute(text(f"SELECT MAX(id) FROM {table}")).scalar_one())


def _delete(engine: Engine, table: str, row_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table} WHERE id = :i"), {"i": row_id})


def test_persons_or_visits_added_without_rebuild_use_the_query(small_db: Engine,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A new key person, then a visit to them at exactly midnight: neither is in the snapshot, so the readers
    run the query until it is rebuilt; rebuilt, it counts the visit from the midnight after it through the one
    `days` later, as the query does."""
    with small_db.connect() as conn:
        place = conn.execute(text("SELECT grid_code, village_code, township_code, county_code FROM key_persons "
                                  "ORDER BY id LIMIT 1")).one()._asdict()
    county = find_area(small_db, place["county_code"])
    group = "correction"
    days = int(SETTINGS.visit_days[group])
    visit_at = datetime(2023, 1, 10)
    instants = [visit_at, visit_at + timedelta(days=1), visit_at + timedelta(days=days),
                visit_at + timedelta(days=days + 1)]
    slices = [Period(d.date() - timedelta(days=1), d.date() - timedelta(days=1)) for d in instants]
    before = grids.coverage_snapshot(small_db, county, instants, SETTINGS, "key_group")
    assert before is not None
    person = _insert(small_db, "key_persons", {**place, "key_group": group, "name": "测试",
                                               "since": datetime(2021, 6, 1, 8, 30), "until": None})
    visit = None
    try:
        assert grids.coverage_snapshot(small_db, county, instants, SETTINGS) is None
        rebuild(small_db)
        added = grids.coverage_snapshot(small_db, county, instants, SETTINGS, "key_group")
        assert [added[(group, i)][0] - before[(group, i)][0] for i in range(4)] == [1, 1, 1, 1]
        assert [added[(group, i)][1] - before[(group, i)][1] for i in range(4)] == [0, 0, 0, 0]
        visit = _insert(small_db, "grid_visits", {"person_id": person, **place, "at": visit_at, "mode": "routine"})
        assert grids.coverage_snapshot(small_db, county, instants, SETTINGS) is None
        with query_only(monkeypatch):
            want = qs._coverage(small_db, county, slices, True, SETTINGS)
        assert qs._coverage(small_db, county, slices, True, SETTINGS) == want
        rebuild(small_db)
        after = grids.coverage_snapshot(small_db, county, instants, SETTINGS, "key_group")
        assert [after[(group, i)][1] - added[(group, i)][1] for i in range(4)] == [0, 1, 1, 0]
        assert qs._coverage(small_db, county, slices, True, SETTINGS) == want
        for i, at in enumerate(instants):
            assert {k: v for k, v in after.items() if k[1] == i} == {
                (k, i): v for (k, _), v in query_counts(small_db, county, at, "key_group", monkeypatch).items()}
    finally:
        if visit is not None:
            _delete(small_db, "grid_visits", visit)
        _delete(small_db, "key_persons", person)
        assert grids.coverage_snapshot(small_db, county, instants, SETTINGS) is None  # the newest ids changed
        rebuild(small_db)
    assert grids.coverage_snapshot(small_db, county, instants, SETTINGS, "key_group") == before
