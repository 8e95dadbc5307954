"""The demo loads the seed's published values exactly, marks everything synthetic, and feeds `stats`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from data.filters import Period, city
from data.stats import stats

CITY = "321300000000"
# (indicator, period, value or None, rank, rank total, rank group, tier) as published by the city
PUBLISHED = [
    ("crime_rate", "2021", 9.38, None, None, None, None),
    ("crime_rate", "2022", 7.0, None, None, None, None),
    ("crime_total", "2021", None, 8, 13, "全省", None),
    ("crime_total", "2022", None, 13, 13, "全省", "全省末位"),
    ("juvenile_crime", "2022", None, 6, 13, "全省", None),
    ("school_bullying_change", "2022", -25.0, None, None, None, None),
    ("fraud_awareness", "2023H1", 78.41, 2, None, "三类地区", "三类地区前列"),
    ("workforce_satisfaction", "2023H1", None, None, None, None, "全省第一方阵"),
    ("mediation_rate", "2023H1", None, None, None, None, "全省第一方阵"),
    ("dispute_resolution", "2023H1", None, None, None, None, "全省第一方阵"),
    ("security_resolution", "2023H1", None, None, None, None, "全省第一方阵"),
    ("safety_sense", "2023H1", None, None, None, None, "三类地区前列"),
]


def _row(engine, indicator: str, period: str):
    with engine.connect() as conn:
        return conn.execute(text("SELECT value, province_rank, rank_total, rank_group, tier, is_demo, rank_is_demo "
                                 "FROM indicator_values WHERE indicator_code = :i AND area_code = :a AND period_key = :p"),
                            {"i": indicator, "a": CITY, "p": period}).one()


def test_published_values_are_loaded_exactly_and_not_marked_demo(small_db) -> None:
    for indicator, period, value, rank, total, group, tier in PUBLISHED:
        row = _row(small_db, indicator, period)
        if value is not None:
            assert (row.value, bool(row.is_demo)) == (value, False), (indicator, period)
        else:
            assert bool(row.is_demo), (indicator, period)  # the value beside a published rank/tier is synthetic
        if rank is not None or tier is not None:
            assert (row.province_rank, row.rank_total, row.rank_group, row.tier) == (rank, total, group, tier)
            assert not bool(row.rank_is_demo), (indicator, period)


def test_everything_else_is_marked_demo(small_db) -> None:
    published_values = {(i, p) for i, p, v, *_ in PUBLISHED if v is not None}
    published_ranks = {(i, p) for i, p, _v, r, _t, _g, tier in PUBLISHED if r is not None or tier is not None}
    with small_db.connect() as conn:
        rows = conn.execute(text("SELECT indicator_code, area_code, period_key, is_demo, rank_is_demo "
                                 "FROM indicator_values")).all()
        other = {t: conn.execute(text(f"SELECT COUNT(*), SUM(CASE WHEN is_demo THEN 1 ELSE 0 END) FROM {t}")).one()
                 for t in ("campaigns", "plan_items", "media_items", "media_account_output")}
    for code, area, period, demo, rank_demo in rows:
        key = (code, period) if area == CITY else None
        assert bool(demo) == (key not in published_values), (code, area, period)
        assert bool(rank_demo) == (key not in published_ranks), (code, area, period)
    for table, (n, demo) in other.items():
        assert n > 0 and n == demo, table


def test_stats_has_the_strategic_keys(small_db) -> None:
    result = stats(small_db, city(small_db), Period(date(2023, 1, 1), date(2023, 12, 31)))
    assert result["plan_items"] == 31 and result["plan_done"] + result["plan_late"] <= 31
    assert result["opinion_items"] > 0 and 0 < result["opinion_negative_share"] < 100
    assert result["opinion_surges"] == 2  # the two weeks of the planted 2023 surge
