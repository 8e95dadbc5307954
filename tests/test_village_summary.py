"""A township's villages read from the village summary equal the case table, on SQLite and PostgreSQL.

The map's counts per village (intake, disputes handled and mediated, overdue and red-carded at the period's
end) and the safety index's counts (per village and for the township, over every slicing the pages ask for)
are computed twice: from `sum_village`, the overdue spans and `sum_red_cards` (`data.queries.villages`), and
from the cases themselves. Then again after an import-like change.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from test_safety_summaries import assert_same_counts, random_slicings
from test_summaries import _simulate_import, _undo_import

from data.filters import AreaRef, Period, find_area
from data.maintenance import after_cases_changed
from data.queries import map as qm
from data.queries import safety as qs
from data.queries.villages import uses_village_summary, village_counts
from data.vocab import Kind

KIND_CHOICES = [(), (str(Kind.DISPUTE),), (str(Kind.PETITION), str(Kind.HAZARD))]


def townships(engine: Engine, n: int, seed: int) -> list[AreaRef]:
    """The busiest township, the one `_simulate_import` adds cases to, and n − 2 others at random."""
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT township_code FROM cases GROUP BY township_code "
                                  "ORDER BY COUNT(*) DESC, township_code")).scalars().all()
        imported = conn.execute(text("SELECT township_code FROM cases WHERE county_code = '321322000000' "
                                     "ORDER BY id LIMIT 1")).scalar_one()  # `_simulate_import`'s template
    rest = random.Random(seed).sample(codes[1:], n - 2)
    return [find_area(engine, c) for c in dict.fromkeys([codes[0], imported, *rest])]


def assert_same_safety_counts(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> Counter:
    return assert_same_counts(engine, area, slices, by_child, qs._counts_from_villages)


def test_safety_counts_of_villages_equal_the_case_table(small_db: Engine) -> None:
    areas = townships(small_db, 6, seed=3)
    assert all(uses_village_summary(small_db, a) for a in areas)
    seen = Counter()
    for i, slices in enumerate(random_slicings(random.Random(11), 24)):
        for area in areas[i % 2::2] if i % 3 else areas:
            for by_child in (True, False):
                seen += assert_same_safety_counts(small_db, area, slices, by_child)
    for name in ("reg_dispute", "reg_petition", "repeat", "closed", "resolved", "mediated", "open", "overdue", "red"):
        assert seen[name] > 0, name


def map_both_ways(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...],
                  monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    fast = qm.child_metrics(engine, area, period, kinds)
    with monkeypatch.context() as m:
        m.setattr(qm, "uses_village_summary", lambda _engine, _area: False)
        slow = qm.child_metrics(engine, area, period, kinds)
    return fast, slow


def test_map_of_a_township_equals_the_case_table(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(8)
    totals = Counter()
    periods = [Period(date(2023, 1, 1), date(2023, 12, 31)), Period(date(2022, 3, 14), date(2022, 3, 14)),
               Period(date(2021, 12, 20), date(2022, 2, 9))]
    periods += [Period(s, s + timedelta(days=rng.choice([0, 6, 30, 91, 200])))
                for s in (date(2021, 1, 1) + timedelta(days=rng.randrange(1000))
                          for _ in range(6))]
    for i, period in enumerate(periods):
        for area in townships(small_db, 4, seed=i):
            kinds = KIND_CHOICES[i % len(KIND_CHOICES)]
            fast, slow = map_both_ways(small_db, area, period, kinds, monkeypatch)
            pd.testing.assert_frame_equal(fast, slow)
            totals.update(slow[["cases", "handled", "mediated", "overdue", "red_cards"]].sum().to_dict())
    assert min(totals.values()) > 0, totals


def test_villages_follow_an_import(small_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an import's after_cases_changed the summary path still equals the cases (and shows the change)."""
    county_town = townships(small_db, 2, seed=0)[1]
    period = Period(date(2023, 11, 1), date(2023, 11, 30))
    before = village_counts(small_db, county_town, [period], standing=("open", "overdue", "red_open"))
    ids, changed = _simulate_import(small_db)
    try:
        assert not uses_village_summary(small_db, county_town)
        after_cases_changed(small_db)
        assert uses_village_summary(small_db, county_town)
        after = village_counts(small_db, county_town, [period], standing=("open", "overdue", "red_open"))
        assert after != before
        for slices in ([period], [qs.previous_period(period), period], qs.month_slices(Period(period.start,
                                                                                            date(2023, 12, 31)))):
            assert_same_safety_counts(small_db, county_town, slices, True)
        fast, slow = map_both_ways(small_db, county_town, period, (), monkeypatch)
        pd.testing.assert_frame_equal(fast, slow)
    finally:
        _undo_import(small_db, ids, changed)


def test_red_carded_case_closing_on_the_day_after_the_period_still_counts(small_db: Engine,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The edge the running sums and `closed_day` must get right: a red-carded case closed during the day after
    the period was still open at the period's end (midnight)."""
    with small_db.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.township_code, c.closed_at FROM cases c JOIN case_cards k ON k.case_id = c.id "
            "WHERE k.color = 'red' AND c.closed_at IS NOT NULL AND k.issued_at < c.closed_at "
            "ORDER BY c.id LIMIT 4")).all()
    assert rows
    for township, closed_at in rows:
        closed = pd.Timestamp(closed_at).date()
        period = Period(closed - timedelta(days=40), closed - timedelta(days=1))
        fast, slow = map_both_ways(small_db, find_area(small_db, township), period, (), monkeypatch)
        pd.testing.assert_frame_equal(fast, slow)
        assert slow["red_cards"].sum() > 0
