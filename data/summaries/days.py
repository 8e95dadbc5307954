"""Day numbers (days since 1970-01-01) and how a period splits into whole months or weeks plus edge days.

Every boundary the pages ask about is a midnight, so integer days are exact, the same on SQLite and
PostgreSQL, and cheap to compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Connection, Date, Engine, Integer, cast, func, literal, type_coerce

from data.filters import Period

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    """Days since 1970-01-01: the integer every summary stores instead of a date."""
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    """The date of a day number."""
    return EPOCH + timedelta(days=int(n))


def next_month(d: date) -> date:
    """The first day of the month after d's."""
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def monday_number(day: int) -> int:
    """The day number of the Monday of a day number's week (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7


def sql_day(bind: Engine | Connection, column: ColumnElement) -> ColumnElement[int]:
    """SQL: the day number of a timestamp column (NULL stays NULL), the same on both backends."""
    if bind.dialect.name == "postgresql":
        return type_coerce(cast(column, Date()) - literal(EPOCH, Date()), Integer)
    return cast(func.julianday(column) - 2440587.5, Integer)


def sql_month(bind: Engine | Connection, column: ColumnElement) -> ColumnElement[int]:
    """SQL: the day number of the first day of a timestamp's month."""
    if bind.dialect.name == "postgresql":
        return type_coerce(cast(func.date_trunc("month", column), Date()) - literal(EPOCH, Date()), Integer)
    return cast(func.julianday(column, "start of month") - 2440587.5, Integer)


@dataclass(frozen=True)
class Split:
    """A period as whole buckets [first, after) (day numbers of bucket starts) and the day ranges left over."""

    whole: tuple[int, int] | None
    edges: tuple[tuple[int, int], ...]


def split_months(period: Period) -> Split:
    """Whole calendar months inside the period (month tables) and the days before and after them (per case)."""
    start, after = period.start, period.end + timedelta(days=1)
    first = start if start.day == 1 else next_month(start)
    last = after.replace(day=1)
    return _split(start, after, first, last)


def split_weeks(period: Period) -> Split:
    """Whole Monday-to-Sunday weeks inside the period and the days left at its ends."""
    start, after = period.start, period.end + timedelta(days=1)
    first = start + timedelta(days=(7 - start.weekday()) % 7)
    last = after - timedelta(days=after.weekday())
    return _split(start, after, first, last)


def _split(start: date, after: date, first: date, last: date) -> Split:
    if first >= last:
        return Split(None, ((day_number(start), day_number(after)),))
    edges = [(day_number(a), day_number(b)) for a, b in ((start, first), (last, after)) if a < b]
    return Split((day_number(first), day_number(last)), tuple(edges))
