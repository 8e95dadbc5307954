"""平安指数 counts read from the summaries equal the case-table computation, on SQLite and PostgreSQL.

A city or a county reads its safety counts (intake per kind, repeat petitions, closures, 化解, mediation, open
and overdue at each slice's end, red cards) from the summary tables; a township or anything below, and any area
while the summaries are stale, reads the case table. Both paths are called directly here over many slicings of
time — whole months, partial months, single days, periods across year ends, the trend's months, the breakdown's
two periods — for the city and every county, per child and in total; then again after an import-like change.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text
from test_summaries import MIDNIGHT, _simulate_import, _undo_import

from data.alert_rules import OpsSettings
from data.filters import AreaRef, Period, city, find_area
from data.maintenance import after_cases_changed
from data.models import Case
from data.queries import safety as qs
from data.queries.base import uses_summaries
from data.summaries import summaries_fresh

FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2023, 12, 31)
SETTINGS = OpsSettings.load()


def _month_end(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def random_slicings(rng: random.Random, n: int) -> list[list[Period]]:
    """n lists of contiguous slices, of every shape the page asks for (and a few beyond the data)."""
    out: list[list[Period]] = []
    for i in range(n):
        start = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 60))
        shape = i % 6
        if shape == 0:  # whole months
            start = start.replace(day=1)
            end = start
            for _ in range(rng.choice([1, 2, 3, 12])):
                end = _month_end(end) + timedelta(days=1)
            period = Period(start, end - timedelta(days=1))
        elif shape == 1:  # a single day, often a month's first or last
            day = rng.choice([start, start.replace(day=1), _month_end(start)])
            period = Period(day, day)
        elif shape == 2:  # across a year end
            year = rng.choice([2021, 2022, 2023])
            period = Period(date(year, 12, rng.randint(1, 31)), date(year + 1, 1, rng.randint(1, 31)))
        else:  # partial months of any length
            period = Period(start, start + timedelta(days=rng.choice([6, 20, 45, 92, 200, 365])))
        kind = rng.choice(["one", "breakdown", "trend"])
        out.append([period] if kind == "one" else
                   [qs.previous_period(period), period] if kind == "breakdown" else qs.month_slices(period))
    return out


def nonzero(counts: dict) -> dict:
    """Counts without zeros and without keys whose counts are all zero (the two paths differ only there)."""
    return {key: +c for key, c in counts.items() if +c}


def assert_same_counts(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool,
                       fast: Callable[..., dict] = qs._counts_from_summaries) -> Counter:
    """Summary path (`fast`) == case-table path; returns the counts added up (to show the check was not vacuous)."""
    got = nonzero(fast(engine, area, slices, by_child))
    want = nonzero(qs._counts_from_cases(engine, area, slices, by_child))
    diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
    assert not diff, (area.code, slices[0], slices[-1], len(slices), by_child, list(diff.items())[:3])
    return sum(want.values(), Counter())


def summary_areas(engine: Engine) -> list[AreaRef]:
    with engine.connect() as conn:
        counties = conn.execute(text("SELECT DISTINCT county_code FROM cases ORDER BY 1")).scalars().all()
    return [city(engine), *[find_area(engine, c) for c in counties]]


def test_summary_counts_equal_case_table_counts(small_db: Engine) -> None:
    areas = summary_areas(small_db)
    assert len(areas) == 6 and all(uses_summaries(small_db, a) for a in areas)
    seen = Counter()
    for slices in random_slicings(random.Random(5), 30):
        for area in areas:
            for by_child in (True, False):
                seen += assert_same_counts(small_db, area, slices, by_child)
    for name in ("reg_dispute", "reg_petition", "repeat", "closed", "resolved", "mediated", "open", "overdue", "red"):
        assert seen[name] > 0, name


def test_indicators_are_the_same_from_either_path(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: every indicator of the city and a county, per child and in total, is the same when the
    summaries are not used."""
    config = qs.SafetyConfig.load()
    periods = [Period(date(2023, 1, 1), date(2023, 12, 31)), Period(date(2022, 11, 17), date(2023, 2, 3))]
    views = [(area, slices, by_child) for area in (city(small_db), find_area(small_db, "321322"))
             for p in periods for slices, by_child in (([p], True), ([qs.previous_period(p), p], False),
                                                        (qs.month_slices(p), False))]
    fast = [qs.indicator_table(small_db, a, s, SETTINGS, config, b) for a, s, b in views]
    monkeypatch.setattr(qs, "uses_summaries", lambda _engine, _area: False)
    for (area, slices, by_child), got in zip(views, fast, strict=True):
        pd.testing.assert_frame_equal(got, qs.indicator_table(small_db, area, slices, SETTINGS, config, by_child))


def test_red_cards_below_a_county_from_their_summary_equal_the_cards(small_db: Engine,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A township's or village's red cards per slice (and per child) read sum_red_cards; the same counts come
    from the cards joined to the cases."""
    with small_db.connect() as conn:
        codes = [conn.execute(text(f"SELECT c.{level}_code FROM case_cards cc JOIN cases c ON c.id = cc.case_id "
                                   f"WHERE cc.color = 'red' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar_one()
                 for level in ("township", "village")]
    areas = [find_area(small_db, code) for code in codes]
    views = [(area, slices, by_child) for slices in random_slicings(random.Random(9), 12) for area in areas
             for by_child in (True, False)]
    fast = [qs._red_cards(small_db, area, slices, by_child) for area, slices, by_child in views]
    monkeypatch.setattr(qs, "summaries_fresh", lambda _engine: False)
    for (area, slices, by_child), got in zip(views, fast, strict=True):
        assert got == qs._red_cards(small_db, area, slices, by_child), (area.code, slices[0], by_child)
    assert sum(sum(counts.values()) for counts in fast) > 0


REPEAT_DAY = MIDNIGHT  # a repeat petition registered at exactly midnight
RED_MIDNIGHT = datetime(2023, 11, 15)  # a second red card for one case, issued at exactly midnight


def _add_repeat_petition_and_red_card(engine: Engine, card_case: int) -> int:
    """On top of the simulated import: a petition with repeat visits registered at midnight, and a second red
    card (issued at midnight) for a case that already has one, both written as the demo loader writes them."""
    cases = Case.__table__
    with engine.connect() as conn:
        template = conn.execute(select(cases).where(cases.c.county_code == "321322000000", cases.c.kind == "petition")
                                .order_by(cases.c.id).limit(1)).one()._asdict()
        top = conn.execute(text("SELECT MAX(id) FROM cases")).scalar_one()
    row = {**template, "id": top + 1, "case_no": f"IMPORT{top + 1}", "status": "open", "card": None,
           "reported_at": REPEAT_DAY, "due_at": REPEAT_DAY + timedelta(days=10), "closed_at": None, "outcome": None,
           "repeat_visits": 2}
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO cases ({', '.join(row)}) VALUES ({', '.join([mark] * len(row))})",
                             tuple(row.values()))
        conn.exec_driver_sql(f"INSERT INTO case_cards (case_id, color, issued_at) VALUES ({mark}, 'red', {mark})",
                             (card_case, RED_MIDNIGHT))
    return top + 1


def _remove(engine: Engine, case_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM case_cards WHERE case_id = :i"), {"i": case_id})
        conn.execute(text("DELETE FROM cases WHERE id = :i"), {"i": case_id})


AROUND = [Period(date(2023, 11, 20), date(2023, 11, 20)), Period(date(2023, 11, 15), date(2023, 11, 15)),
          Period(date(2023, 11, 14), date(2023, 11, 14)), Period(date(2023, 11, 23), date(2023, 11, 23)),
          Period(date(2023, 11, 1), date(2023, 11, 30)), Period(date(2023, 10, 20), date(2023, 11, 15)),
          Period(date(2023, 11, 16), date(2024, 1, 10)), Period(date(2023, 6, 10), date(2023, 12, 5))]


def test_summary_counts_follow_an_import(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """New cases, cards and changed closures count the same on both paths once after_cases_changed ran, and the
    pages fall back to the case table (which already has them) before."""
    county = find_area(small_db, "321322")
    day = [Period(REPEAT_DAY.date(), REPEAT_DAY.date())]
    red_day = [Period(RED_MIDNIGHT.date(), RED_MIDNIGHT.date())]
    before = (qs._case_counts(small_db, county, day, False), qs._case_counts(small_db, county, red_day, False))
    ids, changed = _simulate_import(small_db)
    extra = _add_repeat_petition_and_red_card(small_db, ids[2])
    try:
        assert not uses_summaries(small_db, county)
        stale = qs._case_counts(small_db, county, day, False)[("", 0)]
        assert stale["repeat"] == before[0][("", 0)]["repeat"] + 1
        after_cases_changed(small_db)
        assert summaries_fresh(small_db) and uses_summaries(small_db, county)
        now = qs._counts_from_summaries(small_db, county, day, False)[("", 0)]
        assert now["repeat"] == stale["repeat"] and now["reg_petition"] == stale["reg_petition"]
        red = qs._counts_from_summaries(small_db, county, red_day, False)[("", 0)]
        assert red["red"] == before[1][("", 0)]["red"] + 1
        with small_db.connect() as conn:  # the township's own red-card index has the new card too
            town = find_area(small_db, conn.execute(text("SELECT township_code FROM cases WHERE id = :i"),
                                                    {"i": ids[2]}).scalar_one())
        fast = qs._red_cards(small_db, town, red_day, False)
        with monkeypatch.context() as m:
            m.setattr(qs, "summaries_fresh", lambda _engine: False)
            assert fast == qs._red_cards(small_db, town, red_day, False) and fast[("", 0)] >= 1
        for area in summary_areas(small_db):
            for p in AROUND:
                for slices in ([p], [qs.previous_period(p), p], qs.month_slices(p)):
                    for by_child in (True, False):
                        assert_same_counts(small_db, area, slices, by_child)
        for slices in random_slicings(random.Random(17), 8):
            for area in summary_areas(small_db):
                assert_same_counts(small_db, area, slices, True)
    finally:
        _remove(small_db, extra)
        _undo_import(small_db, ids, changed)
    assert summaries_fresh(small_db)
