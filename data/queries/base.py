"""Shared definitions every page's queries use, so that the same filters give the same totals everywhere.

- intake: cases *registered* in the period (reported_at in [start, end]), in the area, of the chosen kinds;
- handled: cases *closed* in the period;
- open at an instant: registered before it and not closed by then.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from data.filters import AreaRef, Period, kind_clause
from data.models import Case
from data.vocab import LEVEL_ORDER, Level

CASES = Case.__table__

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


def registered_in(area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Intake: cases registered in the period, in the area, of the kinds."""
    return and_(
        CASES.c.reported_at >= period.lo, CASES.c.reported_at < period.hi, area.clause(CASES), kind_clause(CASES, kinds)
    )


def closed_in(area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Handled: cases closed in the period, in the area, of the kinds."""
    return and_(
        CASES.c.closed_at >= period.lo, CASES.c.closed_at < period.hi, area.clause(CASES), kind_clause(CASES, kinds)
    )


def open_at(area: AreaRef, at: datetime, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Cases open at instant `at`: registered before it and not closed by then."""
    return and_(
        CASES.c.reported_at < at,
        or_(CASES.c.closed_at.is_(None), CASES.c.closed_at >= at),
        area.clause(CASES),
        kind_clause(CASES, kinds),
    )
