"""Rebuild every summary table from the cases, in one transaction (readers see the old or the new, never a mix).

SQL does what only the database can do cheaply: one pass over the cases, their events and cards into the
narrow `sum_cases`, the overdue spans, and the per-day counts of events and cards. Everything else is grouped
in numpy from one streamed read of `sum_cases` (data.summaries.cube).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from data.alert_rules import OpsSettings
from data.filters import difficult_resolved, repeat_petition
from data.models import Case, CaseCard, CaseEvent, Meta
from data.models_ops import GridVisit, KeyPerson, SupervisionListing, SupervisionMilestone
from data.models_summary import (
    SumBacklogBoard,
    SumBacklogSpan,
    SumCase,
    SumCategoryDay,
    SumClosed,
    SumCoverage,
    SumDaily,
    SumFlow,
    SumListing,
    SumListingLate,
    SumOverdueSpan,
    SumRedCard,
    SumStageHours,
    SumStanding,
    SumTownship,
    SumTownshipCard,
    SumTownshipRepeat,
    SumVillage,
    SumVisits,
    SumVisitsCounty,
    SumWeeklyNode,
)
from data.summaries import backlog, cube
from data.summaries.days import sql_day, sql_month
from data.vocab import CARD_ORDER, RESOLVED_OUTCOMES, CardColor, Outcome, Status, Step

CASES = Case.__table__
EVENTS = CaseEvent.__table__
CARDS = CaseCard.__table__
FACTS = SumCase.__table__
SPANS = SumOverdueSpan.__table__
PERSONS = KeyPerson.__table__
VISITS = GridVisit.__table__
LAST_DAY_KEY = "summary_last_day"
SOURCE_KEY = "summary_source"
COVERAGE_KEY = "coverage_source"  # JSON: the visit frequencies and the key-person data the snapshot was built from
COVERAGE_LAST_DAY_KEY = "coverage_last_day"
VISITS_KEY = "visits_source"  # the newest grid visit id the visit counts were built from
BACKLOG_KEY = "backlog_source"  # the newest backlog color change id the board was built from
BACKLOG_LAST_DAY_KEY = "backlog_last_day"
LISTINGS_KEY = "listings_source"  # the newest supervision listing id the listing tables were built from
TABLES = (SumOverdueSpan, SumStanding, SumStageHours, SumTownship, SumWeeklyNode, SumDaily, SumClosed, SumFlow,
          SumCase, SumCoverage, SumVisits, SumVisitsCounty, SumBacklogSpan, SumBacklogBoard, SumCategoryDay,
          SumTownshipRepeat, SumTownshipCard, SumRedCard, SumVillage, SumListing, SumListingLate)
MAX_SPAN_CLASS = 16  # spans up to 2^17 days (~360 years)


def rebuild(engine: Engine, log: Callable[[str], None] | None = None,
            settings: OpsSettings | None = None) -> dict[str, float]:
    """Replace every summary table from the case data (and the coverage snapshot from the key persons and
    their visits, with the visit frequencies of `settings`, by default the configured ones), atomically;
    returns seconds per phase."""
    settings = settings or OpsSettings.load()
    timings: dict[str, float] = {}

    def timed(name: str, step: Callable[[], object]) -> object:
        t = time.perf_counter()
        result = step()
        timings[name] = time.perf_counter() - t
        if log:
            log(f"summary {name}: {timings[name]:.1f} s")
        return result

    with engine.begin() as conn:
        timed("clear", lambda: _clear(conn))
        timed("cases", lambda: _fill_facts(conn))
        timed("spans", lambda: _fill_spans(conn))
        timed("red cards", lambda: _fill_red_cards(conn))  # before "monthly" and "villages", which read it
        timed("villages", lambda: _fill_villages(conn))
        timed("categories", lambda: _fill_categories(conn))
        timed("township repeats", lambda: _fill_township_repeats(conn))
        timed("township cards", lambda: _fill_township_cards(conn))
        facts = timed("read", lambda: cube.read_facts(conn))
        timed("monthly", lambda: _fill_monthly(conn, facts))
        timed("daily", lambda: _fill_daily(conn, facts))
        timed("standing", lambda: _fill_standing(conn, facts))
        timed("coverage", lambda: _fill_coverage(conn, settings.visit_days))
        timed("visits", lambda: _fill_visits(conn))
        timed("backlog", lambda: _fill_backlog(conn))
        timed("listings", lambda: _fill_listings(conn))
        set_meta_conn(conn, SOURCE_KEY, source_mark(conn.execute(select(func.max(CASES.c.id))).scalar()))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            names = ", ".join(t.__tablename__ for t in TABLES)
            # VACUUM too: the rebuild deleted every old row, and until the visibility map is set again the
            # index-only scans the views rely on visit the table for every row they read.
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"VACUUM (ANALYZE) {names}")
    return timings


def source_mark(newest_id: int | None) -> str:
    """What SOURCE_KEY (and VISITS_KEY) hold: the newest case (visit) id the summaries were built from."""
    return f"max-id:{newest_id if newest_id is not None else 'none'}"


def _clear(conn: Connection) -> None:
    for model in TABLES:
        conn.execute(model.__table__.delete())


def _first_card(min_rank: int) -> ColumnElement:
    """Conditional MIN over a case's cards: when it first got a card of at least this severity."""
    colors = [str(c) for c in CARD_ORDER[min_rank - 1:]]
    return func.min(case((CARDS.c.color.in_(colors), CARDS.c.issued_at)))


def _fill_categories(conn: Connection) -> None:
    """sum_category_days from sum_cases: one GROUP BY (a case is closed once it has a closing day)."""
    f = FACTS.c
    keys = (f.kind, f.category, f.reported_day, f.county_code, f.township_code)
    stmt = select(*keys, func.min(f.reported_month), func.count(),
                  func.sum(case((f.closed_day.is_not(None), 1), else_=0)),
                  func.sum(case((f.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0))
                  ).group_by(*keys)
    conn.execute(SumCategoryDay.__table__.insert().from_select(
        ["kind", "category", "reported_day", "county_code", "township_code", "reported_month", "found", "closed",
         "resolved"], stmt))


def _fill_township_repeats(conn: Connection) -> None:
    """sum_township_repeats: the repeat-visit events per day, township and kind (the one pass over those events;
    the daily county counts are read back from it)."""
    day = sql_day(conn, EVENTS.c.at).label("day")
    keys = (CASES.c.township_code, day, CASES.c.kind, CASES.c.county_code)
    stmt = (select(*keys, func.count()).select_from(EVENTS.join(CASES, CASES.c.id == EVENTS.c.case_id))
            .where(EVENTS.c.step == str(Step.REPEAT_VISIT)).group_by(*keys))
    conn.execute(SumTownshipRepeat.__table__.insert().from_select(
        ["township_code", "day", "kind", "county_code", "repeat_visits"], stmt))


def _fill_township_cards(conn: Connection) -> None:
    """sum_township_cards: the cards issued per day, township and kind, by color (the one pass over the cards;
    the daily county counts are read back from it)."""
    day = sql_day(conn, CARDS.c.issued_at).label("day")
    keys = (CASES.c.township_code, day, CASES.c.kind, CASES.c.county_code)
    colors = [func.sum(case((CARDS.c.color == str(c), 1), else_=0)) for c in CARD_ORDER]
    stmt = select(*keys, *colors).select_from(CARDS.join(CASES, CASES.c.id == CARDS.c.case_id)).group_by(*keys)
    conn.execute(SumTownshipCard.__table__.insert().from_select(
        ["township_code", "day", "kind", "county_code", *[f"{c}_cards" for c in CARD_ORDER]], stmt))


def _fill_facts(conn: Connection) -> None:
    """One narrow row per case: keys, day numbers, first card days and stage hours (events → per-case MINs)."""
    from data.queries.base import hours_since_epoch  # the raw stage-time query's own expression

    steps = (Step.REGISTERED, Step.DISPATCHED, Step.ACCEPTED, Step.CLOSED)
    per_case = (
        select(EVENTS.c.case_id, *[func.min(case((EVENTS.c.step == str(s), hours_since_epoch(conn, EVENTS.c.at))))
                                   .label(str(s)) for s in steps])
        .where(EVENTS.c.step.in_([str(s) for s in steps]))
        .group_by(EVENTS.c.case_id)
        .subquery("steps")
    )
    cards = select(CARDS.c.case_id, *[_first_card(k).label(f"c{k}") for k in (1, 2, 3)]).group_by(
        CARDS.c.case_id).subquery("cards")
    c = CASES.c
    at = {s: per_case.c[str(s)] for s in steps}
    stmt = select(
        sql_day(conn, c.reported_at), c.id, c.county_code, c.township_code, c.kind, c.category, c.channel,
        c.first_level, c.final_level, c.mode, case((c.status == str(Status.OPEN), 1), else_=0), c.outcome,
        case((c.is_first_petition.is_(True), 1), else_=0),
        repeat_petition(CASES), sql_month(conn, c.reported_at),
        sql_day(conn, c.closed_at), sql_month(conn, c.closed_at), sql_day(conn, c.due_at),
        *[sql_day(conn, cards.c[f"c{k}"]) for k in (1, 2, 3)],
        at[Step.DISPATCHED] - at[Step.REGISTERED], at[Step.ACCEPTED] - at[Step.DISPATCHED],
        at[Step.CLOSED] - at[Step.ACCEPTED], at[Step.CLOSED] - at[Step.REGISTERED],
    ).select_from(CASES.outerjoin(per_case, per_case.c.case_id == c.id).outerjoin(cards, cards.c.case_id == c.id))
    conn.execute(FACTS.insert().from_select(
        ["reported_day", "case_id", "county_code", "township_code", "kind", "category", "channel", "first_level",
         "final_level", "mode", "is_open", "outcome", "first_petition", "repeat_petition", "reported_month",
         "closed_day",
         "closed_month", "due_day", "card1_day", "card2_day", "card3_day", "dispatch", "accept", "close", "total"],
        stmt))


def _greatest(*columns: ColumnElement[int]) -> ColumnElement[int]:
    """The largest of non-NULL integer expressions, portable (no GREATEST on SQLite, no max(a, b) on PG)."""
    out = columns[0]
    for col in columns[1:]:
        out = case((col > out, col), else_=out)
    return out


def span_class(length: ColumnElement[int]) -> ColumnElement[int]:
    """floor(log2(length)) for length ≥ 1, as a CASE ladder (SQLite may lack log2)."""
    return case(*[(length < 2 ** (k + 1), k) for k in range(MAX_SPAN_CLASS)], else_=MAX_SPAN_CLASS)


def _fill_spans(conn: Connection) -> None:
    """Cases overdue at some midnight: from the day after max(reported, due) until the day after closure."""
    f = FACTS.c
    start = _greatest(f.reported_day, f.due_day) + 1
    end = f.closed_day + 1
    stmt = (
        select(f.case_id, case((f.closed_day.is_(None), -1), else_=span_class(end - start)), start,
               case((f.closed_day.is_(None), null()), else_=end), f.county_code, f.township_code,
               CASES.c.village_code, CASES.c.grid_code, f.kind, CASES.c.responsible_unit, CASES.c.due_at)
        .select_from(FACTS.join(CASES, CASES.c.id == f.case_id))
        .where(or_(f.closed_day.is_(None), f.closed_day + 1 > start))
    )
    conn.execute(SPANS.insert().from_select(
        ["case_id", "span_class", "start_day", "end_day", "county_code", "township_code", "village_code",
         "grid_code", "kind", "unit", "due_at"], stmt))


def _fill_red_cards(conn: Connection) -> None:
    """sum_red_cards: the red cards with their case's area codes and kind."""
    stmt = (select(CARDS.c.id, CARDS.c.case_id, CARDS.c.issued_at, CASES.c.county_code, CASES.c.township_code,
                   CASES.c.village_code, CASES.c.grid_code, CASES.c.kind, sql_day(conn, CASES.c.closed_at))
            .select_from(CARDS.join(CASES, CASES.c.id == CARDS.c.case_id)).where(CARDS.c.color == str(CardColor.RED)))
    conn.execute(SumRedCard.__table__.insert().from_select(
        ["card_id", "case_id", "issued_at", "county_code", "township_code", "village_code", "grid_code", "kind",
         "closed_day"], stmt))


VILLAGE_MEASURES = ("registered", "closed", "resolved", "mediated", "repeat_petitions", "red_cards", "ended",
                    "overdue_from", "overdue_to")


def _fill_villages(conn: Connection) -> None:
    """sum_village in one INSERT … SELECT: the cases by month registered, closed and ended, the overdue spans by
    the months they start and end in, and the red cards (from `sum_red_cards`, filled before) by month issued,
    summed per (township, month, village, kind)."""
    c, r = CASES.c, SumRedCard.__table__.c
    zero, one = literal(0), literal(1)
    keys = (c.township_code, c.village_code, c.kind)
    closed = c.closed_at.is_not(None)
    # The overdue spans' cases (`_fill_spans`): overdue from the day after the later of registration and due
    # date until the day after closure, when that is later.
    last_start = _greatest(sql_day(conn, c.reported_at), sql_day(conn, c.due_at))
    ever_overdue = or_(c.closed_at.is_(None), sql_day(conn, c.closed_at) > last_start)
    parts = union_all(
        select(*keys, sql_month(conn, c.reported_at).label("month"), one.label("registered"), zero.label("closed"),
               zero.label("resolved"), zero.label("mediated"),
               repeat_petition(CASES).label("repeat_petitions"),
               zero.label("red_cards"), zero.label("ended"), zero.label("overdue_from"), zero.label("overdue_to")),
        select(*keys, sql_month(conn, c.closed_at), zero, one, case((c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0),
               case((c.outcome == str(Outcome.SUCCESS), 1), else_=0), zero, zero, zero, zero, zero).where(closed),
        select(*keys, _greatest(sql_month(conn, c.reported_at), sql_month(conn, c.closed_at)),
               zero, zero, zero, zero, zero, zero, one, zero, zero).where(closed),
        select(r.township_code, r.village_code, r.kind, sql_month(conn, r.issued_at),
               zero, zero, zero, zero, zero, one, zero, zero, zero),
        select(*keys, _greatest(sql_month(conn, c.reported_at), sql_month(conn, c.due_at)),
               zero, zero, zero, zero, zero, zero, zero, one, zero).where(ever_overdue),
        select(*keys, sql_month(conn, c.closed_at), zero, zero, zero, zero, zero, zero, zero, zero, one).where(
            closed, ever_overdue),
    ).subquery("parts")
    group = (parts.c.township_code, parts.c.month, parts.c.village_code, parts.c.kind)
    stmt = select(*group, *[func.sum(parts.c[m]) for m in VILLAGE_MEASURES]).group_by(*group)
    conn.execute(SumVillage.__table__.insert().from_select(
        ["township_code", "month", "village_code", "kind", *VILLAGE_MEASURES], stmt))


def _fill_monthly(conn: Connection, facts: cube.Facts) -> None:
    insert_rows(conn, SumFlow.__table__, cube.flow_rows(facts))
    insert_rows(conn, SumClosed.__table__, cube.closed_rows(facts))
    insert_rows(conn, SumTownship.__table__, cube.township_rows(facts, _red_cards_by_township(conn)))
    insert_rows(conn, SumStageHours.__table__, cube.stage_hour_rows(facts))


def _red_cards_by_township(conn: Connection) -> list[tuple]:
    """(month, county, township, kind, red cards issued) per month of issue, by the case's area and kind.

    Counted from the cards themselves, not from `sum_cases.card3_day`: a case may hold more than one red card
    (an import brings whatever history the source has), and each issue counts. Read from `sum_red_cards`,
    filled earlier in the rebuild (the red cards already joined to their cases' areas and kinds).
    """
    r = SumRedCard.__table__.c
    month = sql_month(conn, r.issued_at).label("month")
    stmt = (select(month, r.county_code, r.township_code, r.kind, func.count())
            .group_by("month", r.county_code, r.township_code, r.kind))
    return [(m, county, township, kind, int(n)) for m, county, township, kind, n in conn.execute(stmt)]


def _event_counts(conn: Connection) -> list[tuple]:
    """(day, county, kind, repeat visits, blue, yellow, red cards issued, difficult cases resolved) per day,
    from the township repeat visits and cards (filled first) and the closed difficult cases (their partial
    index)."""
    t = SumTownshipRepeat.__table__.c
    visits = select(t.day, t.county_code, t.kind, func.sum(t.repeat_visits)).group_by(t.day, t.county_code, t.kind)
    tc = SumTownshipCard.__table__.c
    cards = (select(tc.day, tc.county_code, tc.kind, *[func.sum(tc[f"{c}_cards"]) for c in CARD_ORDER])
             .group_by(tc.day, tc.county_code, tc.kind))
    closed_day = sql_day(conn, CASES.c.closed_at).label("day")
    difficult = (select(closed_day, CASES.c.county_code, CASES.c.kind, func.count())
                 .where(CASES.c.closed_at.is_not(None), difficult_resolved(CASES))
                 .group_by("day", CASES.c.county_code, CASES.c.kind))
    rows = [(d, county, kind, int(n), 0, 0, 0, 0) for d, county, kind, n in conn.execute(visits)]
    rows += [(d, county, kind, 0, *map(int, counts), 0) for d, county, kind, *counts in conn.execute(cards)]
    rows += [(d, county, kind, 0, 0, 0, 0, int(n)) for d, county, kind, n in conn.execute(difficult)]
    return rows


def _fill_daily(conn: Connection, facts: cube.Facts) -> None:
    insert_rows(conn, SumDaily.__table__, cube.daily_rows(facts, _event_counts(conn)))
    insert_rows(conn, SumWeeklyNode.__table__, cube.weekly_node_rows(facts))


def _fill_standing(conn: Connection, facts: cube.Facts) -> None:
    rows, last = cube.standing_rows(facts)
    insert_rows(conn, SumStanding.__table__, rows)
    set_meta_conn(conn, LAST_DAY_KEY, None if last is None else str(last))


def coverage_mark(visit_days: dict[str, int], persons: int, newest_person: int | None,
                  newest_visit: int | None) -> str:
    """What COVERAGE_KEY holds: the visit frequencies used, and the key persons (count, newest id) and visits
    (newest id) the snapshot was built from — the same cheap probes a reader repeats (data.summaries)."""
    return json.dumps({"visit_days": {str(g): int(d) for g, d in sorted(visit_days.items())},
                       "persons": [int(persons), newest_person], "visits": newest_visit}, sort_keys=True)


def source_probes() -> list[ColumnElement]:
    """The probes of the key-person data a coverage mark records: count and newest id of the persons, newest
    visit id (index lookups; counting the visits would scan millions of index entries on every read)."""
    return [select(func.count()).select_from(PERSONS).scalar_subquery(),
            select(func.max(PERSONS.c.id)).scalar_subquery(), select(func.max(VISITS.c.id)).scalar_subquery()]


def _fill_coverage(conn: Connection, visit_days: dict[str, int]) -> None:
    """The coverage snapshot from one read of the key persons and one of the visits (day numbers only)."""
    probes = conn.execute(select(*source_probes())).one()
    p = PERSONS.c
    persons = conn.execute(select(p.id, p.county_code, p.township_code, p.key_group, sql_day(conn, p.since),
                                  sql_day(conn, p.until))).all()
    never = cube.NEVER
    people = cube.Persons(
        ids=np.array([r[0] for r in persons], dtype=np.int64),
        county=np.array([r[1] for r in persons], dtype=object),
        township=np.array([r[2] for r in persons], dtype=object),
        group=np.array([r[3] for r in persons], dtype=object),
        since_day=np.array([never if r[4] is None else r[4] for r in persons], dtype=np.int64),
        until_day=np.array([never if r[5] is None else r[5] for r in persons], dtype=np.int64))
    visits = _int_columns(conn, select(VISITS.c.person_id, sql_day(conn, VISITS.c.at)).where(
        VISITS.c.at.is_not(None)), 2)
    rows, last = cube.coverage_rows(people, visits[0], visits[1], visit_days)
    insert_rows(conn, SumCoverage.__table__, rows)
    set_meta_conn(conn, COVERAGE_LAST_DAY_KEY, None if last is None else str(last))
    set_meta_conn(conn, COVERAGE_KEY, coverage_mark(visit_days, *probes))


def _fill_visits(conn: Connection) -> None:
    """Visits per day, township and mode in one GROUP BY over the visits, those per county, and the newest
    visit id they hold."""
    v = VISITS.c
    day = sql_day(conn, v.at)
    conn.execute(SumVisits.__table__.insert().from_select(
        ["day", "county_code", "township_code", "mode", "visits"],
        select(day, v.county_code, v.township_code, v.mode, func.count()).where(v.at.is_not(None))
        .group_by(day, v.county_code, v.township_code, v.mode)))
    conn.execute(county_visits())
    set_meta_conn(conn, VISITS_KEY, source_mark(conn.execute(select(func.max(v.id))).scalar()))


def county_visits() -> Insert:
    """INSERT … SELECT: `sum_visits_county` from `sum_visits` (migration 0019 does the same in plain SQL)."""
    t = SumVisits.__table__.c
    return SumVisitsCounty.__table__.insert().from_select(
        ["county_code", "day", "mode", "visits"],
        select(t.county_code, t.day, t.mode, func.sum(t.visits)).group_by(t.county_code, t.day, t.mode))


def _fill_listings(conn: Connection) -> None:
    """sum_listings and sum_listing_late: the supervision listings with their case's area codes, closing and
    outcome, and their milestones' overdue stretches; the newest listing id they hold."""
    listings, milestones = SupervisionListing.__table__.c, SupervisionMilestone.__table__.c
    c = CASES.c
    codes = (c.county_code, c.township_code, c.village_code, c.grid_code)
    conn.execute(SumListing.__table__.insert().from_select(
        ["listing_id", "case_id", "county_code", "township_code", "village_code", "grid_code", "listed_at",
         "closed_at", "resolved", "task_force_id"],
        select(listings.id, c.id, *codes, listings.listed_at, c.closed_at,
               case((c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0), listings.task_force_id)
        .select_from(SupervisionListing.__table__.join(CASES, c.id == listings.case_id))))
    # Overdue at t: listed and due before t, not done and the case not closed before t (late_to: the earlier
    # of the two, None while neither happened); portable CASEs, as SQLite's MIN(a, NULL) is NULL.
    start = case((milestones.due_at > listings.listed_at, milestones.due_at), else_=listings.listed_at)
    end = case((milestones.done_at.is_(None), c.closed_at), (c.closed_at.is_(None), milestones.done_at),
               (milestones.done_at < c.closed_at, milestones.done_at), else_=c.closed_at)
    conn.execute(SumListingLate.__table__.insert().from_select(
        ["milestone_id", "listing_id", "county_code", "township_code", "village_code", "grid_code", "late_from",
         "late_to"],
        select(milestones.id, listings.id, *codes, start, end)
        .select_from(SupervisionMilestone.__table__
                     .join(SupervisionListing.__table__, listings.id == milestones.listing_id)
                     .join(CASES, c.id == listings.case_id))
        .where(or_(end.is_(None), start < end))))
    set_meta_conn(conn, LISTINGS_KEY, source_mark(conn.execute(select(func.max(listings.id))).scalar()))


def _fill_backlog(conn: Connection) -> None:
    """The backlog board's spans and its per-day counts (data.summaries.backlog), and the newest change id."""
    spans = backlog.read_spans(conn)
    insert_rows(conn, SumBacklogSpan.__table__, backlog.span_tuples(spans))
    rows, last = backlog.board_rows(spans)
    insert_rows(conn, SumBacklogBoard.__table__, rows)
    set_meta_conn(conn, BACKLOG_LAST_DAY_KEY, None if last is None else str(last))
    set_meta_conn(conn, BACKLOG_KEY, source_mark(backlog.newest_change(conn)))


def _int_columns(conn: Connection, stmt, n: int, chunk: int = 200_000) -> list[np.ndarray]:
    """An integer query's columns as int64 arrays, read in chunks through the DB-API cursor."""
    compiled = stmt.compile(conn)
    params = ([compiled.params[k] for k in compiled.positiontup] if compiled.positional else compiled.params)
    cursor = conn.connection.driver_connection.cursor()
    parts = []
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(chunk):
            parts.append(np.array(rows, dtype=np.int64).reshape(-1, n))
    finally:
        cursor.close()
    out = np.concatenate(parts) if parts else np.zeros((0, n), dtype=np.int64)
    return [out[:, i] for i in range(n)]


def set_meta_conn(conn: Connection, key: str, value: str | None) -> None:
    """Write one meta key inside the rebuild's transaction (None deletes it)."""
    meta = Meta.__table__
    conn.execute(meta.delete().where(meta.c.key == key))
    if value is not None:
        conn.execute(meta.insert().values(key=key, value=value))


def insert_rows(conn: Connection, table, rows: Iterable[tuple]) -> None:
    """Bulk insert plain tuples in the table's column order: COPY on PostgreSQL, executemany on SQLite."""
    columns = [c.name for c in table.columns]
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cur = raw.cursor()
    cur.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    rows)
    cur.close()
