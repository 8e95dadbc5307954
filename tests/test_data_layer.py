"""The data layer on both backends: same data, same answers, and the published rates at another size."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from data import published
from data.db import reader
from data.filters import Period, city, find_area
from data.stats import stats

SCALE = 8_000 / published.DEFAULT_CASES
PERIODS = [Period(*published.DISPUTE_WINDOW), Period(date(2022, 1, 1), date(2022, 12, 31)),
           Period(date(2023, 12, 1), date(2023, 12, 31))]


def test_rates_hold_and_counts_scale(small_db) -> None:
    s = stats(small_db, city(small_db), Period(*published.DISPUTE_WINDOW))
    assert abs(s["disputes_handled"] - published.DISPUTES_HANDLED * SCALE) <= published.DISPUTES_HANDLED * SCALE * 0.01
    assert abs(s["mediation_success_rate"] - published.MEDIATION_SUCCESS_RATE) <= 0.3
    assert abs(s["first_petitions_yoy"] - published.FIRST_PETITIONS_YOY) <= 0.3
    # The structure does not scale with the number of cases.
    assert (s["institutions"], s["center_staff"], s["grid_liaisons"], s["demo_grids"]) == (
        published.INSTITUTIONS, published.CENTER_STAFF, published.GRID_LIAISONS, published.DEMO_GRIDS)


def test_hierarchy_integrity(small_db) -> None:
    checks = {
        "county ancestors": "SELECT COUNT(*) FROM areas WHERE level IN ('county','township','village','grid') "
                            "AND county_code <> SUBSTR(code, 1, 6) || '000000'",
        "township ancestors": "SELECT COUNT(*) FROM areas WHERE level IN ('township','village','grid') "
                              "AND township_code <> SUBSTR(code, 1, 9) || '000'",
        "village ancestors": "SELECT COUNT(*) FROM areas WHERE level IN ('village','grid') "
                             "AND village_code <> SUBSTR(code, 1, 12)",
        "parents one level up": "SELECT COUNT(*) FROM areas a JOIN areas p ON p.code = a.parent_code "
                                "WHERE (a.level, p.level) NOT IN (('county','city'),('township','county'),"
                                "('village','township'),('grid','village'))",
        "orphans": "SELECT COUNT(*) FROM areas WHERE parent_code IS NULL AND level <> 'city'",
        "case ancestors": "SELECT COUNT(*) FROM cases c JOIN areas g ON g.code = c.grid_code WHERE "
                          "g.level <> 'grid' OR c.village_code <> g.village_code OR "
                          "c.township_code <> g.township_code OR c.county_code <> g.county_code",
        "closed before reported": "SELECT COUNT(*) FROM cases WHERE closed_at < reported_at",
        "status agrees": "SELECT COUNT(*) FROM cases WHERE (status = 'open') <> (closed_at IS NULL)",
        "events out of order": "SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                               "WHERE e.at < c.reported_at OR (c.closed_at IS NOT NULL AND e.at > c.closed_at)",
        "cards on time": "SELECT COUNT(*) FROM case_cards k JOIN cases c ON c.id = k.case_id "
                         "WHERE k.issued_at < c.due_at OR (c.closed_at IS NOT NULL AND k.issued_at >= c.closed_at)",
    }
    with small_db.connect() as conn:
        for name, sql in checks.items():
            assert conn.execute(text(sql)).scalar_one() == 0, name
        levels = dict(conn.execute(text("SELECT level, COUNT(*) FROM areas GROUP BY level")).all())
        distinct = conn.execute(text("SELECT COUNT(DISTINCT code) FROM areas")).scalar_one()
    assert levels["city"] == 1 and levels["county"] == 5 and levels["township"] == 132
    assert 1_300 <= levels["village"] <= 1_500 and levels["grid"] >= 18_000
    assert distinct == sum(levels.values())


def test_every_case_has_registered_and_closed_events(small_db) -> None:
    with small_db.connect() as conn:
        missing = conn.execute(text(
            "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id "
            "AND e.step = 'registered') OR (c.closed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_events e "
            "WHERE e.case_id = c.id AND e.step = 'closed'))")).scalar_one()
        escalated = conn.execute(text(
            "SELECT COUNT(*) FROM cases WHERE first_level <> final_level")).scalar_one()
        escalation_events = conn.execute(text(
            "SELECT COUNT(DISTINCT case_id) FROM case_events WHERE step = 'escalated'")).scalar_one()
    assert missing == 0
    assert escalated == escalation_events > 0


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_identical_answers(small_sqlite, small_pg) -> None:
    for code in ("321300", "321322", "321324", "321322101"):
        for period in PERIODS:
            a = stats(small_sqlite, find_area(small_sqlite, code) or city(small_sqlite), period)
            b = stats(small_pg, find_area(small_pg, code) or city(small_pg), period)
            assert a == b, (code, period)


def test_reads_skip_the_transaction_and_writes_keep_it(small_db) -> None:
    """`data.db.reader` shares the engine's pool: its connections run each statement on its own (nothing to
    roll back), and a connection it returns to the pool must be transactional again for the next writer."""
    read, keys = reader(small_db), ("reader-test-1", "reader-test-2")

    def present(key: str) -> bool:
        with read.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM meta WHERE key = :k"), {"k": key}).scalar_one() == 1

    try:
        with read.connect() as conn:  # closed without a commit: kept all the same, there was no transaction
            conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, 'x')"), {"k": keys[0]})
        assert present(keys[0])
        with pytest.raises(RuntimeError), small_db.begin() as conn:  # most likely the connection just returned
            conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, 'x')"), {"k": keys[1]})
            raise RuntimeError("roll back")
        assert not present(keys[1])
    finally:
        with small_db.begin() as conn:
            conn.execute(text("DELETE FROM meta WHERE key IN (:a, :b)"), {"a": keys[0], "b": keys[1]})
