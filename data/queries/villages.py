"""A township's villages from the village summary: flows over periods, and what stood open at midnights.

Why: otherwise a township's map and safety index read every case of the township in the period. At
10,000,000 cases the busiest township has 113,000 cases in a year (map 187 ms, safety map 229 ms). Here:

- flows (registered, closed, 化解, mediated, repeat petitions, red cards issued) are the whole months of
  `sum_village` plus the days at the period's ends from the township's own case indexes (a few days of cases);
- open at midnight D is a running sum: registered before D minus ended before D (`sum_village.ended`: the
  month of the later of registration and closure), whole months from the summary and the days of D's own
  month from the case indexes;
- overdue at D comes from the overdue spans, red-carded and still open at D from `sum_red_cards`.

The counts are named as the safety index names them (`reg_<kind>`, repeat, closed, resolved, disputes_closed,
mediated, red, open, overdue, red_open) and equal the case-table counts (tests/test_village_summary.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

from sqlalchemy import ColumnElement, Connection, Engine, Integer, case, func, literal, or_, select, union_all

from data.filters import AreaRef, Period, kind_clause, repeat_petition
from data.models_summary import SumVillage
from data.queries.base import CASES, RED_CARDS, instant, kind_is
from data.queries.overdue import overdue_spans
from data.summaries import day_number, from_day_number, split_months, summaries_fresh
from data.vocab import RESOLVED_OUTCOMES, Kind, Level, Outcome

VILLAGES = SumVillage.__table__
EDGE_MEASURES = ("registered", "repeat_petitions", "closed", "resolved", "mediated", "red_cards", "ended")
Counts = dict[tuple[str, int], Counter]


def uses_village_summary(engine: Engine, area: AreaRef) -> bool:
    """Whether a township's children are read from the village summary (only while the summaries are fresh)."""
    return area.level == Level.TOWNSHIP and summaries_fresh(engine)


def village_counts(engine: Engine, township: AreaRef, slices: Sequence[Period], kinds: tuple[str, ...] = (),
                   standing: Iterable[str] = ("open", "overdue")) -> Counts:
    """Per (village code, slice index): the slice's flows and, for each name in `standing`, the count at the
    slice's end (open, overdue: open and past due, red_open: open with a red card issued before)."""
    standing = tuple(standing)
    ends = [s.hi for s in slices] if standing else []
    flow_splits = [split_months(s) for s in slices]
    partial = {i: (day_number(_month_start(d)), day_number(d.date())) for i, d in enumerate(ends)
               if d.day != 1}
    ranges = sorted({r for sp in flow_splits for r in sp.edges} | set(partial.values()))
    wholes = [sp.whole for sp in flow_splits if sp.whole]
    out: Counts = {}
    with engine.connect() as conn:
        months = _by_month(_month_rows(conn, township, wholes, kinds))
        edges = _edge_rows(conn, township, ranges, kinds)
        for i, split in enumerate(flow_splits):
            if split.whole:
                lo, hi = split.whole
                _add_flows(out, i, (row for month in months if lo <= month < hi for row in months[month]))
            for r in split.edges:
                _add_flows(out, i, ((None, *row[1:]) for row in edges if row[0] == r))
        running = _running_sums(conn, township, sorted({day_number(_month_start(d)) for d in ends}), kinds)
        if "open" in standing:
            for i, at in enumerate(ends):
                net = Counter(running[day_number(_month_start(at))]["open"])
                for r, village, _kind, registered, *_rest, ended in edges:
                    if r == partial.get(i):
                        net[village] += registered - ended
                _add_standing(out, "open", ((i, village, n) for village, n in net.items()))
        if "overdue" in standing:
            aligned = [(i, village, n) for i, at in enumerate(ends) if i not in partial
                       for village, n in running[day_number(at.date())]["overdue"].items()]
            _add_standing(out, "overdue", aligned)
            _add_standing(out, "overdue", _overdue_at(conn, township, ends, partial, kinds))
        if "red_open" in standing:
            _add_standing(out, "red_open", _red_open_at(conn, township, ends, kinds))
    return out


def _by_month(rows: list[tuple]) -> dict[int, list[tuple]]:
    by_month: dict[int, list[tuple]] = {}
    for row in rows:
        by_month.setdefault(row[0], []).append(row)
    return by_month


def _running_sums(conn: Connection, township: AreaRef, firsts: list[int],
                  kinds: tuple[str, ...]) -> dict[int, dict[str, Counter]]:
    """At each month start in `firsts` (sorted), per village: open (registered − ended) and overdue (spans
    started − spans ended) over every month before it.

    Summed in SQL: the months before are the township's whole history (thousands of rows at 1M cases), which
    took 6–10 ms to bring into Python for the 30 villages' few numbers."""
    if not firsts:
        return {}
    v = VILLAGES.c

    def before(first: int, value: ColumnElement[int]) -> ColumnElement[int]:
        return func.sum(case((v.month < first, value), else_=0))

    columns = [before(f, value) for f in firsts for value in (v.registered - v.ended, v.overdue_from - v.overdue_to)]
    stmt = (select(v.village_code, *columns)
            .where(v.township_code == township.code, v.month < firsts[-1], kind_clause(VILLAGES, kinds))
            .group_by(v.village_code))
    out = {f: {"open": Counter(), "overdue": Counter()} for f in firsts}
    for village, *sums in conn.execute(stmt):
        for k, first in enumerate(firsts):
            out[first]["open"][village] += int(sums[2 * k])
            out[first]["overdue"][village] += int(sums[2 * k + 1])
    return out


def _month_start(at: datetime) -> date:
    return at.date().replace(day=1)


def _month_rows(conn: Connection, township: AreaRef, wholes: list[tuple[int, int]],
                kinds: tuple[str, ...]) -> list[tuple]:
    """(month, village, kind, *EDGE_MEASURES) of the township's months within the slices' whole months."""
    if not wholes:
        return []
    v = VILLAGES.c
    stmt = select(v.month, v.village_code, v.kind, *[v[m] for m in EDGE_MEASURES]).where(
        v.township_code == township.code, v.month >= min(lo for lo, _ in wholes),
        v.month < max(hi for _, hi in wholes), kind_clause(VILLAGES, kinds))
    return [(int(m), village, kind, *map(int, rest)) for m, village, kind, *rest in conn.execute(stmt)]


def _edge_rows(conn: Connection, township: AreaRef, ranges: list[tuple[int, int]],
               kinds: tuple[str, ...]) -> list[tuple]:
    """((lo, hi), village, kind, *EDGE_MEASURES) counted case by case over day ranges [lo, hi), in one statement.

    Each part reads one index of the township: its cases by registration, by closure, its red cards by issue.
    `ended`: the later of registration and closure falls in the range (a case registered before the range
    ends in it when it closes in it).
    """
    if not ranges:
        return []
    c, r = CASES.c, RED_CARDS.c
    zero, one = literal(0), literal(1)
    parts = []
    for e, (lo_day, hi_day) in enumerate(ranges):
        lo, hi = (instant(datetime.combine(from_day_number(d), time.min)) for d in (lo_day, hi_day))
        tag = literal(e, Integer()).label("e")
        in_area = (c.township_code == township.code, kind_is(township, kinds))
        parts += [
            select(tag, c.village_code, c.kind, one.label("registered"),
                   repeat_petition(CASES).label("repeat_petitions"), zero.label("closed"), zero.label("resolved"), zero.label("mediated"),
                   zero.label("red_cards"), case((c.closed_at < hi, 1), else_=0).label("ended"))
            .where(c.reported_at >= lo, c.reported_at < hi, *in_area),
            select(tag, c.village_code, c.kind, zero, zero, one, case((c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0),
                   case((c.outcome == str(Outcome.SUCCESS), 1), else_=0), zero,
                   case((c.reported_at < lo, 1), else_=0))
            .where(c.closed_at >= lo, c.closed_at < hi, *in_area),
            select(tag, r.village_code, r.kind, zero, zero, zero, zero, zero, one, zero)
            .where(r.township_code == township.code, r.issued_at >= lo, r.issued_at < hi,
                   kind_clause(RED_CARDS, kinds)),
        ]
    rows = union_all(*parts).subquery("edges")
    keys = (rows.c.e, rows.c.village_code, rows.c.kind)
    stmt = select(*keys, *[func.sum(rows.c[m]) for m in EDGE_MEASURES]).group_by(*keys)
    return [(ranges[int(e)], village, kind, *map(int, rest)) for e, village, kind, *rest in conn.execute(stmt)]


def _add_flows(out: Counts, i: int, rows: Iterable[tuple]) -> None:
    """Add (_, village, kind, *EDGE_MEASURES) rows to slice i under the safety index's names."""
    for _, village, kind, registered, repeat, closed, resolved, mediated, red, _ended in rows:
        c = out.setdefault((village, i), Counter())
        c[f"reg_{kind}"] += registered
        c["repeat"] += repeat
        c["closed"] += closed
        c["resolved"] += resolved
        c["red"] += red
        if kind == str(Kind.DISPUTE):
            c["disputes_closed"] += closed
            c["mediated"] += mediated


def _add_standing(out: Counts, name: str, rows: Iterable[tuple[int, str, int]]) -> None:
    for i, village, n in rows:
        out.setdefault((village, int(i)), Counter())[name] += int(n)


def _overdue_at(conn: Connection, township: AreaRef, ends: list[datetime], partial: dict[int, tuple[int, int]],
                kinds: tuple[str, ...]) -> list[tuple]:
    """(end index, village, cases overdue then) from the overdue spans, for the ends that are not the first
    midnight of a month (those are running sums)."""
    parts = []
    for i in partial:
        spans = overdue_spans(township, ends[i], kinds, f"overdue{i}", village=True)
        parts.append(select(literal(i, Integer()).label("i"), spans.c.village_code, func.count())
                     .group_by(spans.c.village_code))
    return [tuple(r) for r in conn.execute(union_all(*parts))] if parts else []


def _red_open_at(conn: Connection, township: AreaRef, ends: list[datetime], kinds: tuple[str, ...]) -> list[tuple]:
    """(end index, village, cases still open at that midnight with a red card issued before it)."""
    r = RED_CARDS.c
    parts = [select(literal(i, Integer()).label("i"), r.village_code, func.count(r.case_id.distinct()))
             .where(r.township_code == township.code, r.issued_at < instant(at), kind_clause(RED_CARDS, kinds),
                    or_(r.closed_day.is_(None), r.closed_day >= day_number(at.date())))
             .group_by(r.village_code) for i, at in enumerate(ends)]
    return [tuple(row) for row in conn.execute(union_all(*parts))] if parts else []
