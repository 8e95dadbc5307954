"""信访积案 board read from the backlog summaries equals the board computed from the color changes.

The city and the counties read who is on the board at an instant, by color, origin and child, from
`sum_backlog_board`; the case list reads `sum_backlog_spans` at every level. Both are checked against the
change-table path (the latest change before the instant, the case not closed by then) at many instants —
month ends, random days, days before the first listing and after the data — on SQLite and PostgreSQL; then
again after color changes that land on one day, after the closing, and at exactly midnight.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from data.filters import AreaRef, Period, city, find_area
from data.maintenance import after_cases_changed
from data.queries import backlog as qb

FIRST_DAY, LAST_DAY = date(2020, 6, 1), date(2024, 3, 31)


def areas(engine: Engine) -> list[AreaRef]:
    with engine.connect() as conn:
        counties = conn.execute(text("SELECT DISTINCT county_code FROM cases ORDER BY 1")).scalars().all()
        town = conn.execute(text("SELECT township_code FROM backlog_color_changes GROUP BY township_code "
                                 "ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    return [city(engine), *[find_area(engine, c) for c in counties], find_area(engine, town)]


def random_periods(rng: random.Random, n: int) -> list[Period]:
    out = []
    for _ in range(n):
        start = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        out.append(Period(start, start + timedelta(days=rng.choice([0, 6, 30, 91, 200, 365]))))
    return out


def both_paths(engine: Engine, monkeypatch: pytest.MonkeyPatch, call):
    """(summary answer, change-table answer) of `call()`."""
    fast = call()
    with monkeypatch.context() as m:
        m.setattr(qb, "board_days", lambda *_args: None)
        slow = call()
    return fast, slow


def assert_same_board(engine: Engine, monkeypatch: pytest.MonkeyPatch, area: AreaRef, period: Period) -> int:
    """Every board question of the area and period answers the same on both paths; returns the cases on it."""
    for by in (None, "origin", qb.child_column(area)):
        fast, slow = both_paths(engine, monkeypatch, lambda by=by: qb.board_counts(engine, area, period.hi, by))
        assert fast == slow, (area.code, period, by)
    fast, slow = both_paths(engine, monkeypatch, lambda: qb.color_trend(engine, area, period))
    pd.testing.assert_frame_equal(fast, slow)
    fast, slow = both_paths(engine, monkeypatch, lambda: qb.backlog_cases(engine, area, period, limit=60))
    pd.testing.assert_frame_equal(fast, slow)
    return sum(qb.board_counts(engine, area, period.hi).values())


def test_board_from_summaries_equals_board_from_changes(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    targets = areas(small_db)
    assert qb.board_days(small_db, targets[0], [datetime(2023, 1, 1)]) is not None  # the summary path is taken
    assert qb.board_days(small_db, targets[-1], [datetime(2023, 1, 1)]) is None  # a township reads the changes
    seen = 0
    periods = [Period(date(2023, 1, 1), date(2023, 12, 31)), Period(date(2010, 1, 1), date(2010, 2, 1)),
               Period(date(2024, 1, 1), date(2030, 6, 30)), *random_periods(random.Random(11), 14)]
    for period in periods:
        for area in targets:
            seen += assert_same_board(small_db, monkeypatch, area, period)
    assert seen > 100
    summary = qb.backlog_summary(small_db, targets[0], periods[0]).iloc[0]
    assert summary["on_board"] == summary["red"] + summary["yellow"] + summary["green"] > 0
    assert summary["listed"] > 0


def _backlog_case(engine: Engine) -> tuple[int, datetime, datetime]:
    """A closed backlog case with its last color change and closing time."""
    with engine.connect() as conn:
        case_id, closed = conn.execute(text(
            "SELECT c.id, c.closed_at FROM cases c WHERE c.backlog_color IS NOT NULL AND c.closed_at IS NOT NULL "
            "AND c.county_code = '321322000000' AND c.closed_at >= '2023-03-01' ORDER BY c.id LIMIT 1")).one()
        last = conn.execute(text("SELECT max(at) FROM backlog_color_changes WHERE case_id = :i"),
                            {"i": case_id}).scalar_one()
    as_dt = lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(str(v))  # noqa: E731
    return case_id, as_dt(last), as_dt(closed)


def test_board_follows_new_color_changes(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes written after the build make the board read the changes (never stale); once the summaries are
    rebuilt both paths agree again, with same-day changes, a change after the closing and a midnight change."""
    case_id, last, closed = _backlog_case(small_db)
    county = find_area(small_db, "321322")
    midnight = datetime.combine(last.date() + timedelta(days=1), datetime.min.time())
    added = [(last + timedelta(minutes=5), "green"), (last + timedelta(minutes=9), "yellow"),  # one day, twice
             (midnight, "red"), (closed + timedelta(days=3), "green")]  # at midnight; after the closing
    with small_db.connect() as conn:
        codes = conn.execute(text("SELECT county_code, township_code, village_code, grid_code FROM cases "
                                  "WHERE id = :i"), {"i": case_id}).one()
    day_after = Period(midnight.date(), midnight.date())
    before = qb.board_counts(small_db, county, day_after.hi, "township_code")
    mark = "?" if small_db.dialect.name == "sqlite" else "%s"
    with small_db.begin() as conn:
        previous = "red"
        for at, color in added:
            conn.exec_driver_sql(
                "INSERT INTO backlog_color_changes (case_id, at, from_color, to_color, county_code, township_code, "
                f"village_code, grid_code) VALUES ({', '.join([mark] * 8)})", (case_id, at, previous, color, *codes))
            previous = color
    try:
        assert qb.board_days(small_db, county, [day_after.hi]) is None  # stale: read from the changes
        stale = qb.board_counts(small_db, county, day_after.hi, "township_code")
        assert stale != before
        after_cases_changed(small_db)
        assert qb.board_days(small_db, county, [day_after.hi]) is not None
        assert qb.board_counts(small_db, county, day_after.hi, "township_code") == stale
        around = [Period(d, d) for d in (last.date(), midnight.date(), (midnight + timedelta(days=1)).date(),
                                         closed.date(), (closed + timedelta(days=4)).date())]
        for period in [*around, Period(last.date() - timedelta(days=40), closed.date() + timedelta(days=40))]:
            for area in (city(small_db), county):
                assert_same_board(small_db, monkeypatch, area, period)
    finally:
        with small_db.begin() as conn:
            conn.execute(text("DELETE FROM backlog_color_changes WHERE case_id = :i AND id > (SELECT max(id) - 4 "
                              "FROM backlog_color_changes)"), {"i": case_id})
        after_cases_changed(small_db)
    assert qb.board_days(small_db, county, [day_after.hi]) is not None
