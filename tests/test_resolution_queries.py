"""化解率 queries against independent raw SQL on both backends; the tiles against `data.stats.stats`."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from sqlalchemy import text

from data.filters import Period, city, find_area
from data.queries.base import Grain
from data.queries.resolution import (
    ALL_KINDS,
    RankMetric,
    buckets,
    child_ranking,
    first_petitions_by_month,
    rates_by_category,
    rates_over_time,
    repeat_visits_by_month,
    resolution_kpis,
)
from data.queries.summary import first_petitions
from data.stats import stats

YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))
PART = Period(date(2023, 3, 15), date(2023, 8, 17))
RESOLVED = "c.outcome IN ('mediated', 'resolved')"


def _where(area, kinds: tuple[str, ...] = (), column: str = "c.closed_at") -> str:
    sql = f"{column} >= :lo AND {column} < :hi"
    if area.level != "city":
        sql += f" AND c.{area.level}_code = :code"
    if kinds:
        sql += f" AND c.kind IN ({', '.join(repr(k) for k in kinds)})"
    return sql


def _p(area, lo: datetime, hi: datetime) -> dict:
    return {"lo": lo, "hi": hi, "code": area.code}


def _month_after(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


@pytest.fixture
def county(small_db):
    with small_db.connect() as conn:
        code = conn.execute(text("SELECT county_code FROM cases GROUP BY county_code ORDER BY COUNT(*) DESC, "
                                 "county_code LIMIT 1")).scalar_one()
    return find_area(small_db, code)


def test_kpis_equal_stats_and_raw_sql(small_db, county) -> None:
    for area, period, kinds in ((city(small_db), YEAR, ()), (county, PART, ("security", "hazard"))):
        row = resolution_kpis(small_db, area, period, kinds).iloc[0]
        published = stats(small_db, area, period)
        assert round(row["mediation_rate"], 2) == published["mediation_success_rate"]
        assert row["disputes_handled"] == published["disputes_handled"]
        assert row["first_petitions"] == published["first_petitions"]
        assert row["first_petitions_previous"] == published["first_petitions_previous"]
        assert round(row["first_petitions_yoy"], 1) == published["first_petitions_yoy"]
        with small_db.connect() as conn:
            closed, resolved = conn.execute(
                text(f"SELECT COUNT(*), SUM(CASE WHEN {RESOLVED} THEN 1 ELSE 0 END) FROM cases c "
                     f"WHERE {_where(area, kinds)}"), _p(area, period.lo, period.hi)).one()
        assert (row["closed"], row["resolved"]) == (closed, resolved) and closed > 0
        assert row["resolution_rate"] == pytest.approx(100.0 * resolved / closed)


@pytest.mark.parametrize("grain", list(Grain))
def test_rates_over_time_count_every_bucket_and_kind(small_db, county, grain) -> None:
    got = rates_over_time(small_db, county, PART, (), grain)
    starts = buckets(PART, grain)
    totals = got[got["kind"] == ALL_KINDS]
    assert list(totals["bucket"]) == starts
    with small_db.connect() as conn:
        for row in got.itertuples(index=False):
            end = _month_after(row.bucket) if grain == Grain.MONTH else row.bucket + (starts[1] - starts[0])
            lo = max(datetime.combine(row.bucket, datetime.min.time()), PART.lo)
            hi = min(datetime.combine(end, datetime.min.time()), PART.hi)
            kind_sql = "" if row.kind == ALL_KINDS else f" AND c.kind = '{row.kind}'"
            closed, resolved = conn.execute(
                text(f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {RESOLVED} THEN 1 ELSE 0 END), 0) FROM cases c "
                     f"WHERE {_where(county)}{kind_sql}"), _p(county, lo, hi)).one()
            assert (row.closed, row.resolved) == (closed, resolved), (row.bucket, row.kind)
            assert (math.isnan(row.rate) and closed == 0) or row.rate == pytest.approx(100.0 * resolved / closed)
    per_kind = got[got["kind"] != ALL_KINDS]
    assert per_kind["closed"].sum() == totals["closed"].sum() > 0


def test_rates_by_category_equal_raw_group_by(small_db) -> None:
    area = city(small_db)
    got = rates_by_category(small_db, area, YEAR, ("dispute", "petition"))
    with small_db.connect() as conn:
        want = {(k, c): (int(n), int(r)) for k, c, n, r in conn.execute(
            text(f"SELECT c.kind, c.category, COUNT(*), SUM(CASE WHEN {RESOLVED} THEN 1 ELSE 0 END) FROM cases c "
                 f"WHERE {_where(area, ('dispute', 'petition'))} GROUP BY c.kind, c.category"),
            _p(area, YEAR.lo, YEAR.hi))}
    assert {(r.kind, r.category): (r.closed, r.resolved) for r in got.itertuples()} == want
    assert set(got["kind"]) == {"dispute", "petition"}


@pytest.mark.parametrize("metric", list(RankMetric))
def test_child_ranking_equals_raw_sql_for_both_years(small_db, county, metric) -> None:
    for area, child in ((city(small_db), "county_code"), (county, "township_code")):
        got = child_ranking(small_db, area, PART, ("security",), metric)
        if metric == RankMetric.MEDIATION:
            which, success = "c.kind = 'dispute'", "c.outcome = 'mediated'"
        else:
            which, success = "c.kind = 'security'", RESOLVED
        with small_db.connect() as conn:
            children = {c for (c,) in conn.execute(text("SELECT code FROM areas WHERE parent_code = :p"),
                                                   {"p": area.code})}
            want = {}
            for period, suffix in ((PART, ""), (PART.year_before(), "_prev")):
                for code, n, s in conn.execute(text(
                        f"SELECT c.{child}, COUNT(*), SUM(CASE WHEN {success} THEN 1 ELSE 0 END) FROM cases c "
                        f"WHERE {_where(area)} AND {which} GROUP BY c.{child}"), _p(area, period.lo, period.hi)):
                    want.setdefault(code, {})[f"closed{suffix}"] = int(n)
                    want[code][f"success{suffix}"] = int(s)
        assert set(got["code"]) == children
        for row in got.itertuples(index=False):
            w = want.get(row.code, {})
            assert (row.closed, row.success, row.closed_prev, row.success_prev) == (
                w.get("closed", 0), w.get("success", 0), w.get("closed_prev", 0), w.get("success_prev", 0))
        rates = got["rate"].dropna().tolist()
        assert rates == sorted(rates, reverse=True)
        assert got["closed"].sum() > 0 and got["closed_prev"].sum() > 0


def test_child_ranking_of_a_grid_is_empty(small_db) -> None:
    with small_db.connect() as conn:
        grid = conn.execute(text("SELECT code FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1")).scalar_one()
    assert child_ranking(small_db, find_area(small_db, grid), YEAR).empty


def test_first_petitions_by_month_sum_to_the_published_totals(small_db, county) -> None:
    for area, period in ((city(small_db), YEAR), (county, PART)):
        got = first_petitions_by_month(small_db, area, period)
        totals = first_petitions(small_db, area, period).iloc[0]
        assert (got["current"].sum(), got["previous"].sum()) == (totals["current"], totals["previous"])
        assert list(got["month"]) == buckets(period, Grain.MONTH)
        before = period.year_before()
        with small_db.connect() as conn:
            for row in got.itertuples(index=False):
                for p, column in ((period, row.current), (before, row.previous)):
                    month = row.month.replace(year=p.start.year + (row.month.year - period.start.year))
                    lo = max(datetime.combine(month, datetime.min.time()), p.lo)
                    hi = min(datetime.combine(_month_after(month), datetime.min.time()), p.hi)
                    n = conn.execute(text(
                        f"SELECT COUNT(*) FROM cases c WHERE {_where(area, column='c.reported_at')} "
                        "AND c.kind = 'petition' AND c.is_first_petition = :t"), {**_p(area, lo, hi), "t": True}
                    ).scalar_one()
                    assert column == n, (row.month, p)


def test_a_township_reads_its_repeat_visits_from_the_summary(small_db, monkeypatch) -> None:
    """The township table against the events (raw SQL) and against the case-table path, over uneven periods."""
    from data.queries import resolution

    assert resolution.summaries_fresh(small_db)  # so the first answers below come from the township table
    with small_db.connect() as conn:
        townships = [t for (t,) in conn.execute(text(
            "SELECT c.township_code FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.step = "
            "'repeat_visit' GROUP BY c.township_code ORDER BY COUNT(*) DESC, c.township_code LIMIT 3"))]
    periods = [YEAR, Period(date(2023, 2, 11), date(2023, 5, 19)), Period(date(2022, 12, 31), date(2023, 1, 1))]
    answers, seen = [], 0
    for code in townships:
        area = find_area(small_db, code)
        for period in periods:
            for kinds in ((), ("petition",)):
                got = repeat_visits_by_month(small_db, area, period, kinds)
                answers.append(got)
                with small_db.connect() as conn:
                    for p, column in ((period, "current"), (period.year_before(), "previous")):
                        n = conn.execute(text(
                            "SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.step = "
                            "'repeat_visit' AND e.at >= :lo AND e.at < :hi AND c.township_code = :code"
                            + (" AND c.kind = 'petition'" if kinds else "")),
                            {"lo": p.lo, "hi": p.hi, "code": code}).scalar_one()
                        assert int(got[column].sum()) == n, (code, period, kinds, column)
                        seen += n
    assert seen > 0
    monkeypatch.setattr(resolution, "summaries_fresh", lambda _engine: False)  # the case-table path
    raw = [repeat_visits_by_month(small_db, find_area(small_db, code), period, kinds)
           for code in townships for period in periods for kinds in ((), ("petition",))]
    assert all(a.equals(b) for a, b in zip(answers, raw, strict=True))


def test_repeat_visits_by_month_count_events_in_the_month_they_happened(small_db, county) -> None:
    got = repeat_visits_by_month(small_db, county, YEAR, ("petition",))
    with small_db.connect() as conn:
        for row in got.itertuples(index=False):
            for year_offset, column in ((0, row.current), (1, row.previous)):
                month = row.month.replace(year=row.month.year - year_offset)
                p = {"lo": datetime.combine(month, datetime.min.time()),
                     "hi": datetime.combine(_month_after(month), datetime.min.time()), "code": county.code}
                n = conn.execute(text(
                    "SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.step = "
                    "'repeat_visit' AND e.at >= :lo AND e.at < :hi AND c.county_code = :code "
                    "AND c.kind = 'petition'"), p).scalar_one()
                assert column == n, (row.month, year_offset)
    assert got["current"].sum() > 0
