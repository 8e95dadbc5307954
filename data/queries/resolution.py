"""化解率 questions: how many closed cases were mediated or resolved, over time, by category and by area.

Definitions (the same as `data.queries.summary` and `python -m dashboard stats`):
- 调解成功率 (mediation success rate): disputes closed in the period whose outcome is 调解成功, over all
  disputes closed in the period;
- 化解率 (resolution rate): cases closed in the period whose outcome is 调解成功 or 办结化解, over all cases
  closed in the period (`base.closed_in`, so the kinds filter applies);
- 初信初访: first-time petitions registered in the period (`summary.first_petitions`);
- 重访: repeat-visit events (step `repeat_visit`) counted in the month they happened, for cases of the area.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

import pandas as pd
from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    FromClause,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from data.filters import AreaRef, Period, kind_clause
from data.models import Area, CaseEvent
from data.models_summary import SumClosed, SumTownshipRepeat
from data.queries.base import (
    CASES,
    CHILD_COLUMN,
    DAILY,
    FACTS,
    Grain,
    as_date,
    bucket_start,
    case_kind,
    closed_in,
    day_range,
    facts_in,
    instant,
    kind_is,
    month_rows,
    sum_of,
    summary_area,
    township_rows,
    uses_summaries,
    week_starts,
)
from data.queries.summary import disputes_handled, first_petitions
from data.summaries import day_number, from_day_number, summaries_fresh
from data.vocab import RESOLVED_OUTCOMES, Kind, Level, Outcome, Step

EVENTS = CaseEvent.__table__
AREAS = Area.__table__
SUM_CLOSED = SumClosed.__table__
TOWNSHIP_REPEATS = SumTownshipRepeat.__table__
ALL_KINDS = "all"  # the `kind` of the rows that add up every kind


class RankMetric(StrEnum):
    """What the area ranking compares."""

    MEDIATION = "mediation"  # 调解成功率, disputes only
    RESOLUTION = "resolution"  # 化解率, the chosen kinds


def _resolved() -> ColumnElement[int]:
    """1 for a closed case counted as 化解 (调解成功 or 办结化解), else 0."""
    return case((CASES.c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0)


def _rate(part: pd.Series | int, whole: pd.Series | int) -> pd.Series | float:
    """Percent, NaN where the denominator is 0."""
    if isinstance(whole, pd.Series):
        return (100.0 * part / whole.where(whole > 0)).astype("float64")
    return 100.0 * part / whole if whole else float("nan")


def resolution_kpis(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """The page's tiles in one row.

    Columns: disputes_handled, mediated, mediation_rate (from `summary.disputes_handled`, disputes whatever
    the kinds), closed, resolved, resolution_rate (the chosen kinds), first_petitions, first_petitions_previous,
    first_petitions_yoy (from `summary.first_petitions`); rates are percents, NaN when undefined.
    """
    disputes = disputes_handled(engine, area, period).iloc[0]
    petitions = first_petitions(engine, area, period).iloc[0]
    if uses_summaries(engine, area):
        stmt = select(sum_of(DAILY.c.closed).label("closed"), sum_of(DAILY.c.resolved).label("resolved")).where(
            day_range(DAILY, period), summary_area(DAILY, area), kind_clause(DAILY, kinds))
    else:
        stmt = select(func.count().label("closed"), func.coalesce(func.sum(_resolved()), 0).label("resolved")).where(
            closed_in(area, period, kinds)
        )
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    closed, resolved = int(row.closed), int(row.resolved)
    return pd.DataFrame([{
        "disputes_handled": int(disputes["handled"]),
        "mediated": int(disputes["mediated"]),
        "mediation_rate": float(disputes["success_rate"]),
        "closed": closed,
        "resolved": resolved,
        "resolution_rate": _rate(resolved, closed),
        "first_petitions": int(petitions["current"]),
        "first_petitions_previous": int(petitions["previous"]),
        "first_petitions_yoy": float(petitions["yoy"]),
    }])


def rates_over_time(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (), grain: Grain = Grain.MONTH
) -> pd.DataFrame:
    """化解率 per week or month of closure, per kind and for all the chosen kinds together.

    For disputes the 化解率 *is* the 调解成功率 (a dispute is never 办结化解). Buckets are the weeks (Monday)
    or months containing a day of the period; the first and last may be partial.
    Columns: bucket (date), kind (a Kind value, or `all`), closed, resolved, rate (percent, NaN when closed
    is 0). Every bucket has an `all` row; a kind has rows only in buckets where it closed cases.
    """
    if uses_summaries(engine, area):
        per_kind = _closed_per_bucket(engine, area, period, kinds, grain)
    else:
        bucket = bucket_start(engine, CASES.c.closed_at, grain).label("bucket")
        stmt = (
            select(bucket, CASES.c.kind, func.count().label("closed"), func.sum(_resolved()).label("resolved"))
            .where(closed_in(area, period, kinds))
            .group_by(bucket, CASES.c.kind)
        )
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        per_kind = pd.DataFrame(
            [(as_date(r.bucket), r.kind, int(r.closed), int(r.resolved)) for r in rows],
            columns=["bucket", "kind", "closed", "resolved"],
        )
    totals = (
        per_kind.groupby("bucket", as_index=False)[["closed", "resolved"]].sum()
        .set_index("bucket").reindex(buckets(period, grain), fill_value=0).reset_index()
        .assign(kind=ALL_KINDS)
    )
    frame = pd.concat([totals, per_kind], ignore_index=True)[["bucket", "kind", "closed", "resolved"]]
    frame = frame.astype({"closed": "int64", "resolved": "int64"})
    frame["rate"] = _rate(frame["resolved"], frame["closed"])
    return frame.sort_values(["kind", "bucket"], kind="stable").reset_index(drop=True)


def bucket_of(d: date, grain: Grain) -> date:
    """The first day of the week (Monday) or month containing d."""
    return d - timedelta(days=d.weekday()) if grain == Grain.WEEK else d.replace(day=1)


def _closed_per_bucket(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...], grain: Grain
) -> pd.DataFrame:
    """Closed and 化解 per bucket and kind from the daily summary; only (bucket, kind) pairs with closures."""
    t = DAILY
    stmt = (select(t.c.day, t.c.kind, func.sum(t.c.closed), func.sum(t.c.resolved))
            .where(day_range(t, period), summary_area(t, area), kind_clause(t, kinds),
                   t.c.closed > 0)
            .group_by(t.c.day, t.c.kind))
    totals: dict[tuple[date, str], list[int]] = {}
    with engine.connect() as conn:
        for day, kind, closed, resolved in conn.execute(stmt):
            got = totals.setdefault((bucket_of(from_day_number(day), grain), kind), [0, 0])
            got[0] += int(closed)
            got[1] += int(resolved)
    return pd.DataFrame([(b, k, c, r) for (b, k), (c, r) in totals.items()],
                        columns=["bucket", "kind", "closed", "resolved"])


def buckets(period: Period, grain: Grain) -> list[date]:
    """The first day of every week (Monday) or month that has a day in the period."""
    if grain == Grain.WEEK:
        return week_starts(period)
    months, d = [], period.start.replace(day=1)
    while d <= period.end:
        months.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return months


def rates_by_category(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """化解率 per case category for the cases closed in the period.

    Columns: kind, category, closed, resolved, rate (percent); ordered by kind then category name.
    """
    if uses_summaries(engine, area):
        t, f = SUM_CLOSED, FACTS

        def edge(lo: int, hi: int) -> Select:
            return select(f.c.kind, f.c.category, literal(1).label("closed"),
                          case((f.c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0).label("resolved")).where(
                facts_in("closed_day", lo, hi), summary_area(f, area), kind_clause(f, kinds))

        rows = month_rows(t, [t.c.kind, t.c.category, t.c.closed, t.c.resolved], period,
                          and_(summary_area(t, area), kind_clause(t, kinds)), edge)
        stmt = (select(rows.c.kind, rows.c.category, func.sum(rows.c.closed).label("closed"),
                       func.sum(rows.c.resolved).label("resolved"))
                .group_by(rows.c.kind, rows.c.category).order_by(rows.c.kind, rows.c.category))
    else:
        stmt = (
            select(CASES.c.kind, CASES.c.category, func.count().label("closed"),
                   func.sum(_resolved()).label("resolved"))
            .where(closed_in(area, period, kinds))
            .group_by(CASES.c.kind, CASES.c.category)
            .order_by(CASES.c.kind, CASES.c.category)
        )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(
        [(r.kind, r.category, int(r.closed), int(r.resolved)) for r in rows],
        columns=["kind", "category", "closed", "resolved"],
    ).astype({"closed": "int64", "resolved": "int64"})
    frame["rate"] = _rate(frame["resolved"], frame["closed"])
    return frame


def child_ranking(
    engine: Engine,
    area: AreaRef,
    period: Period,
    kinds: tuple[str, ...] = (),
    metric: RankMetric = RankMetric.MEDIATION,
) -> pd.DataFrame:
    """The area's children (CHILD_COLUMN) with their success rate this period and the same dates a year earlier.

    MEDIATION: disputes closed and mediated (the kinds filter does not apply: the rate is about disputes);
    RESOLUTION: cases of the chosen kinds closed and counted as 化解.
    Columns: code, name, closed, success, rate, closed_prev, success_prev, rate_prev (rates in percent,
    NaN when nothing closed); every child appears (zeros included), best rate first. Empty for a grid.
    """
    column = CHILD_COLUMN.get(area.level)
    if column is None:
        return pd.DataFrame(columns=["code", "name", "closed", "success", "rate",
                                     "closed_prev", "success_prev", "rate_prev"])
    before = period.year_before()
    if uses_summaries(engine, area):
        stmt = _ranking_summary(area, period, before, kinds, metric)
    else:
        stmt = _ranking_raw(area, period, before, kinds, metric, column)
    names = select(AREAS.c.code, AREAS.c.name).where(AREAS.c.parent_code == area.code)
    with engine.connect() as conn:
        counts = {r.code: r for r in conn.execute(stmt)}
        children = conn.execute(names).all()
    rows = []
    for code, name in children:
        r = counts.get(code)
        got = [int(getattr(r, k)) if r is not None else 0 for k in ("closed", "success", "closed_prev", "success_prev")]
        rows.append({"code": code, "name": name, "closed": got[0], "success": got[1], "rate": _rate(got[1], got[0]),
                     "closed_prev": got[2], "success_prev": got[3], "rate_prev": _rate(got[3], got[2])})
    frame = pd.DataFrame(rows)
    return frame.sort_values(["rate", "closed", "code"], ascending=[False, False, True],
                             na_position="last", kind="stable").reset_index(drop=True)


def _ranking_summary(area: AreaRef, period: Period, before: Period, kinds: tuple[str, ...],
                     metric: RankMetric) -> Select:
    """Closed and successful per child in both periods, from the daily (city) or township (county) summary."""
    if area.level == Level.CITY:
        t = DAILY
        span = Period(min(period.start, before.start), max(period.end, before.end))
        rows = select(t).where(day_range(t, span)).subquery("d")
        day, child = rows.c.day, rows.c.county_code
        parts = {p: and_(day >= day_number(p.start), day < day_number(p.end) + 1) for p in (period, before)}
    else:
        tagged = [select(rows, literal(i).label("part"))
                  for i, rows in enumerate((township_rows(area, period, (), "now"),
                                            township_rows(area, before, (), "before")))]
        rows = union_all(*tagged).subquery("t")
        child = rows.c.township_code
        parts = {period: rows.c.part == 0, before: rows.c.part == 1}
    if metric == RankMetric.MEDIATION:
        which, success = rows.c.kind == str(Kind.DISPUTE), rows.c.mediated
    else:
        which, success = kind_clause(rows, kinds), rows.c.resolved

    def summed(p: Period, value: ColumnElement[int]) -> ColumnElement[int]:
        return sum_of(case((parts[p], value), else_=0))

    return (select(child.label("code"), summed(period, rows.c.closed).label("closed"),
                   summed(period, success).label("success"), summed(before, rows.c.closed).label("closed_prev"),
                   summed(before, success).label("success_prev"))
            .where(which).group_by(child))


def _ranking_raw(area: AreaRef, period: Period, before: Period, kinds: tuple[str, ...], metric: RankMetric,
                 column: str) -> Select:
    """Closed and successful per child in both periods, from the case table (a township or village)."""
    if metric == RankMetric.MEDIATION:
        which, success = case_kind(area) == str(Kind.DISPUTE), case((CASES.c.outcome == str(Outcome.SUCCESS), 1),
                                                                    else_=0)
    else:
        which, success = kind_is(area, kinds), _resolved()

    def in_period(p: Period) -> ColumnElement[bool]:
        return and_(CASES.c.closed_at >= instant(p.lo), CASES.c.closed_at < instant(p.hi))

    def summed(p: Period, value: ColumnElement[int] | int) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((in_period(p), value), else_=0)), 0)

    child = CASES.c[column]
    return (
        select(child.label("code"), summed(period, 1).label("closed"), summed(period, success).label("success"),
               summed(before, 1).label("closed_prev"), summed(before, success).label("success_prev"))
        .where(area.clause(CASES), which, or_(in_period(period), in_period(before)))
        .group_by(child)
    )


def first_petitions_by_month(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """First-time petitions (初信初访) registered per month of the period, beside the same month a year earlier.

    Uses exactly the filters of `summary.first_petitions`, so `current` sums to its `current` and `previous`
    to its `previous`. Columns: month (first day, in the period's year), current, previous.
    """
    if uses_summaries(engine, area):
        return _monthly_pair_summary(engine, DAILY.c.first_petitions,
                                     and_(summary_area(DAILY, area), DAILY.c.kind == str(Kind.PETITION)), period)
    where = and_(case_kind(area) == str(Kind.PETITION), CASES.c.is_first_petition.is_(True), area.clause(CASES))
    return _monthly_pair(engine, CASES.c.reported_at, where, period, select_from=CASES)


def repeat_visits_by_month(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Repeat visits (重访): `repeat_visit` events per month they happened, for cases of the area and kinds,
    beside the same month a year earlier.

    Columns: month (first day, in the period's year), current, previous.
    """
    if uses_summaries(engine, area):
        return _monthly_pair_summary(engine, DAILY.c.repeat_visits,
                                     and_(summary_area(DAILY, area), kind_clause(DAILY, kinds)), period)
    if area.level == Level.TOWNSHIP and summaries_fresh(engine):
        t = TOWNSHIP_REPEATS
        return _monthly_pair_summary(engine, t.c.repeat_visits, and_(area.clause(t), kind_clause(t, kinds)), period)
    where = and_(EVENTS.c.step == str(Step.REPEAT_VISIT), area.clause(CASES), kind_clause(CASES, kinds))
    joined = EVENTS.join(CASES, CASES.c.id == EVENTS.c.case_id)
    return _monthly_pair(engine, EVENTS.c.at, where, period, select_from=joined)


def _monthly_pair(
    engine: Engine, at: ColumnElement, where: ColumnElement[bool], period: Period, select_from: FromClause
) -> pd.DataFrame:
    """Rows matching `where` counted per month of `at`, in the period and in the same dates a year earlier.

    The earlier year's months are shifted forward one year so both series share the period's months.
    """
    before = period.year_before()
    month = bucket_start(engine, at, Grain.MONTH).label("month")

    def counted(p: Period) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((and_(at >= instant(p.lo), at < instant(p.hi)), 1), else_=0)), 0)

    stmt = (
        select(month, counted(period).label("current"), counted(before).label("previous"))
        .select_from(select_from)
        .where(where, or_(and_(at >= instant(period.lo), at < instant(period.hi)),
                          and_(at >= instant(before.lo), at < instant(before.hi))))
        .group_by(month)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    current = {as_date(r.month): int(r.current) for r in rows if r.current}
    previous = {_next_year(as_date(r.month)): int(r.previous) for r in rows if r.previous}
    months = buckets(period, Grain.MONTH)
    return pd.DataFrame(
        {"month": months, "current": [current.get(m, 0) for m in months],
         "previous": [previous.get(m, 0) for m in months]}
    )


def _monthly_pair_summary(
    engine: Engine, measure: Column[int], where: ColumnElement[bool], period: Period
) -> pd.DataFrame:
    """A day-keyed summary's measure per month, in the period and in the same dates a year earlier (see
    _monthly_pair); `where` selects the rows (area and kinds) of the measure's table."""
    before = period.year_before()
    t = measure.table
    stmt = (select(t.c.day, func.sum(measure))
            .where(where, or_(day_range(t, period), day_range(t, before)))
            .group_by(t.c.day))
    lo, hi = day_number(period.start), day_number(period.end) + 1
    blo, bhi = day_number(before.start), day_number(before.end) + 1
    current: dict[date, int] = {}
    previous: dict[date, int] = {}
    with engine.connect() as conn:
        for day, n in conn.execute(stmt):
            month = from_day_number(day).replace(day=1)
            if lo <= day < hi:
                current[month] = current.get(month, 0) + int(n)
            if blo <= day < bhi:
                shifted = _next_year(month)
                previous[shifted] = previous.get(shifted, 0) + int(n)
    months = buckets(period, Grain.MONTH)
    return pd.DataFrame(
        {"month": months, "current": [current.get(m, 0) for m in months],
         "previous": [previous.get(m, 0) for m in months]}
    )


def _next_year(d: date) -> date:
    """Align a month of the earlier year with the same month of the period (month starts: no 29 February)."""
    return d.replace(year=d.year + 1)
