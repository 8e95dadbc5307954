"""Shared definitions every page's queries use, so that the same filters give the same totals everywhere.

- intake: cases *registered* in the period (reported_at in [start, end]), in the area, of the chosen kinds;
- handled: cases *closed* in the period;
- open at an instant: registered before it and not closed by then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Dialect,
    Engine,
    Integer,
    Select,
    String,
    Table,
    TypeDecorator,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.sql.selectable import Subquery
from sqlalchemy.types import TypeEngine

from data.filters import AreaRef, Period, kind_clause
from data.models import Area, Case
from data.models_summary import SumCase, SumDaily, SumRedCard, SumStanding, SumTownship
from data.summaries import day_number, split_months, standing_day, summaries_fresh
from data.vocab import LEVEL_ORDER, RESOLVED_OUTCOMES, Level, Outcome

CASES = Case.__table__
AREAS = Area.__table__
DAILY = SumDaily.__table__
STANDING = SumStanding.__table__
FACTS = SumCase.__table__
TOWNSHIP = SumTownship.__table__
RED_CARDS = SumRedCard.__table__

# The column that names an area's children in the case table (grids have no children).
CHILD_COLUMN: dict[Level, str] = {
    Level.CITY: "county_code",
    Level.COUNTY: "township_code",
    Level.TOWNSHIP: "village_code",
    Level.VILLAGE: "grid_code",
}


def child_level(level: Level) -> Level | None:
    """The level below `level`, or None for a grid."""
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


class _Instant(TypeDecorator):
    """A timestamp parameter that SQLite compares by instant: 'YYYY-MM-DD HH:MM:SS' text when the fraction is 0."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        return dialect.type_descriptor(String() if dialect.name == "sqlite" else DateTime())

    def process_bind_param(self, value: object, dialect: Dialect) -> object:
        if dialect.name == "sqlite" and isinstance(value, datetime):
            return value.isoformat(" ", timespec="microseconds" if value.microsecond else "seconds")
        return value


def instant(value: datetime) -> ColumnElement[datetime]:
    """A timestamp to compare with stored timestamps, by instant on both backends.

    SQLite keeps timestamps as text: the demo loader (and the tests' raw SQL) write 'YYYY-MM-DD HH:MM:SS', while
    SQLAlchemy binds 'YYYY-MM-DD HH:MM:SS.000000', which sorts after a stored value of the same instant — a case
    registered at exactly midnight fell into the day before, unlike on PostgreSQL and in the summaries. Bound
    without a zero fraction, the comparison is by instant whichever way the value was stored.
    """
    return literal(value, _Instant())


def registered_in(area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Intake: cases registered in the period, in the area, of the kinds."""
    return and_(
        CASES.c.reported_at >= instant(period.lo), CASES.c.reported_at < instant(period.hi), area.clause(CASES),
        kind_is(area, kinds),
    )


def closed_in(area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Handled: cases closed in the period, in the area, of the kinds."""
    return and_(
        CASES.c.closed_at >= instant(period.lo), CASES.c.closed_at < instant(period.hi), area.clause(CASES),
        kind_is(area, kinds),
    )


def case_kind(area: AreaRef) -> ColumnElement[str]:
    """The case kind to filter on: below a county an expression rather than the bare column.

    With the bare column SQLite may prefer the (kind, closed_at) or (kind, reported_at) index and walk every
    case of the kind in the period city-wide; an expression leaves it the area's own index (a township's
    (township, reported_at) or (township, closed_at), a village's or grid's), a few hundred cases. Same result.
    """
    return CASES.c.kind.concat("") if area.level in (Level.TOWNSHIP, Level.VILLAGE, Level.GRID) else CASES.c.kind


def kind_is(area: AreaRef, kinds: tuple[str, ...] | list[str]) -> ColumnElement[bool]:
    """kind_clause on `case_kind(area)`: the chosen kinds (none chosen: every kind)."""
    return case_kind(area).in_([str(k) for k in kinds]) if kinds else true()


def open_at(area: AreaRef, at: datetime, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Cases open at instant `at`: registered before it and not closed by then."""
    return and_(
        CASES.c.reported_at < instant(at),
        or_(CASES.c.closed_at.is_(None), CASES.c.closed_at >= instant(at)),
        area.clause(CASES),
        kind_is(area, kinds),
    )


# --- reading the summary tables (data/models_summary.py) -------------------------------------------------------
# A city or a county reads summaries (keyed down to the township); a township or anything below reads the case
# table through its selective area indexes, which hold under 1% of the cases each.


def uses_summaries(engine: Engine, area: AreaRef) -> bool:
    """Whether this area's figures come from the summary tables (city and counties) or the case table.

    Only while the summaries match the cases (`data.summaries.summaries_fresh`): a database whose cases were
    written without `after_cases_changed` still answers correctly, from the case table.
    """
    return area.level in (Level.CITY, Level.COUNTY) and summaries_fresh(engine)


def summary_area(table: Table, area: AreaRef) -> ColumnElement[bool]:
    """The rows of a summary table (keyed by county_code) inside a city or county."""
    return true() if area.level == Level.CITY else table.c.county_code == area.code


def summary_child(table: Table, area: AreaRef) -> ColumnElement[str]:
    """The summary column naming a city's or county's children (counties or townships)."""
    return table.c["county_code" if area.level == Level.CITY else "township_code"]


def midnight_day(at: datetime) -> int | None:
    """The day number of a midnight instant (what the standing snapshot is keyed by); None for any other time."""
    if at.time() != time.min:
        return None
    return day_number(at.date())


def day_range(table: Table, period: Period, column: str = "day") -> ColumnElement[bool]:
    """Rows of a day-keyed summary inside the period."""
    return and_(table.c[column] >= day_number(period.start), table.c[column] < day_number(period.end) + 1)


def standing_rows(engine: Engine, area: AreaRef, at: datetime, kinds: tuple[str, ...]) -> ColumnElement[bool] | None:
    """Condition selecting the standing snapshot at midnight `at` in the area and kinds (None: not a midnight)."""
    day = midnight_day(at)
    if day is None:
        return None
    table = STANDING
    return and_(table.c.day == standing_day(engine, day), summary_area(table, area), kind_clause(table, kinds))


def sum_of(column: ColumnElement) -> ColumnElement[int]:
    """SUM that is 0 (not NULL) over no rows."""
    return func.coalesce(func.sum(column), 0)


def month_rows(table: Table, columns: Sequence[ColumnElement], period: Period, where: ColumnElement[bool],
               edge: Callable[[int, int], Select], name: str = "rows") -> Subquery:
    """A monthly summary's rows for the whole months of the period, UNION ALL `edge(lo, hi)` for the days
    before and after them (per-case rows of `sum_cases` shaped like the summary's, one per day range)."""
    split = split_months(period)
    parts = [edge(lo, hi) for lo, hi in split.edges]
    if split.whole:
        lo, hi = split.whole
        parts.insert(0, select(*columns).where(table.c.month >= lo, table.c.month < hi, where))
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery(name)


def uses_facts(engine: Engine, area: AreaRef) -> bool:
    """Whether the area's per-case questions can read `sum_cases` (one narrow row per case, its stage hours
    included) instead of the case and event tables: a city, county or township, while the summaries are fresh
    (`sum_cases` keeps no village)."""
    return area.level in (Level.CITY, Level.COUNTY, Level.TOWNSHIP) and summaries_fresh(engine)


def facts_area(area: AreaRef) -> ColumnElement[bool]:
    """The `sum_cases` rows inside a city, county or township. A township's are read through its county's
    (county, reported day, township) index, so the county comes from the area table, not the code's digits."""
    if area.level == Level.TOWNSHIP:
        county = select(AREAS.c.county_code).where(AREAS.c.code == area.code).scalar_subquery()
        return and_(FACTS.c.county_code == county, FACTS.c.township_code == area.code)
    return summary_area(FACTS, area)


def facts_in(column: str, lo: int, hi: int) -> ColumnElement[bool]:
    """Per-case summary rows whose day column (reported_day, closed_day) falls in [lo, hi)."""
    return and_(FACTS.c[column] >= lo, FACTS.c[column] < hi)


def township_rows(area: AreaRef, period: Period, kinds: tuple[str, ...], name: str = "townships") -> Subquery:
    """A county's rows per township over the period: township_code, kind, registered, closed, resolved, mediated.

    Whole months from the township summary; the days around them from `sum_cases`, one row per case that was
    registered (registered = 1) or closed (closed = 1, with its 化解 / mediated flags) on those days.
    """
    t, f = TOWNSHIP, FACTS
    resolved = case((f.c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0)
    mediated = case((f.c.outcome == str(Outcome.SUCCESS), 1), else_=0)
    in_area = and_(f.c.county_code == area.code, kind_clause(f, kinds))

    def edge(lo: int, hi: int) -> Select:
        zero, one = literal(0), literal(1)
        return union_all(
            select(f.c.township_code, f.c.kind, one.label("registered"), zero.label("closed"),
                   zero.label("resolved"), zero.label("mediated")).where(facts_in("reported_day", lo, hi), in_area),
            select(f.c.township_code, f.c.kind, zero, one, resolved, mediated).where(
                facts_in("closed_day", lo, hi), in_area),
        ).subquery().select()

    columns = [t.c.township_code, t.c.kind, t.c.registered, t.c.closed, t.c.resolved, t.c.mediated]
    return month_rows(t, columns, period, and_(t.c.county_code == area.code, kind_clause(t, kinds)), edge, name)


# --- time buckets of the trend charts (weekly/monthly series on /flow, /resolution, /campaigns, /opinion) ---


def as_date(value: object) -> date:
    """A bucket key as a date, whichever type the driver returned."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def week_starts(period: Period) -> list[date]:
    """The Monday of every week that has a day in the period."""
    first = period.start - timedelta(days=period.start.weekday())
    return [first + timedelta(weeks=i) for i in range((period.end - first).days // 7 + 1)]


def bucket_index(column: KeyedColumnElement[Any], edges: Sequence[datetime]) -> ColumnElement[Any]:
    """Index i of the interval [edges[i], edges[i+1]) a timestamp falls in (the last one is open-ended).

    A portable CASE (no dialect date functions), nested as a binary search so that a three-year weekly series
    costs ~8 comparisons per row instead of ~80.
    """

    def between(lo: int, hi: int) -> ColumnElement[Any]:
        if lo == hi:
            return literal(lo, Integer())
        mid = (lo + hi + 1) // 2
        return case((column < instant(edges[mid]), between(lo, mid - 1)), else_=between(mid, hi))

    return between(0, len(edges) - 1)


def bucket_counts(rows: Iterable[Sequence[Any]], buckets: int, columns: Sequence[str]) -> pd.DataFrame:
    """(bucket index, column, count) rows → one row per bucket, 0 where nothing was counted; rows of a column
    not in `columns` are left out. Filled in numpy: `DataFrame.loc` per row cost about 0.1 ms each."""
    position = {c: j for j, c in enumerate(columns)}
    totals = np.zeros((buckets, len(columns)), dtype=np.int64)
    for index, column, n in rows:
        j = position.get(column)
        if j is not None:
            totals[int(index), j] += int(n)
    return pd.DataFrame(totals, columns=list(columns))


# SQLite and PostgreSQL need different SQL for these.


class Grain(StrEnum):
    """Time buckets of the trend charts."""

    WEEK = "week"
    MONTH = "month"


def bucket_start(engine: Engine, column: ColumnElement, grain: Grain) -> ColumnElement:
    """The first day of the week (Monday) or month containing `column`, as a date (a 'YYYY-MM-DD' string on SQLite)."""
    if engine.dialect.name == "postgresql":
        return cast(func.date_trunc(str(grain), column), Date)
    if grain == Grain.WEEK:
        return func.date(column, "weekday 0", "-6 days")  # forward to Sunday (or stay), back to its Monday
    return func.date(column, "start of month")


def hours_since_epoch(engine: Engine, column: ColumnElement) -> ColumnElement[float]:
    """An instant as a number of hours (from the epoch on PostgreSQL, from the Julian epoch on SQLite): the
    difference of two of them is the hours between, whatever the dialect."""
    if engine.dialect.name == "postgresql":
        return extract("epoch", column) / 3600.0
    return func.julianday(column) * 24.0
