"""The supervision views read from `sum_listings` / `sum_listing_late` equal the listings joined to their cases.

Tiles, list and task forces are computed twice — from the listing summary and from the listings joined to
the cases — for the city, every county, townships and a village over random periods, and the overdue
milestone count at the exact instants where a stretch starts or ends. Then again after an import closes one
listed case and reopens another; and a listing added without a rebuild is seen at once (the case path).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, case, func, select, text

from data.filters import AreaRef, Period, find_area
from data.maintenance import after_cases_changed
from data.models_ops import SupervisionListing, SupervisionMilestone
from data.queries import supervision as sq
from data.summaries import listings_fresh

CITY = "321300"


def areas_with_listings(engine: Engine, seed: int) -> list[AreaRef]:
    """The city, every county, the three townships with most listings, two random ones and a village."""
    with engine.connect() as conn:
        counties = conn.execute(text("SELECT DISTINCT county_code FROM cases ORDER BY 1")).scalars().all()
        towns = conn.execute(text(
            "SELECT c.township_code FROM supervision_listings l JOIN cases c ON c.id = l.case_id "
            "GROUP BY c.township_code ORDER BY COUNT(*) DESC, c.township_code")).scalars().all()
        village = conn.execute(text(
            "SELECT c.village_code FROM supervision_listings l JOIN cases c ON c.id = l.case_id "
            "GROUP BY c.village_code ORDER BY COUNT(*) DESC, c.village_code LIMIT 1")).scalar_one()
    rng = random.Random(seed)
    codes = [CITY, *counties, *towns[:3], *rng.sample(towns[3:], 2), village]
    return [find_area(engine, code) for code in codes]


def random_periods(rng: random.Random, n: int) -> list[Period]:
    periods = [Period(date(2023, 1, 1), date(2023, 12, 31)), Period(date(2022, 8, 1), date(2023, 9, 14))]
    for _ in range(n):
        start = date(2021, 1, 1) + timedelta(days=rng.randrange(1100))
        periods.append(Period(start, start + timedelta(days=rng.choice([0, 6, 30, 91, 365]))))
    return periods


def both_ways(query, engine: Engine, area: AreaRef, period: Period,
              monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert listings_fresh(engine)
    fast = query(engine, area, period)
    with monkeypatch.context() as m:
        m.setattr(sq, "listings_fresh", lambda _engine: False)
        m.setattr(sq, "uses_summaries", lambda _engine, _area: False)
        slow = query(engine, area, period)
    return fast, slow


def assert_views_agree(engine: Engine, areas: list[AreaRef], periods: list[Period],
                       monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Tiles, list and task forces equal on both paths; returns the tiles added up."""
    seen = Counter()
    for i, period in enumerate(periods):
        for area in areas[i % 2::2] if i % 3 else areas:
            for query in (sq.supervision_summary, sq.supervision_list, sq.task_forces):
                fast, slow = both_ways(query, engine, area, period, monkeypatch)
                pd.testing.assert_frame_equal(fast, slow, obj=f"{query.__name__} {area.code} {period}")
            seen.update(slow_tiles(engine, area, period, monkeypatch))
    return seen


def slow_tiles(engine: Engine, area: AreaRef, period: Period, monkeypatch: pytest.MonkeyPatch) -> dict:
    with monkeypatch.context() as m:
        m.setattr(sq, "listings_fresh", lambda _engine: False)
        m.setattr(sq, "uses_summaries", lambda _engine, _area: False)
        return sq.supervision_summary(engine, area, period).iloc[0].to_dict()


def test_supervision_views_equal_the_case_join(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    areas = areas_with_listings(small_db, seed=4)
    seen = assert_views_agree(small_db, areas, random_periods(random.Random(9), 14), monkeypatch)
    for name in ("listed", "resolved", "in_progress", "overdue_milestones", "listed_in_period"):
        assert seen[name] > 0, name


def late_total(engine: Engine, src: sq.Listed, at: datetime) -> int:
    """Overdue milestones of still-open listings at `at`, through the listing source's per-listing count."""
    stmt = (select(func.coalesce(func.sum(case((src.still_open(at), src.late(at)), else_=0)), 0))
            .select_from(src.source).where(src.where(at)))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def boundary_instants(engine: Engine, n: int) -> list[datetime]:
    """Instants where overdue stretches start or end: due, done, listed and closing times, and a second after."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT m.due_at, m.done_at, l.listed_at, c.closed_at FROM supervision_milestones m "
            "JOIN supervision_listings l ON l.id = m.listing_id JOIN cases c ON c.id = l.case_id "
            "WHERE m.done_at IS NULL OR m.done_at > m.due_at ORDER BY m.id")).all()
    instants = sorted({pd.Timestamp(v).to_pydatetime() for row in rows for v in row if v is not None})
    picked = random.Random(2).sample(instants, min(n, len(instants)))
    return [t + delta for t in picked for delta in (timedelta(0), timedelta(seconds=1))]


def test_overdue_milestones_at_the_edges_of_their_stretches(small_db: Engine,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """At an instant a milestone falls due, is done, or its case closes, both paths count the same."""
    city = find_area(small_db, CITY)
    county = find_area(small_db, "321322")
    fast_city, fast_county = sq.listed(small_db, city), sq.listed(small_db, county)
    monkeypatch.setattr(sq, "listings_fresh", lambda _engine: False)
    slow_city, slow_county = sq.listed(small_db, city), sq.listed(small_db, county)
    assert fast_city.late_source is not None and slow_city.late_source is None
    total = 0
    for at in boundary_instants(small_db, 40):
        want = late_total(small_db, slow_city, at)
        assert late_total(small_db, fast_city, at) == want, at
        assert late_total(small_db, fast_county, at) == late_total(small_db, slow_county, at), at
        with small_db.connect() as conn:  # the tiles' own count: the area's stretches on their index
            direct = conn.execute(select(func.count()).where(sq.late_at(sq.LATE, at))).scalar_one()
        assert direct == want, at
        total += want
    assert total > 0


def _pick_listed(engine: Engine) -> tuple[tuple, tuple, datetime]:
    """A listed case still open at the data's end and a listed case closed as 调解成功 (id, closed_at,
    outcome, status each), and when the first could close (three days after it was registered)."""
    with engine.connect() as conn:  # the open one with most milestones not done: overdue until it closes
        pick = ("SELECT c.id, c.closed_at, c.outcome, c.status FROM supervision_listings l JOIN cases c "
                "ON c.id = l.case_id WHERE c.county_code = '321322000000' AND {} ORDER BY (SELECT COUNT(*) FROM "
                "supervision_milestones m WHERE m.listing_id = l.id AND m.done_at IS NULL) DESC, c.id LIMIT 1")
        still_open = conn.execute(text(pick.format("c.closed_at IS NULL"))).one()
        resolved = conn.execute(text(pick.format("c.outcome = 'mediated'"))).one()
        reported = conn.execute(text("SELECT reported_at FROM cases WHERE id = :i"), {"i": still_open[0]}).scalar()
    return tuple(still_open), tuple(resolved), pd.Timestamp(reported).to_pydatetime() + timedelta(days=3)


def _set_case(engine: Engine, case_id: int, closed_at: datetime | None, outcome: str | None, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET closed_at = :c, outcome = :o, status = :s WHERE id = :i"),
                     {"c": closed_at, "o": outcome, "s": status, "i": case_id})


def flags_of(frame: pd.DataFrame, case_id: int) -> tuple[bool, bool, int]:
    """A listed case's row: resolved, closed, overdue milestones."""
    row = frame.loc[frame["case_id"] == case_id].iloc[0]
    return bool(row["resolved"]), bool(row["closed"]), int(row["overdue"])


def test_listing_summary_follows_an_import(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import closes a listed case (its overdue milestones stop counting) and reopens another: once the
    summaries are rebuilt the summary path shows both changes and agrees with the case join again."""
    county = find_area(small_db, "321322")
    period = Period(date(2021, 1, 1), date(2023, 12, 31))
    before = sq.supervision_summary(small_db, county, period).iloc[0].to_dict()
    still_open, resolved, close_at = _pick_listed(small_db)
    resolved_open, closed_open, late = flags_of(sq.supervision_list(small_db, county, period), still_open[0])
    assert (resolved_open, closed_open) == (False, False) and late > 0
    assert flags_of(sq.supervision_list(small_db, county, period), resolved[0]) == (True, True, 0)
    try:
        _set_case(small_db, still_open[0], close_at, "mediated", "closed")
        _set_case(small_db, resolved[0], None, None, "open")
        after_cases_changed(small_db)
        listing = sq.supervision_list(small_db, county, period)
        assert flags_of(listing, still_open[0]) == (True, True, 0)
        *reopened_flags, reopened_late = flags_of(listing, resolved[0])
        assert reopened_flags == [False, False]
        tiles = sq.supervision_summary(small_db, county, period).iloc[0]
        assert tiles["overdue_milestones"] == before["overdue_milestones"] - late + reopened_late
        assert tiles["resolved"] == before["resolved"]  # one more, one fewer
        areas = [find_area(small_db, CITY), county]
        assert_views_agree(small_db, areas, random_periods(random.Random(1), 4), monkeypatch)
    finally:
        _set_case(small_db, still_open[0], *still_open[1:])
        _set_case(small_db, resolved[0], *resolved[1:])
        after_cases_changed(small_db)
    assert sq.supervision_summary(small_db, county, period).iloc[0].to_dict() == before


def test_a_listing_added_without_a_rebuild_is_counted_at_once(small_db: Engine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary is not trusted once a listing is newer than it: the views fall back to the case join. After
    the rebuild the summary agrees, also for a milestone that fell due before its case was listed (overdue
    only from the listing on)."""
    county = find_area(small_db, "321322")
    period = Period(date(2023, 1, 1), date(2023, 12, 31))
    before = sq.supervision_summary(small_db, county, period).iloc[0]
    listings, milestones = SupervisionListing.__table__, SupervisionMilestone.__table__
    with small_db.connect() as conn:
        case_id = conn.execute(text(
            "SELECT c.id FROM cases c LEFT JOIN supervision_listings l ON l.case_id = c.id WHERE l.id IS NULL "
            "AND c.county_code = '321322000000' AND c.closed_at IS NULL ORDER BY c.id LIMIT 1")).scalar_one()
        new_id = conn.execute(select(func.max(listings.c.id))).scalar_one() + 1
        milestone_id = conn.execute(select(func.max(milestones.c.id))).scalar_one() + 1
    listed_at = datetime(2023, 3, 1, 10)
    with small_db.begin() as conn:
        conn.execute(listings.insert().values(id=new_id, case_id=case_id, listed_at=listed_at,
                                              coordinator="甲", supervisor="乙", handler="丙"))
        conn.execute(milestones.insert().values(id=milestone_id, listing_id=new_id, seq=1, title="补办",
                                                due_at=datetime(2023, 2, 20, 9), done_at=None))
    try:
        assert not listings_fresh(small_db)
        after = sq.supervision_summary(small_db, county, period).iloc[0]
        assert after["listed"] == before["listed"] + 1
        assert after["listed_in_period"] == before["listed_in_period"] + 1
        assert after["overdue_milestones"] == before["overdue_milestones"] + 1
        after_cases_changed(small_db)
        assert listings_fresh(small_db)
        for end in (date(2023, 2, 24), date(2023, 2, 28), date(2023, 3, 1)):  # due, not listed; listed
            fast, slow = both_ways(sq.supervision_summary, small_db, county, Period(date(2023, 1, 1), end),
                                   monkeypatch)
            pd.testing.assert_frame_equal(fast, slow, obj=str(end))
        fast, slow = both_ways(sq.supervision_list, small_db, county, Period(date(2023, 1, 1), date(2023, 3, 1)),
                               monkeypatch)
        assert flags_of(fast, case_id) == flags_of(slow, case_id) == (False, False, 1)
    finally:
        with small_db.begin() as conn:
            conn.execute(milestones.delete().where(milestones.c.id == milestone_id))
            conn.execute(listings.delete().where(listings.c.id == new_id))
        after_cases_changed(small_db)
    assert listings_fresh(small_db)
