"""Summary tables equal the raw aggregation after demo generation and after an import, over many random filter
combinations (random areas at every level, random periods, random kinds), on SQLite and PostgreSQL.

Every expected figure is computed here from the case table itself — GROUP BY statements written as SQL text, or
plain Python over raw rows where the definition is about instants (open at midnight, weeks, percentiles) — and
never through the summaries or the page queries' own helpers.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from data.filters import AreaRef, Period, city, find_area
from data.maintenance import after_cases_changed
from data.models import Case, CaseCard
from data.queries import flow, overdue, resolution, screen, summary, supervision
from data.queries import map as map_q
from data.queries.base import uses_summaries
from data.rules import AGING_BUCKETS
from data.summaries import summaries_fresh

KINDS = ("dispute", "petition", "security", "hazard")
RESOLVED = ("mediated", "resolved")
RANK = {"blue": 1, "yellow": 2, "red": 3}
CHILD = {"city": "county_code", "county": "township_code", "township": "village_code", "village": "grid_code",
         "grid": "grid_code"}
FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2023, 12, 31)
COMBOS = 14


# --- raw data, read once per check -------------------------------------------------------------------------


def _ts(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def raw_cases(engine: Engine) -> list[dict]:
    """Every case with the columns the checks need, timestamps as datetimes on both backends."""
    cols = ("id", "county_code", "township_code", "village_code", "grid_code", "kind", "category", "channel",
            "first_level", "final_level", "mode", "status", "outcome", "responsible_unit", "reported_at",
            "closed_at", "due_at")
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {', '.join(cols)} FROM cases")).all()
    out = []
    for row in rows:
        case = dict(zip(cols, row, strict=True))
        for key in ("reported_at", "closed_at", "due_at"):
            case[key] = _ts(case[key])
        out.append(case)
    return out


def raw_cards(engine: Engine) -> dict[int, list[tuple[datetime, int]]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT case_id, issued_at, color FROM case_cards")).all()
    cards: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for case_id, issued, color in rows:
        cards[case_id].append((_ts(issued), RANK.get(color, 0)))
    return cards


def in_area(case: dict, area: AreaRef) -> bool:
    return area.level == "city" or case[f"{area.level}_code"] == area.code


def rank_at(cards: list[tuple[datetime, int]], at: datetime) -> int:
    return max((r for issued, r in cards if issued < at), default=0)


# --- random views ------------------------------------------------------------------------------------------


def random_area(engine: Engine, rng: random.Random, level: str | None = None) -> AreaRef:
    """An area at a random level (cities and counties, read from the summaries, most often) that has cases."""
    level = level or rng.choice(["city", "city", "county", "county", "county", "township", "village", "grid"])
    if level == "city":
        return city(engine)
    with engine.connect() as conn:
        codes = conn.execute(text(f"SELECT DISTINCT {level}_code FROM cases ORDER BY 1")).scalars().all()
    return find_area(engine, rng.choice(codes))


def random_period(rng: random.Random) -> Period:
    """Any day range inside the data (sometimes whole months, sometimes a single day)."""
    start = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    if rng.random() < 0.3:
        start = start.replace(day=1)
    length = rng.choice([1, 7, 45, 92, 200, 365, 365, 800])
    return Period(start, min(start + timedelta(days=length - 1), LAST_DAY))


def random_kinds(rng: random.Random) -> tuple[str, ...]:
    return () if rng.random() < 0.4 else tuple(sorted(rng.sample(KINDS, rng.randint(1, 3))))


def views(engine: Engine, seed: int, n: int = COMBOS) -> list[tuple[AreaRef, Period, tuple[str, ...]]]:
    rng = random.Random(seed)
    levels = ["city", "county", "township", *[None] * (n - 3)]  # every path at least once, then at random
    return [(random_area(engine, rng, level), random_period(rng), random_kinds(rng)) for level in levels]


# --- the checks ---------------------------------------------------------------------------------------------


def _sql_filter(area: AreaRef, kinds: tuple[str, ...]) -> str:
    where = "" if area.level == "city" else f" AND c.{area.level}_code = :code"
    if kinds:
        where += " AND c.kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"
    return where


def check_flows(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...]) -> int:
    """Intake and closures per child and per flow path, against raw GROUP BY SQL. Returns the intake."""
    child, where = CHILD[area.level], _sql_filter(area, kinds)
    p = {"lo": period.lo, "hi": period.hi, "code": area.code}
    with engine.connect() as conn:
        intake = dict(conn.execute(text(f"SELECT c.{child}, COUNT(*) FROM cases c WHERE c.reported_at >= :lo "
                                        f"AND c.reported_at < :hi{where} GROUP BY c.{child}"), p).all())
        closed = {r[0]: r[1:] for r in conn.execute(text(
            f"SELECT c.{child}, SUM(CASE WHEN c.kind = 'dispute' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN c.kind = 'dispute' AND c.outcome = 'mediated' THEN 1 ELSE 0 END), COUNT(*), "
            "SUM(CASE WHEN c.outcome IN ('mediated', 'resolved') THEN 1 ELSE 0 END) FROM cases c "
            f"WHERE c.closed_at >= :lo AND c.closed_at < :hi{where} GROUP BY c.{child}"), p)}
        paths = {tuple(r[:5]): int(r[5]) for r in conn.execute(text(
            "SELECT c.channel, c.kind, c.first_level, c.final_level, CASE WHEN c.status = 'open' THEN 'open' "
            "ELSE c.outcome END AS o, COUNT(*) FROM cases c WHERE c.reported_at >= :lo AND c.reported_at < :hi"
            f"{where} GROUP BY c.channel, c.kind, c.first_level, c.final_level, o"), p)}
        categories = {tuple(r[:2]): (int(r[2]), int(r[3])) for r in conn.execute(text(
            "SELECT c.kind, c.category, COUNT(*), SUM(CASE WHEN c.outcome IN ('mediated', 'resolved') THEN 1 "
            f"ELSE 0 END) FROM cases c WHERE c.closed_at >= :lo AND c.closed_at < :hi{where} "
            "GROUP BY c.kind, c.category"), p)}
    got = map_q.child_metrics(engine, area, period, kinds).set_index("code")
    for code, row in got.iterrows():
        c = closed.get(code, (0, 0, 0, 0))
        assert (row["cases"], row["handled"], row["mediated"]) == (intake.get(code, 0), c[0], c[1]), code
    assert int(got["cases"].sum()) == sum(intake.values())
    got_paths = flow.flow_paths(engine, area, period, kinds)
    assert {tuple(r[:5]): int(r[5]) for r in got_paths.itertuples(index=False)} == paths
    kpis = resolution.resolution_kpis(engine, area, period, kinds).iloc[0]
    assert (kpis["closed"], kpis["resolved"]) == (sum(int(c[2]) for c in closed.values()),
                                                 sum(int(c[3]) for c in closed.values()))
    cats = resolution.rates_by_category(engine, area, period, kinds)
    assert {(r.kind, r.category): (r.closed, r.resolved) for r in cats.itertuples(index=False)} == categories
    if not kinds:
        assert summary.cases_registered(engine, area, period) == sum(intake.values())
    return sum(intake.values())


def check_difficult(engine: Engine, area: AreaRef, period: Period) -> int:
    """Difficult cases resolved (疑难化解) in the period, against a raw count; returns it."""
    with engine.connect() as conn:
        want = conn.execute(text(
            "SELECT COUNT(*) FROM cases c WHERE c.is_difficult = :yes AND c.outcome IN ('mediated', 'resolved') "
            f"AND c.closed_at >= :lo AND c.closed_at < :hi{_sql_filter(area, ())}"),
            {"yes": True, "lo": period.lo, "hi": period.hi, "code": area.code}).scalar_one()
    assert supervision.difficult_resolved(engine, area, period) == want, (area.code, period)
    return int(want)


def check_standing(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...],
                   cases: list[dict], cards: dict) -> int:
    """Open, overdue, aging, cards and units at the period's end, against the definitions applied in Python."""
    at, child = period.hi, CHILD[area.level]
    mine = [c for c in cases if in_area(c, area) and (not kinds or c["kind"] in kinds)
            and c["reported_at"] < at and (c["closed_at"] is None or c["closed_at"] >= at)]
    late = [c for c in mine if c["due_at"] < at]
    open_rank = Counter(rank_at(cards.get(c["id"], []), at) for c in mine)
    late_rank: dict[str, Counter] = defaultdict(Counter)
    for c in late:
        late_rank[c[child]][rank_at(cards.get(c["id"], []), at)] += 1

    got = overdue.overdue_summary(engine, area, period, kinds).iloc[0]
    soon = [sum(1 for c in mine if at < c["due_at"] <= at + timedelta(hours=h)) for h in (24, 48)]
    assert (got["overdue"], got["blue"], got["yellow"], got["red"], got["due_24h"], got["due_48h"]) == (
        len(late), open_rank[1], open_rank[2], open_rank[3], *soon)
    by_child = overdue.overdue_by_child(engine, area, period, kinds)
    assert {c: n for c, n in zip(by_child["code"], by_child["overdue"], strict=True) if n} == dict(
        Counter(c[child] for c in late))
    colors = overdue.cards_by_child(engine, area, period, kinds)
    for row in colors.itertuples(index=False):
        assert (row.blue, row.yellow, row.red) == tuple(late_rank[row.code][r] for r in (1, 2, 3)), row.code
    days = [(at - c["due_at"]).total_seconds() / 86400 for c in late]
    aging = overdue.overdue_aging(engine, area, period, kinds)
    assert list(aging["overdue"]) == [sum(1 for d in days if lo < d <= hi) for _l, lo, hi in AGING_BUCKETS]
    units = sorted(Counter(c["responsible_unit"] for c in late).items(), key=lambda kv: (-kv[1], kv[0]))
    got_units = overdue.overdue_by_unit(engine, area, period, kinds)
    assert list(zip(got_units["unit"], got_units["overdue"], strict=True)) == units[: overdue.TOP_UNITS]
    page = overdue.overdue_cases_page(engine, area, period, kinds, overdue.parse_table_request(0, 50, [], ""))
    assert page.total == len(late)
    assert list(page.rows["id"]) == [c["id"] for c in sorted(late, key=lambda c: (c["due_at"], c["id"]))][:50]
    if area.level != "grid":
        opened = screen.open_by_child(engine, area, period, kinds)
        assert {c: n for c, n in zip(opened["code"], opened["open"], strict=True) if n} == dict(
            Counter(c[child] for c in mine))
    if not kinds:
        home = summary.open_cases_and_cards(engine, area, at).iloc[0]
        assert (home["open"], home["red"]) == (len(mine), open_rank[3])
        metrics = map_q.child_metrics(engine, area, period).set_index("code")
        reds = Counter(c[child] for c in mine if rank_at(cards.get(c["id"], []), at) == 3)
        assert {k: v for k, v in metrics["red_cards"].items() if v} == dict(reds)
    return len(mine)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def check_series(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...], cases: list[dict],
                 node: flow.NodeFilter | None) -> None:
    """Weekly intake and closures (with a flow node), monthly 化解, against raw rows bucketed in Python."""
    def passes(c: dict) -> bool:
        if node is None:
            return True
        if node.family == flow.NodeFamily.OUTCOME:
            return c["status"] == "open" if node.code == "open" else (
                c["status"] == "closed" and c["outcome"] == node.code)
        return c[flow.FAMILY_COLUMN[node.family]] == node.code

    mine = [c for c in cases if in_area(c, area) and (not kinds or c["kind"] in kinds) and passes(c)]
    weekly = flow.weekly_flow(engine, area, period, kinds, node).set_index("week")
    reg = Counter(_monday(c["reported_at"].date()) for c in mine if period.lo <= c["reported_at"] < period.hi)
    out = Counter(_monday(c["closed_at"].date()) for c in mine
                  if c["closed_at"] is not None and period.lo <= c["closed_at"] < period.hi)
    for week, row in weekly.iterrows():
        assert (row["intake"], row["closed"]) == (reg[week], out[week]), week
    assert int(weekly["intake"].sum()) == sum(reg.values())
    if node is None:
        trend = resolution.rates_over_time(engine, area, period, kinds)
        closed = [c for c in mine if c["closed_at"] is not None and period.lo <= c["closed_at"] < period.hi]
        want = Counter((c["closed_at"].date().replace(day=1), c["kind"]) for c in closed)
        done = Counter((c["closed_at"].date().replace(day=1), c["kind"]) for c in closed if c["outcome"] in RESOLVED)
        rows = trend[trend["kind"] != resolution.ALL_KINDS]
        assert {(r.bucket, r.kind): (r.closed, r.resolved) for r in rows.itertuples(index=False)} == {
            k: (n, done[k]) for k, n in want.items()}


def _nearest(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered) / 100) - 1] if ordered else float("nan")


def _node_sql(node: flow.NodeFilter | None) -> str:
    """A flow-diagram node as a condition on `cases c`, written out by hand."""
    if node is None:
        return "1=1"
    if node.family == flow.NodeFamily.OUTCOME:
        return "c.status = 'open'" if node.code == "open" else f"c.status = 'closed' AND c.outcome = '{node.code}'"
    return f"c.{flow.FAMILY_COLUMN[node.family]} = '{node.code}'"


def check_stage_times(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...],
                      node: flow.NodeFilter | None) -> None:
    """Stage percentiles against nearest rank over durations computed in Python from raw event rows."""
    node_sql = _node_sql(node)
    sql = ("SELECT e.case_id, e.step, MIN(e.at) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE "
           f"c.reported_at >= :lo AND c.reported_at < :hi{_sql_filter(area, kinds)} AND {node_sql} "
           "GROUP BY e.case_id, e.step")
    steps: dict[int, dict[str, datetime]] = defaultdict(dict)
    with engine.connect() as conn:
        for case_id, step, at in conn.execute(text(sql), {"lo": period.lo, "hi": period.hi, "code": area.code}):
            steps[case_id][step] = _ts(at)
    got = flow.stage_times(engine, area, period, kinds, node).set_index("stage")
    for stage, a, b in (("dispatch", "registered", "dispatched"), ("accept", "dispatched", "accepted"),
                        ("close", "accepted", "closed"), ("total", "registered", "closed")):
        hours = [(s[b] - s[a]).total_seconds() / 3600 for s in steps.values() if a in s and b in s]
        assert got.loc[stage, "cases"] == len(hours), stage
        for p in (50, 90):
            want = _nearest(hours, p)
            assert got.loc[stage, f"p{p}_hours"] == pytest.approx(want, abs=1e-6, nan_ok=True), (stage, p)


NODES = [None, flow.NodeFilter(flow.NodeFamily.CHANNEL, "hotline_12345"),
         flow.NodeFilter(flow.NodeFamily.FIRST, "village"), flow.NodeFilter(flow.NodeFamily.OUTCOME, "open"),
         flow.NodeFilter(flow.NodeFamily.OUTCOME, "mediated"), flow.NodeFilter(flow.NodeFamily.KIND, "petition"),
         flow.NodeFilter(flow.NodeFamily.FINAL, "county")]


def check_category_days(engine: Engine, cases: list[dict]) -> None:
    """sum_category_days, cell by cell, against the cases counted in Python (days since 1970-01-01)."""
    epoch = date(1970, 1, 1)
    want: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for c in cases:
        day = c["reported_at"].date()
        cell = want[(c["kind"], c["category"], (day - epoch).days, c["county_code"], c["township_code"])]
        cell[0] = (day.replace(day=1) - epoch).days
        cell[1] += 1
        cell[2] += c["closed_at"] is not None
        cell[3] += c["outcome"] in RESOLVED
    with engine.connect() as conn:
        got = {tuple(r[:5]): list(r[5:]) for r in conn.execute(text(
            "SELECT kind, category, reported_day, county_code, township_code, reported_month, found, closed, resolved "
            "FROM sum_category_days"))}
    assert got == dict(want) and len(got) > 0


def check_township_repeats(engine: Engine, cases: list[dict]) -> None:
    """sum_township_repeats, row by row, against the repeat-visit events bucketed by day in Python."""
    place = {c["id"]: (c["township_code"], c["kind"], c["county_code"]) for c in cases}
    with engine.connect() as conn:
        events = conn.execute(text("SELECT case_id, at FROM case_events WHERE step = 'repeat_visit'")).all()
        got = {(t, d, k, c): n for t, d, k, c, n in conn.execute(text(
            "SELECT township_code, day, kind, county_code, repeat_visits FROM sum_township_repeats"))}
    want = Counter((place[case_id][0], (_ts(at).date() - date(1970, 1, 1)).days, *place[case_id][1:])
                   for case_id, at in events)
    assert got == dict(want) and len(got) > 0


def check_township_cards(engine: Engine, cases: list[dict]) -> None:
    """sum_township_cards, row by row, against the cards bucketed by day of issue and color in Python."""
    place = {c["id"]: (c["township_code"], c["kind"], c["county_code"]) for c in cases}
    with engine.connect() as conn:
        cards = conn.execute(text("SELECT case_id, issued_at, color FROM case_cards")).all()
        got = {tuple(r[:4]): tuple(r[4:]) for r in conn.execute(text(
            "SELECT township_code, day, kind, county_code, blue_cards, yellow_cards, red_cards "
            "FROM sum_township_cards"))}
    want: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for case_id, issued, color in cards:
        township, kind, county = place[case_id]
        want[(township, (_ts(issued).date() - date(1970, 1, 1)).days, kind, county)][RANK[color] - 1] += 1
    assert got == {k: tuple(v) for k, v in want.items()} and len(got) > 0


def check_card_weeks(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...], cases: list[dict],
                     cards: dict[int, list[tuple[datetime, int]]]) -> int:
    """The cards issued per week and color (the overdue page's trend), against the raw cards bucketed in Python.
    Returns the number of cards counted."""
    want: Counter = Counter()
    for c in cases:
        if in_area(c, area) and (not kinds or c["kind"] in kinds):
            for issued, rank in cards.get(c["id"], ()):
                if period.lo <= issued < period.hi:
                    want[(issued.date() - timedelta(days=issued.weekday()), rank)] += 1
    got = overdue.cards_by_week(engine, area, period, kinds)
    seen = {(row.week, rank): n for row in got.itertuples(index=False)
            for rank, n in ((1, row.blue), (2, row.yellow), (3, row.red)) if n}
    assert seen == dict(want), (area, period, kinds)
    return sum(want.values())


def check_everything(engine: Engine, seed: int) -> tuple[int, int]:
    """All checks over COMBOS random views; returns the intake and open cases seen (to prove it was not empty)."""
    assert summaries_fresh(engine)
    cases, cards = raw_cases(engine), raw_cards(engine)
    check_category_days(engine, cases)
    check_township_repeats(engine, cases)
    check_township_cards(engine, cases)
    rng = random.Random(seed)
    seen_in = seen_open = seen_cards = 0
    for area, period, kinds in views(engine, seed):
        node = rng.choice(NODES)
        seen_in += check_flows(engine, area, period, kinds)
        check_difficult(engine, area, period)
        seen_open += check_standing(engine, area, period, kinds, cases, cards)
        check_series(engine, area, period, kinds, cases, node)
        check_stage_times(engine, area, period, kinds, node)
        seen_cards += check_card_weeks(engine, area, period, kinds, cases, cards)
    assert seen_cards > 0
    return seen_in, seen_open


# --- the tests -------------------------------------------------------------------------------------------------


def test_summaries_equal_raw_aggregation_after_demo_generation(small_db: Engine) -> None:
    intake, standing = check_everything(small_db, seed=11)
    assert intake > 0 and standing > 0


def test_every_city_and_county_view_reads_the_summaries(small_db: Engine) -> None:
    """Guard against a vacuous pass: the demo's city and counties really take the summary path, a township not."""
    assert uses_summaries(small_db, city(small_db))
    assert uses_summaries(small_db, find_area(small_db, "321322"))
    with small_db.connect() as conn:
        township = conn.execute(text("SELECT township_code FROM cases ORDER BY id LIMIT 1")).scalar_one()
    assert not uses_summaries(small_db, find_area(small_db, township))
    picked = views(small_db, seed=11)
    assert {a.level for a, _p, _k in picked} >= {"city", "county", "township"}


IMPORT_DAY = datetime(2023, 11, 20, 9, 30)
MIDNIGHT = datetime(2023, 11, 20)


def _simulate_import(engine: Engine) -> tuple[list[int], list[tuple]]:
    """Insert three cases (one open and long overdue, one closed, one open with a red card) and reopen or close
    two existing ones, as an import would; returns what to undo."""
    cases = Case.__table__
    with engine.connect() as conn:
        top = conn.execute(text("SELECT MAX(id) FROM cases")).scalar_one()
        template = conn.execute(select(cases).where(cases.c.county_code == "321322000000").order_by(cases.c.id)
                                .limit(1)).one()._asdict()
        changed = conn.execute(text(
            "SELECT id, status, closed_at, outcome FROM cases WHERE closed_at IS NOT NULL AND kind = 'dispute' "
            "AND county_code = '321322000000' AND reported_at >= '2023-06-01' ORDER BY id LIMIT 2")).all()
    ids = [top + 1, top + 2, top + 3, top + 4]
    specs = [  # id, status, reported, due, closed, outcome
        (ids[0], "open", IMPORT_DAY - timedelta(days=90), IMPORT_DAY - timedelta(days=60), None, None),
        (ids[1], "closed", IMPORT_DAY, IMPORT_DAY + timedelta(days=15), IMPORT_DAY + timedelta(days=3), "mediated"),
        (ids[2], "open", IMPORT_DAY - timedelta(days=40), IMPORT_DAY - timedelta(days=20), None, None),
    ]
    with engine.begin() as conn:
        for case_id, status, reported, due, closed, outcome in specs:
            conn.execute(cases.insert().values({**template, "id": case_id, "case_no": f"IMPORT{case_id}",
                                                "status": status, "reported_at": reported, "due_at": due,
                                                "closed_at": closed, "outcome": outcome, "card": None,
                                                "is_difficult": closed is not None}))
        conn.execute(CaseCard.__table__.insert().values(case_id=ids[2], color="red",
                                                        issued_at=IMPORT_DAY - timedelta(days=10)))
        # Registered, due and closed at exactly midnight, written the way the demo loader writes timestamps
        # (plain DB-API parameters: 'YYYY-MM-DD HH:MM:SS' text on SQLite): it belongs to the day it starts.
        row = {**template, "id": ids[3], "case_no": f"IMPORT{ids[3]}", "status": "closed", "card": None,
               "reported_at": MIDNIGHT, "due_at": MIDNIGHT + timedelta(days=2), "closed_at": MIDNIGHT + timedelta(
                   days=3), "outcome": "mediated"}
        conn.exec_driver_sql(f"INSERT INTO cases ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})"
                             .replace("%s", "?" if engine.dialect.name == "sqlite" else "%s"), tuple(row.values()))
        reopened, closed_now = changed
        conn.execute(text("UPDATE cases SET status = 'open', closed_at = NULL, outcome = NULL WHERE id = :i"),
                     {"i": reopened[0]})
        conn.execute(cases.update().where(cases.c.id == closed_now[0]).values(
            closed_at=IMPORT_DAY + timedelta(days=1), outcome="terminated"))
    return ids, [tuple(r) for r in changed]


def _undo_import(engine: Engine, ids: list[int], changed: list[tuple]) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM case_cards WHERE case_id IN (:a, :b, :c, :d)"),
                     dict(zip("abcd", ids, strict=True)))
        conn.execute(text("DELETE FROM cases WHERE id IN (:a, :b, :c, :d)"), dict(zip("abcd", ids, strict=True)))
        for case_id, status, closed_at, outcome in changed:
            conn.execute(text("UPDATE cases SET status = :s, closed_at = :c, outcome = :o WHERE id = :i"),
                         {"s": status, "c": _ts(closed_at), "o": outcome, "i": case_id})
    after_cases_changed(engine)


def test_summaries_follow_an_import(small_db: Engine) -> None:
    """New and changed cases show up everywhere once after_cases_changed ran, and nowhere stale before."""
    county = find_area(small_db, "321322")
    period = Period(date(2023, 11, 1), date(2023, 12, 31))
    before = overdue.overdue_summary(small_db, county, period).iloc[0]
    intake_before = summary.cases_registered(small_db, county, period)
    ids, changed = _simulate_import(small_db)
    try:
        # Rows added without the hook: the pages fall back to the case table rather than show stale figures.
        assert not summaries_fresh(small_db)
        assert summary.cases_registered(small_db, county, period) == intake_before + 2
        after_cases_changed(small_db)
        assert summaries_fresh(small_db) and uses_summaries(small_db, county)
        closing_day = (IMPORT_DAY + timedelta(days=3)).date()  # the imported difficult case, counted that day
        assert check_difficult(small_db, county, Period(closing_day, closing_day)) >= 1
        now = overdue.overdue_summary(small_db, county, period).iloc[0]
        assert now["overdue"] >= before["overdue"] + 2 and now["red"] == before["red"] + 1
        assert summary.cases_registered(small_db, county, period) == intake_before + 2
        cases, cards = raw_cases(small_db), raw_cards(small_db)
        with small_db.connect() as conn:
            township = find_area(small_db, conn.execute(
                text("SELECT township_code FROM cases WHERE id = :i"), {"i": ids[3]}).scalar_one())
        day = Period(MIDNIGHT.date(), MIDNIGHT.date())
        for area in (township, county, city(small_db)):  # the case table and the summaries agree on midnight
            assert check_flows(small_db, area, day, ()) >= 2
            assert summary.cases_registered(small_db, area, Period(date(2023, 11, 19), date(2023, 11, 19))) == (
                check_flows(small_db, area, Period(date(2023, 11, 19), date(2023, 11, 19)), ()))
            for p in (period, Period(date(2023, 6, 10), date(2023, 12, 5)), day,
                      Period(date(2023, 11, 22), date(2023, 11, 22)), Period(date(2023, 11, 23), date(2023, 11, 23))):
                check_flows(small_db, area, p, ())
                check_difficult(small_db, area, p)
                check_standing(small_db, area, p, (), cases, cards)
                check_series(small_db, area, p, ("dispute",), cases, None)
        check_everything(small_db, seed=29)
    finally:
        _undo_import(small_db, ids, changed)
    assert summary.cases_registered(small_db, county, period) == intake_before and summaries_fresh(small_db)
