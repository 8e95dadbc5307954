"""bench.scale multiplies a PostgreSQL demo's cases in place: every case-driven count is exactly ×factor, the
summaries equal the raw aggregation afterwards, and running it again changes nothing.

Uses its own database (`scale_test`, built afresh) beside the suite's `test`.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from test_summaries import check_everything

from data.db import get_meta, make_engine
from data.filters import Period, city
from data.queries import summary
from data.summaries import summaries_fresh

BASE, FACTOR = 5_000, 3
COUNTED = ("cases", "case_events", "case_cards", "case_parties", "backlog_listings", "backlog_color_changes",
           "supervision_listings", "risk_warnings")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in COUNTED}


@pytest.fixture(scope="module")
def scale_url(pg_url: str) -> str:
    """A fresh `scale_test` database (dropped first: a database left by an older schema must not be reused)."""
    url = make_url(pg_url).set(database="scale_test")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS scale_test WITH (FORCE)")
    admin.dispose()
    return url.render_as_string(hide_password=False)


def test_scaling_multiplies_the_cases_and_keeps_summaries_exact(scale_url: str) -> None:
    from bench.scale import scale

    scale(scale_url, 1, base_cases=BASE)  # the base alone (built if missing, earlier copies removed)
    engine = make_engine(scale_url)
    try:
        period = Period(date(2023, 1, 1), date(2023, 9, 14))
        before = _counts(engine)
        registered = summary.cases_registered(engine, city(engine), period)
        scale(scale_url, FACTOR, base_cases=BASE)
        after = _counts(engine)
        for table in COUNTED[:6]:
            assert after[table] == FACTOR * before[table], table
        assert after["supervision_listings"] == before["supervision_listings"]  # not case-volume driven
        assert get_meta(engine, "cases") == str(BASE * FACTOR)
        assert summaries_fresh(engine)
        assert summary.cases_registered(engine, city(engine), period) == FACTOR * registered
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(DISTINCT case_no) FROM cases")).scalar_one() == BASE * FACTOR
            span = "MIN(reported_at), MAX(reported_at), MAX(closed_at), MAX(due_at)"
            assert conn.execute(text(f"SELECT {span} FROM cases")).one() == conn.execute(
                text(f"SELECT {span} FROM cases WHERE id <= :n"), {"n": BASE}).one()  # the base's time range
        intake, standing = check_everything(engine, seed=5)
        assert intake > 0 and standing > 0
        version = get_meta(engine, "data_version")
        scale(scale_url, FACTOR, base_cases=BASE)  # already scaled: nothing happens
        assert get_meta(engine, "data_version") == version and _counts(engine) == after
    finally:
        engine.dispose()
