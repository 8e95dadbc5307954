"""案件流转 queries against independent raw SQL on both backends, and the percentile method by hand."""

from __future__ import annotations

import math
import os
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from data.db import create_schema, make_engine
from data.filters import Period, city, find_area
from data.models import Area, Case, CaseEvent
from data.queries.base import CASES, Grain, week_starts
from data.queries.flow import (
    FAMILY_CODES,
    NodeFamily,
    NodeFilter,
    escalations,
    flow_paths,
    handling_modes,
    stage_times,
    weekly_flow,
)
from data.vocab import HANDLING_ORDER, Mode

YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))
# Starts on a Wednesday and ends on a Thursday: partial weeks at both ends.
PART = Period(date(2023, 3, 15), date(2023, 8, 17))
NODES = [None, NodeFilter(NodeFamily.FIRST, "village"), NodeFilter(NodeFamily.OUTCOME, "open"),
         NodeFilter(NodeFamily.OUTCOME, "mediated"), NodeFilter(NodeFamily.CHANNEL, "hotline_12345")]
# The same node filters written as raw SQL conditions on `cases c`.
NODE_SQL = {None: "1=1", "first:village": "c.first_level = 'village'", "outcome:open": "c.status = 'open'",
            "outcome:mediated": "c.status = 'closed' AND c.outcome = 'mediated'",
            "channel:hotline_12345": "c.channel = 'hotline_12345'"}


def _key(node: NodeFilter | None) -> str | None:
    return node.key if node else None


def _intake_sql(area, kinds: tuple[str, ...] = ()) -> str:
    where = "c.reported_at >= :lo AND c.reported_at < :hi"
    if area.level != "city":
        where += f" AND c.{area.level}_code = :code"
    if kinds:
        where += f" AND c.kind IN ({', '.join(repr(k) for k in kinds)})"
    return where


def _params(area, period: Period) -> dict:
    return {"lo": period.lo, "hi": period.hi, "code": area.code}


@pytest.fixture
def county(small_db):
    with small_db.connect() as conn:
        code = conn.execute(text("SELECT county_code FROM cases GROUP BY county_code ORDER BY COUNT(*) DESC, "
                                 "county_code LIMIT 1")).scalar_one()
    return find_area(small_db, code)


# --- NodeFilter --------------------------------------------------------------------------------------


def test_node_filter_parses_every_known_node_and_rejects_the_rest() -> None:
    for family, codes in FAMILY_CODES.items():
        for code in codes:
            assert NodeFilter.parse(f"{family}:{code}") == NodeFilter(family, code)
    for bad in (None, "", "kind", "kind:", "kind:unknown", "first:district", "nope:village", "outcome:open:x"):
        assert NodeFilter.parse(bad) is None


# --- flow_paths ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kinds", [(), ("dispute", "petition")])
def test_flow_paths_equal_raw_group_by(small_db, county, kinds) -> None:
    for area in (city(small_db), county):
        got = flow_paths(small_db, area, YEAR, kinds)
        sql = ("SELECT c.channel, c.kind, c.first_level, c.final_level, "
               "CASE WHEN c.status = 'open' THEN 'open' ELSE c.outcome END AS o, COUNT(*) FROM cases c "
               f"WHERE {_intake_sql(area, kinds)} GROUP BY c.channel, c.kind, c.first_level, c.final_level, o")
        with small_db.connect() as conn:
            want = {tuple(r[:5]): int(r[5]) for r in conn.execute(text(sql), _params(area, YEAR))}
        assert {tuple(r[:5]): int(r[5]) for r in got.itertuples(index=False)} == want
        with small_db.connect() as conn:
            intake = conn.execute(text(f"SELECT COUNT(*) FROM cases c WHERE {_intake_sql(area, kinds)}"),
                                  _params(area, YEAR)).scalar_one()
        assert int(got["cases"].sum()) == intake > 0


# --- escalations, modes, weekly -----------------------------------------------------------------------


@pytest.mark.parametrize("node", NODES, ids=lambda n: _key(n) or "none")
def test_escalations_equal_raw_sql(small_db, node) -> None:
    area = city(small_db)
    got = escalations(small_db, area, YEAR, (), node)
    rank = "CASE {col} WHEN 'village' THEN 0 WHEN 'township' THEN 1 WHEN 'county' THEN 2 ELSE 3 END"
    first, final = rank.format(col="c.first_level"), rank.format(col="c.final_level")
    where = f"{_intake_sql(area)} AND {NODE_SQL[_key(node)]}"
    with small_db.connect() as conn:
        intake = conn.execute(text(f"SELECT COUNT(*) FROM cases c WHERE {where}"), _params(area, YEAR)).scalar_one()
        for i, row in got.iterrows():
            crossed = conn.execute(text(f"SELECT COUNT(*) FROM cases c WHERE {where} AND {first} <= {i} "
                                        f"AND {final} > {i}"), _params(area, YEAR)).scalar_one()
            reached = conn.execute(text(f"SELECT COUNT(*) FROM cases c WHERE {where} AND {first} <= {i} "
                                        f"AND {final} >= {i}"), _params(area, YEAR)).scalar_one()
            assert (row["from_level"], row["to_level"]) == (HANDLING_ORDER[i], HANDLING_ORDER[i + 1])
            assert (row["escalated"], row["reached"], row["intake"]) == (crossed, reached, intake)
            assert row["share"] == pytest.approx(100.0 * crossed / intake)
    assert got["escalated"].iloc[0] > 0 or node is not None


@pytest.mark.parametrize("node", NODES, ids=lambda n: _key(n) or "none")
def test_handling_modes_equal_raw_sql(small_db, county, node) -> None:
    got = handling_modes(small_db, county, PART, ("dispute", "hazard"), node)
    where = f"{_intake_sql(county, ('dispute', 'hazard'))} AND {NODE_SQL[_key(node)]}"
    with small_db.connect() as conn:
        want = dict(conn.execute(text(f"SELECT c.mode, COUNT(*) FROM cases c WHERE {where} GROUP BY c.mode"),
                                 _params(county, PART)).all())
    assert list(got["mode"]) == [str(m) for m in Mode]
    assert {m: n for m, n in zip(got["mode"], got["cases"], strict=True) if n} == want
    total = sum(want.values())
    if total:
        assert got["share"].sum() == pytest.approx(100.0)


@pytest.mark.parametrize("node", [None, NodeFilter(NodeFamily.FIRST, "village")], ids=["none", "first-village"])
def test_weekly_flow_counts_each_week_of_the_period(small_db, node) -> None:
    area = city(small_db)
    got = weekly_flow(small_db, area, PART, (), node)
    assert list(got["week"]) == week_starts(PART)
    assert all(w.weekday() == 0 for w in got["week"])
    assert (got["days"].iloc[0], got["days"].iloc[-1]) == (5, 4)  # Wed–Sun, Mon–Thu
    where = NODE_SQL[_key(node)]
    with small_db.connect() as conn:
        for row in got.itertuples(index=False):
            lo = max(datetime.combine(row.week, datetime.min.time()), PART.lo)
            hi = min(datetime.combine(row.week + timedelta(days=7), datetime.min.time()), PART.hi)
            p = {"lo": lo, "hi": hi}
            intake = conn.execute(text(f"SELECT COUNT(*) FROM cases c WHERE c.reported_at >= :lo "
                                       f"AND c.reported_at < :hi AND {where}"), p).scalar_one()
            closed = conn.execute(text(f"SELECT COUNT(*) FROM cases c WHERE c.closed_at >= :lo "
                                       f"AND c.closed_at < :hi AND {where}"), p).scalar_one()
            assert (row.intake, row.closed) == (intake, closed), row.week
    assert got["intake"].sum() > 0


# --- stage times on the demo, against durations computed in Python from raw rows -----------------------


def _busiest_township(engine, county):
    with engine.connect() as conn:
        code = conn.execute(text("SELECT township_code FROM cases WHERE county_code = :c GROUP BY township_code "
                                 "ORDER BY COUNT(*) DESC, township_code LIMIT 1"), {"c": county.code}).scalar_one()
    return find_area(engine, code)


def _nearest_rank(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered) / 100) - 1] if ordered else float("nan")


@pytest.mark.parametrize("level", ["county", "township"])
def test_stage_times_equal_nearest_rank_of_raw_event_rows(small_db, county, level: str) -> None:
    """A county's from the stage-hour buckets, a township's from `sum_cases`: both equal the raw events'."""
    area = county if level == "county" else _busiest_township(small_db, county)
    node = NodeFilter(NodeFamily.KIND, "dispute")
    got = stage_times(small_db, area, YEAR, (), node).set_index("stage")
    sql = ("SELECT e.case_id, e.step, MIN(e.at) FROM case_events e JOIN cases c ON c.id = e.case_id "
           f"WHERE {_intake_sql(area)} AND c.kind = 'dispute' GROUP BY e.case_id, e.step")
    steps: dict[int, dict[str, datetime]] = {}
    with small_db.connect() as conn:
        for case_id, step, at in conn.execute(text(sql), _params(area, YEAR)):
            steps.setdefault(case_id, {})[step] = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    pairs = {"dispatch": ("registered", "dispatched"), "accept": ("dispatched", "accepted"),
             "close": ("accepted", "closed"), "total": ("registered", "closed")}
    for stage, (a, b) in pairs.items():
        hours = [(s[b] - s[a]).total_seconds() / 3600 for s in steps.values() if a in s and b in s]
        assert got.loc[stage, "cases"] == len(hours) > 0
        for p in (50, 90):
            assert got.loc[stage, f"p{p}_hours"] == pytest.approx(_nearest_rank(hours, p), abs=1e-6)


# --- the percentile method on a tiny hand-made database -------------------------------------------------

T0 = datetime(2023, 3, 6, 9, 0)  # a Monday
DISPATCH_H = [5, 1, 9, 3, 7, 2, 10, 4, 8, 6]  # sorted 1..10: p50 = rank 5 → 5; p90 = rank 9 → 9
ACCEPT_H = [0.5, 3, 2, 1, 4, 6, 8, 7, 5, 9]  # sorted 0.5,1..9: rank 5 → 4; rank 9 → 8
CLOSE_H = [24, 48, 12, 96, 72, 36, 60]  # first 7 cases close: sorted 12..96; rank 4 → 48; rank 7 → 96


def _tiny_rows() -> tuple[list[Area], list[Case], list[CaseEvent]]:
    """One branch of areas, ten disputes with known stage durations, three of them still open."""
    codes = ["321300000000", "321322000000", "321322100000", "321322100001", "321322100001001"]
    levels = ["city", "county", "township", "village", "grid"]
    areas = [Area(code=c, name=f"区域{i}", level=lv, parent_code=codes[i - 1] if i else None,
                  county_code=codes[1] if i >= 1 else None, township_code=codes[2] if i >= 2 else None,
                  village_code=codes[3] if i >= 3 else None, population=100, lon=118.3, lat=33.9)
             for i, (c, lv) in enumerate(zip(codes, levels, strict=True))]
    cases, events = [], []
    for i in range(10):
        reg = T0 + timedelta(days=i)
        disp = reg + timedelta(hours=DISPATCH_H[i])
        acc = disp + timedelta(hours=ACCEPT_H[i])
        closed = acc + timedelta(hours=CLOSE_H[i]) if i < len(CLOSE_H) else None
        cases.append(Case(id=i + 1, case_no=f"T{i}", kind="dispute", category="邻里纠纷",
                          channel="hotline_12345" if i % 2 else "grid_report", grid_code=codes[4],
                          village_code=codes[3], township_code=codes[2], county_code=codes[1], reported_at=reg,
                          first_level="village", final_level="village", responsible_unit="调委会", mode="onsite",
                          status="closed" if closed else "open", due_at=reg + timedelta(days=15), closed_at=closed,
                          outcome="mediated" if closed else None))
        events += [CaseEvent(case_id=i + 1, step="registered", at=reg, level="village"),
                   CaseEvent(case_id=i + 1, step="dispatched", at=disp, level="village"),
                   # a second dispatch later on: the stage runs from the *first* one
                   CaseEvent(case_id=i + 1, step="dispatched", at=disp + timedelta(hours=30), level="village"),
                   CaseEvent(case_id=i + 1, step="accepted", at=acc, level="village")]
        if closed:
            events.append(CaseEvent(case_id=i + 1, step="closed", at=closed, level="village"))
    # Outside the period: must not count.
    cases.append(Case(id=99, case_no="T99", kind="dispute", category="邻里纠纷", channel="grid_report",
                      grid_code=codes[4], village_code=codes[3], township_code=codes[2], county_code=codes[1],
                      reported_at=datetime(2022, 12, 1), first_level="village", final_level="village",
                      responsible_unit="调委会", mode="onsite", status="closed", due_at=datetime(2022, 12, 9),
                      closed_at=datetime(2022, 12, 2), outcome="mediated"))
    events += [CaseEvent(case_id=99, step=s, at=datetime(2022, 12, 1, h), level="village")
               for s, h in (("registered", 0), ("dispatched", 23), ("accepted", 23))]
    return areas, cases, events


def _fill(engine) -> None:
    from sqlalchemy.orm import Session

    create_schema(engine)
    areas, cases, events = _tiny_rows()
    with Session(engine) as session:
        for area in areas:  # parents first (foreign keys)
            session.add(area)
            session.flush()
        session.add_all(cases)
        session.flush()
        session.add_all(events)
        session.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def tiny_db(request, tmp_path):
    """The hand-made database on SQLite, or in a private schema of the test PostgreSQL database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'tiny.sqlite'}")
        _fill(engine)
        yield engine
        engine.dispose()
        return
    url = request.getfixturevalue("pg_url")
    schema = f"flow_tiny_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        _fill(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def test_stage_times_use_nearest_rank_on_both_backends(tiny_db) -> None:
    got = stage_times(tiny_db, city(tiny_db), Period(date(2023, 3, 1), date(2023, 3, 31))).set_index("stage")
    totals = [d + a + c for d, a, c in zip(DISPATCH_H, ACCEPT_H, CLOSE_H, strict=False)]
    want = {
        "dispatch": (10, 5, 9),  # percentile_cont would say 5.5 and 9.1
        "accept": (10, 4, 8),
        "close": (7, 48, 96),
        "total": (7, sorted(totals)[3], sorted(totals)[6]),
    }
    for stage, (n, p50, p90) in want.items():
        assert got.loc[stage, "cases"] == n
        assert got.loc[stage, "p50_hours"] == pytest.approx(p50, abs=1e-6), stage
        assert got.loc[stage, "p90_hours"] == pytest.approx(p90, abs=1e-6), stage


def test_stage_times_apply_the_node_filter_and_report_empty_stages(tiny_db) -> None:
    march = Period(date(2023, 3, 1), date(2023, 3, 31))
    hotline = stage_times(tiny_db, city(tiny_db), march, (), NodeFilter(NodeFamily.CHANNEL, "hotline_12345"))
    odd = [DISPATCH_H[i] for i in range(1, 10, 2)]  # cases 2, 4, … came by hotline
    assert hotline.set_index("stage").loc["dispatch", "p50_hours"] == pytest.approx(_nearest_rank(odd, 50))
    nothing = stage_times(tiny_db, city(tiny_db), Period(date(2024, 1, 1), date(2024, 1, 31)))
    assert list(nothing["cases"]) == [0, 0, 0, 0]
    assert nothing["p50_hours"].isna().all()


def test_weekly_flow_buckets_by_monday_on_both_backends(tiny_db) -> None:
    march = Period(date(2023, 3, 1), date(2023, 3, 31))
    got = weekly_flow(tiny_db, city(tiny_db), march).set_index("week")
    # Registered daily from Monday 6 March: seven in that week, three in the next.
    assert got.loc[date(2023, 3, 6), "intake"] == 7
    assert got.loc[date(2023, 3, 13), "intake"] == 3
    assert got["intake"].sum() == 10 and got.loc[date(2023, 2, 27), "days"] == 5


def test_bucket_helper_is_the_only_dialect_switch() -> None:
    """Both dialects compile the week bucket (a guard against a typo in the branch not under test)."""
    from data.queries.base import bucket_start

    for url in ("sqlite://", "postgresql+psycopg://u@h/db"):
        engine = create_engine(url)
        for grain in Grain:
            sql = str(bucket_start(engine, CASES.c.reported_at, grain).compile(engine))
            assert ("date_trunc" in sql) == url.startswith("postgresql")
