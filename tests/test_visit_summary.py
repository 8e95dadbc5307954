"""Visit counts of the /grids page: from `sum_visits` (city, county, township) they equal the visits counted one
by one, over many periods; a visit added without a rebuild sends the readers back to the visits."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, text

from data.filters import Period, city, find_area
from data.maintenance import after_cases_changed
from data.queries import grids
from data.summaries import visits_fresh


def _views(engine: Engine) -> list:
    with engine.connect() as conn:
        towns = [t for (t,) in conn.execute(text("SELECT DISTINCT township_code FROM grid_visits ORDER BY 1"))]
        counties = [c for (c,) in conn.execute(text("SELECT DISTINCT county_code FROM grid_visits ORDER BY 1"))]
    return [city(engine), *(find_area(engine, c) for c in counties), *(find_area(engine, t) for t in towns[::15])]


def _periods(seed: int) -> list[Period]:
    rng = random.Random(seed)
    out = [Period(date(2023, 1, 1), date(2023, 12, 31)), Period(date(2022, 12, 31), date(2023, 1, 1)),
           Period(date(2021, 1, 1), date(2021, 1, 1)), Period(date(2023, 12, 30), date(2024, 2, 3))]
    for _ in range(8):
        start = date(2021, 1, 1) + timedelta(days=rng.randrange(0, 1090))
        out.append(Period(start, start + timedelta(days=rng.randrange(0, 400))))
    return out


def _both(engine: Engine, area, period: Period, monkeypatch) -> tuple:
    summary = grids.visits_by_month(engine, area, period)
    with monkeypatch.context() as m:
        m.setattr(grids, "visits_fresh", lambda _engine: False)
        raw = grids.visits_by_month(engine, area, period)
    return summary, raw


def test_visit_counts_from_the_summary_equal_the_visits(small_db: Engine, monkeypatch) -> None:
    assert visits_fresh(small_db)
    total = 0
    for area in _views(small_db):
        for period in _periods(seed=len(area.code)):
            summary, raw = _both(small_db, area, period, monkeypatch)
            assert summary.equals(raw), (area.code, period)
            total += int(summary["total"].sum())
    assert total > 0


def test_a_visit_added_without_a_rebuild_is_counted_from_the_visits(small_db: Engine, monkeypatch) -> None:
    area, period = city(small_db), Period(date(2023, 6, 1), date(2023, 6, 30))
    before = int(grids.visits_by_month(small_db, area, period)["total"].sum())
    with small_db.begin() as conn:
        person = conn.execute(text("SELECT id, grid_code, village_code, township_code, county_code FROM key_persons "
                                   "ORDER BY id LIMIT 1")).one()
        new_id = conn.execute(text("SELECT MAX(id) + 1 FROM grid_visits")).scalar_one()
        conn.execute(text("INSERT INTO grid_visits (id, person_id, grid_code, village_code, township_code, "
                          "county_code, at, mode) VALUES (:i, :p, :g, :v, :t, :c, :at, 'routine')"),
                     {"i": new_id, "p": person.id, "g": person.grid_code, "v": person.village_code,
                      "t": person.township_code, "c": person.county_code, "at": datetime(2023, 6, 15)})
    try:
        assert not visits_fresh(small_db)
        assert int(grids.visits_by_month(small_db, area, period)["total"].sum()) == before + 1
        after_cases_changed(small_db)
        assert visits_fresh(small_db)
        summary, raw = _both(small_db, area, period, monkeypatch)
        assert summary.equals(raw) and int(summary["total"].sum()) == before + 1
    finally:
        with small_db.begin() as conn:
            conn.execute(text("DELETE FROM grid_visits WHERE id = :i"), {"i": new_id})
        after_cases_changed(small_db)
    assert visits_fresh(small_db)
