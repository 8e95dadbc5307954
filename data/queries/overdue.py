"""逾期督办 questions: which open cases are past due at the end of the period, where, whose, how late, which card.

"Now" is the END of the selected period (`period.hi`), so a past period shows what was overdue then. Overdue
means open at that instant (`base.open_at`) with `due_at` before it; a case's card is the most severe one issued
before that instant. The table request (paging, sorting, filtering from the browser) is parsed here into typed
values against a whitelist, so no browser text ever reaches SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    CTE,
    ColumnElement,
    Engine,
    Select,
    Table,
    and_,
    case,
    false,
    func,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.selectable import FromClause, Subquery

from data.filters import AreaRef, Period, kind_clause
from data.models import Area, CaseCard, CaseEvent
from data.models_summary import SumOverdueSpan, SumTownshipCard
from data.queries.base import (
    CASES,
    CHILD_COLUMN,
    DAILY,
    STANDING,
    bucket_counts,
    bucket_index,
    day_range,
    instant,
    midnight_day,
    open_at,
    standing_rows,
    sum_of,
    summary_area,
    summary_child,
    uses_summaries,
    week_starts,
)
from data.queries.list_pages import parse_sort
from data.rules import AGING_BUCKETS, DUE_SOON_HOURS
from data.summaries import AGING_DAYS, MAX_SPAN_CLASS, day_number, from_day_number, summaries_fresh
from data.vocab import CARD_LABELS, CARD_ORDER, KIND_LABELS, CardColor, Kind, Level

AREAS = Area.__table__
CARDS = CaseCard.__table__
EVENTS = CaseEvent.__table__
SPANS = SumOverdueSpan.__table__
TOWNSHIP_CARDS = SumTownshipCard.__table__

TOP_UNITS = 15
DUE_SOON_LIST = 8
NO_CARD_LABEL = "无"


# --- shared pieces -----------------------------------------------------------------------------------------


def overdue_at(area: AreaRef, at: datetime, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Cases open at `at` whose due date has passed by then: the one definition every overdue figure uses."""
    return and_(open_at(area, at, kinds), CASES.c.due_at < instant(at))


def card_rank(at: datetime) -> ColumnElement[Any]:
    """Correlated scalar: rank (1 blue … 3 red) of the most severe card a case received before `at`, else NULL.

    Correlated on purpose: it runs only for the few rows that survive the overdue filter, using the case_id index.
    """
    rank = case(*[(CARDS.c.color == str(c), i + 1) for i, c in enumerate(CARD_ORDER)], else_=0)
    return (
        select(func.max(rank))
        .where(CARDS.c.case_id == CASES.c.id, CARDS.c.issued_at < instant(at))
        .correlate(CASES)
        .scalar_subquery()
    )


def rank_color(rank: Any) -> str | None:
    """The card color code for a rank from `card_rank` (None when the case has no card)."""
    if rank is None or (isinstance(rank, float) and math.isnan(rank)) or int(rank) <= 0:
        return None
    return str(CARD_ORDER[int(rank) - 1])


def group_column(area: AreaRef) -> str:
    """The case column naming the area's children; a grid has none, so it groups on itself."""
    return CHILD_COLUMN.get(area.level, "grid_code")


def _children(area: AreaRef):
    """The area's children (a grid: itself) as a subquery with code and name, so empty children still show."""
    cond = AREAS.c.code == area.code if area.level == Level.GRID else AREAS.c.parent_code == area.code
    return select(AREAS.c.code, AREAS.c.name).where(cond).subquery("children")


def _first(stmt: Select, name: str) -> CTE:
    """Filter first, aggregate after: without MATERIALIZED, SQLite walks a GROUP BY index row by row (3× slower)."""
    return stmt.cte(name).prefix_with("MATERIALIZED")


def _frame(engine: Engine, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


def _count(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


# --- headline and charts --------------------------------------------------------------------------------------


def overdue_summary(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row for the tiles at the end of the period.

    Columns: overdue (open and past due), blue, yellow, red (open cases by their most severe card — a case counts
    once; equals the home page's card counts), due_24h, due_48h (open, falling due within that many hours).
    """
    at = period.hi
    if uses_summaries(engine, area):
        return _summary_from_snapshot(engine, area, period, kinds)
    inner = _first(select(CASES.c.due_at, card_rank(at).label("r")).where(open_at(area, at, kinds)), "open_now")
    soon = [_count(and_(inner.c.due_at > instant(at), inner.c.due_at <= instant(at + timedelta(hours=h))))
            .label(f"due_{h}h")
            for h in DUE_SOON_HOURS]
    stmt = select(
        _count(inner.c.due_at < instant(at)).label("overdue"),
        *[_count(inner.c.r == i + 1).label(str(c)) for i, c in enumerate(CARD_ORDER)],
        *soon,
    )
    frame = _frame(engine, stmt, ["overdue", *[str(c) for c in CARD_ORDER], *[f"due_{h}h" for h in DUE_SOON_HOURS]])
    return frame.astype(int)


def _summary_from_snapshot(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...]) -> pd.DataFrame:
    """overdue_summary for a city or county: the standing snapshot, plus the few cases falling due soon."""
    at = period.hi
    t = STANDING.c
    stmt = select(sum_of(t.overdue), sum_of(t.open_card1), sum_of(t.open_card2), sum_of(t.open_card3)).where(
        standing_rows(engine, area, at, kinds))
    due = falling_due(area, at, kinds, max(DUE_SOON_HOURS))
    soon = select(*[_count(due.c.due_at <= instant(at + timedelta(hours=h))) for h in DUE_SOON_HOURS])
    with engine.connect() as conn:
        overdue, c1, c2, c3 = (int(v) for v in conn.execute(stmt).one())
        due = [int(v) for v in conn.execute(soon).one()]
    row = {"overdue": overdue, **dict(zip([str(c) for c in CARD_ORDER], (c1 - c2, c2 - c3, c3), strict=True)),
           **{f"due_{h}h": n for h, n in zip(DUE_SOON_HOURS, due, strict=True)}}
    return pd.DataFrame([row]).astype(int)


def overdue_spans(area: AreaRef, at: datetime, kinds: tuple[str, ...], name: str = "overdue_now",
                  village: bool = False) -> Subquery:
    """The cases of an area overdue at midnight `at`, from the spans table, with their area codes and unit.

    One short index range per span class: a span of class k (length < 2^(k+1) days) that covers day D started
    within the 2^(k+1) − 1 days up to D; open-ended spans (class −1) only need to have started. The index
    carries the county and township (the page's default ranking reads nothing else); `village` adds the
    village code, read from the table for the few spans that match.
    """
    day = day_number(at.date())
    t = SPANS
    cols = [t.c.case_id, t.c.county_code, t.c.township_code, *([t.c.village_code] if village else []), t.c.kind,
            t.c.unit, t.c.due_at]
    where = and_(area.clause(t), kind_clause(t, kinds))
    parts = [select(*cols).where(t.c.span_class == -1, t.c.start_day <= day, where)]
    parts += [select(*cols).where(t.c.span_class == k, t.c.start_day >= day - 2 ** (k + 1) + 2,
                                  t.c.start_day <= day, t.c.end_day > day, where)
              for k in range(MAX_SPAN_CLASS + 1)]
    return union_all(*parts).subquery(name)


def overdue_cases(engine: Engine, area: AreaRef, at: datetime, kinds: tuple[str, ...]) -> ColumnElement[bool]:
    """Condition on the case table: overdue at `at` (through the spans table for a city or county)."""
    if uses_summaries(engine, area) and midnight_day(at) is not None:
        return CASES.c.id.in_(select(overdue_spans(area, at, kinds).c.case_id))
    return overdue_at(area, at, kinds)


def _standing_by_child(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...],
                       measures: dict[str, ColumnElement[Any]]) -> Subquery:
    """Standing-snapshot sums per child (code first), for a city or county at the end of the period."""
    child = summary_child(STANDING, area)
    return (select(child.label("code"), *[sum_of(m).label(name) for name, m in measures.items()])
            .where(standing_rows(engine, area, period.hi, kinds)).group_by(child).subquery())


def overdue_by_child(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Overdue cases per child area at the end of the period, every child listed (zeros too), most first.

    Columns: code (full child code), name, overdue.
    """
    if uses_summaries(engine, area):
        counts = _standing_by_child(engine, area, period, kinds, {"n": STANDING.c.overdue})
    else:
        rows = _first(select(CASES.c[group_column(area)].label("code")).where(overdue_at(area, period.hi, kinds)),
                      "od")
        counts = select(rows.c.code, func.count().label("n")).group_by(rows.c.code).subquery()
    kids = _children(area)
    n = func.coalesce(counts.c.n, 0)
    stmt = (
        select(kids.c.code, kids.c.name, n.label("overdue"))
        .select_from(kids.outerjoin(counts, counts.c.code == kids.c.code))
        .order_by(n.desc(), kids.c.code)
    )
    frame = _frame(engine, stmt, ["code", "name", "overdue"])
    return frame.astype({"overdue": int})


def overdue_by_unit(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (), limit: int = TOP_UNITS
) -> pd.DataFrame:
    """The responsible units with the most overdue cases at the end of the period (top `limit`).

    Columns: unit, overdue.
    """
    if uses_summaries(engine, area):
        rows = overdue_spans(area, period.hi, kinds)
    else:
        rows = _first(select(CASES.c.responsible_unit.label("unit")).where(overdue_at(area, period.hi, kinds)), "od")
    n = func.count()
    stmt = select(rows.c.unit, n.label("overdue")).group_by(rows.c.unit).order_by(n.desc(), rows.c.unit).limit(limit)
    return _frame(engine, stmt, ["unit", "overdue"]).astype({"overdue": int})


def _aging_bucket(at: datetime) -> ColumnElement[Any]:
    """Index of the AGING_BUCKETS bucket of days past due, as due_at comparisons (portable, index-friendly)."""
    whens = [(CASES.c.due_at >= instant(at - timedelta(days=upper)), i)
             for i, (_label, _lower, upper) in enumerate(AGING_BUCKETS) if math.isfinite(upper)]
    return case(*whens, else_=len(AGING_BUCKETS) - 1)


def overdue_aging(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Overdue cases by days past due (data.rules.AGING_BUCKETS), every bucket listed in order.

    Columns: bucket (label, e.g. "3–7天"), overdue.
    """
    at = period.hi
    labels = [label for label, _lo, _hi in AGING_BUCKETS]
    if uses_summaries(engine, area):
        return pd.DataFrame({"bucket": labels, "overdue": _aging_from_snapshot(engine, area, period, kinds)})
    bucket = _aging_bucket(at).label("b")
    inner = _first(select(bucket).where(overdue_at(area, at, kinds)), "od")
    stmt = select(inner.c.b, func.count()).group_by(inner.c.b)
    with engine.connect() as conn:
        counts = {int(b): int(n) for b, n in conn.execute(stmt).all()}
    return pd.DataFrame({"bucket": labels, "overdue": [counts.get(i, 0) for i in range(len(labels))]})


def _aging_from_snapshot(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...]) -> list[int]:
    """Overdue per aging bucket from the snapshot's "more than N days past due" counts (differences of them)."""
    t = STANDING.c
    columns = [t.overdue, *[t[f"overdue_{n}"] for n in AGING_DAYS]]
    with engine.connect() as conn:
        above = [int(v) for v in conn.execute(select(*[sum_of(c) for c in columns]).where(
            standing_rows(engine, area, period.hi, kinds))).one()]
    return [above[i] - above[i + 1] for i in range(len(above) - 1)] + [above[-1]]


def cards_by_child(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Open cases at the end of the period by child area and most severe card, every child listed.

    Columns: code, name, blue, yellow, red (a case counts once, under its most severe card issued by then).
    """
    at = period.hi
    if uses_summaries(engine, area):
        t = STANDING.c
        counts = _standing_by_child(engine, area, period, kinds, {
            str(CardColor.BLUE): t.overdue_card1 - t.overdue_card2, str(CardColor.YELLOW): t.overdue_card2 -
            t.overdue_card3, str(CardColor.RED): t.overdue_card3, "carded": t.overdue_card1})
    else:
        col = CASES.c[group_column(area)]
        inner = _first(select(col.label("code"), card_rank(at).label("r")).where(overdue_at(area, at, kinds)), "od")
        per_color = [_count(inner.c.r == i + 1).label(str(c)) for i, c in enumerate(CARD_ORDER)]
        counts = (
            select(inner.c.code, *per_color, _count(inner.c.r > 0).label("carded")).group_by(inner.c.code)
            .subquery()
        )
    kids = _children(area)
    colors = [func.coalesce(counts.c[str(c)], 0).label(str(c)) for c in CARD_ORDER]
    stmt = (
        select(kids.c.code, kids.c.name, *colors)
        .select_from(kids.outerjoin(counts, counts.c.code == kids.c.code))
        .order_by(func.coalesce(counts.c.carded, 0).desc(), kids.c.code)
    )
    frame = _frame(engine, stmt, ["code", "name", *[str(c) for c in CARD_ORDER]])
    return frame.astype({str(c): int for c in CARD_ORDER})


def cards_by_week(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Cards issued per week within the period, by color (joined to cases for area and kinds), every week listed.

    Columns: week (Monday, date), blue, yellow, red.
    """
    weeks = week_starts(period)
    if uses_summaries(engine, area):
        return _cards_by_week_summary(engine, DAILY, summary_area(DAILY, area), period, kinds, weeks)
    if area.level == Level.TOWNSHIP and summaries_fresh(engine):
        return _cards_by_week_summary(engine, TOWNSHIP_CARDS, area.clause(TOWNSHIP_CARDS), period, kinds, weeks)
    edges = [datetime.combine(w, datetime.min.time()) for w in weeks[1:]]
    issued = (
        select(bucket_index(CARDS.c.issued_at, [period.lo, *edges]).label("w"), CARDS.c.color)
        .select_from(CARDS.join(CASES, CASES.c.id == CARDS.c.case_id))
        .where(CARDS.c.issued_at >= instant(period.lo), CARDS.c.issued_at < instant(period.hi), area.clause(CASES),
               kind_clause(CASES, kinds))
        .subquery()
    )
    # Grouping on the subquery's column: PostgreSQL cannot match a GROUP BY expression with bound parameters.
    stmt = select(issued.c.w, issued.c.color, func.count()).group_by(issued.c.w, issued.c.color)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = bucket_counts(rows, len(weeks), [str(c) for c in CARD_ORDER])
    frame.insert(0, "week", weeks)
    return frame


def _cards_by_week_summary(
    engine: Engine, table: Table, where: ColumnElement[bool], period: Period, kinds: tuple[str, ...],
    weeks: list[date],
) -> pd.DataFrame:
    """cards_by_week from a day-keyed card count: `sum_daily` for a city or county, `sum_township_cards` for a
    township; its cards issued per day, added up per week."""
    t = table.c
    stmt = (select(t.day, *[func.sum(t[f"{c}_cards"]) for c in CARD_ORDER])
            .where(day_range(table, period), where, kind_clause(table, kinds))
            .group_by(t.day))
    totals = np.zeros((len(weeks), len(CARD_ORDER)), dtype=np.int64)
    with engine.connect() as conn:
        for day, *counts in conn.execute(stmt):
            totals[(from_day_number(day) - weeks[0]).days // 7] += [int(n) for n in counts]
    frame = pd.DataFrame(totals, columns=[str(c) for c in CARD_ORDER])
    frame.insert(0, "week", weeks)
    return frame


def due_soon_cases(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (),
    hours: int = max(DUE_SOON_HOURS), limit: int = DUE_SOON_LIST,
) -> pd.DataFrame:
    """Open cases falling due within `hours` after the end of the period, soonest first (at most `limit`).

    Columns: id, case_no, kind, unit, due_at.
    """
    soon = falling_due(area, period.hi, kinds, hours)
    stmt = (select(soon.c.id, soon.c.case_no, soon.c.kind, soon.c.responsible_unit, soon.c.due_at)
            .order_by(soon.c.due_at, soon.c.id).limit(limit))
    return _frame(engine, stmt, ["id", "case_no", "kind", "unit", "due_at"])


def falling_due(area: AreaRef, at: datetime, kinds: tuple[str, ...], hours: int) -> Subquery:
    """Cases open at `at` that fall due within `hours` after it.

    The due-date window is read first (a range of the due_at index: a day or two of cases), so no area or
    kind index can lure the planner into walking a whole county instead.
    """
    c = CASES.c
    window = _first(select(c.id, c.case_no, c.kind, c.responsible_unit, c.due_at, c.reported_at, c.closed_at,
                           c.county_code, c.township_code, c.village_code, c.grid_code)
                    .where(c.due_at > instant(at), c.due_at <= instant(at + timedelta(hours=hours))), "due_window")
    w = window.c
    return (select(window).where(w.reported_at < instant(at), or_(w.closed_at.is_(None), w.closed_at >= instant(at)),
                                 area.clause(window), kind_clause(window, kinds))
            .subquery("falling_due"))


# --- the overdue table: browser request → whitelisted, typed SQL -----------------------------------------------

PAGE_SIZE = 15
MAX_PAGE_SIZE = 50
MAX_FILTER_CHARS = 600
MAX_VALUE_CHARS = 64
MAX_NUMBER = 100_000.0

# Column ids of the table and what kind of value each holds (the whitelist: anything else is refused).
TEXT, LABEL, DATE, NUMBER = "text", "label", "date", "number"
TABLE_COLUMNS: dict[str, str] = {
    "case_no": TEXT, "kind": LABEL, "category": TEXT, "place": TEXT, "unit": TEXT,
    "reported_at": DATE, "due_at": DATE, "overdue_days": NUMBER, "card": LABEL,
}
OPERATORS: dict[str, frozenset[str]] = {
    TEXT: frozenset({"eq", "ne", "contains"}),
    LABEL: frozenset({"eq", "ne", "contains"}),
    DATE: frozenset({"eq", "ne", "lt", "le", "gt", "ge", "datestartswith", "contains"}),  # contains: a prefix
    NUMBER: frozenset({"eq", "ne", "lt", "le", "gt", "ge"}),
}
_OP_ALIASES = {"=": "eq", "eq": "eq", "!=": "ne", "ne": "ne", "<": "lt", "lt": "lt", "<=": "le", "le": "le",
               ">": "gt", "gt": "gt", ">=": "ge", "ge": "ge", "contains": "contains",
               "datestartswith": "datestartswith"}
_PART = re.compile(r"^\{(?P<col>[a-z_]{1,20})\}\s+(?P<op>[a-z<>=!]{1,16})\s+(?P<val>.+)$", re.DOTALL)
_DATE_PREFIX = re.compile(r"^(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?(?:[ T](\d{1,2}):(\d{2}))?")
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("overdue_days", True),)
# Labels the kind and card columns show, mapped back to what SQL compares: kind codes, card ranks (0 = none).
LABEL_CODES: dict[str, dict[str, str | int]] = {
    "kind": {label: str(k) for k, label in KIND_LABELS.items()},
    "card": {**{label: i + 1 for i, label in enumerate(CARD_LABELS[c] for c in CARD_ORDER)}, NO_CARD_LABEL: 0},
}


@dataclass(frozen=True)
class ColumnFilter:
    """One validated filter: a whitelisted column, a known operator and a typed value."""

    column: str
    op: str
    value: str | float | tuple[datetime, datetime] | tuple[str | int, ...]


@dataclass(frozen=True)
class TableRequest:
    """What the table asked for, validated: page, sort keys (column, descending) and filters; `ignored` lists
    the filter parts that were refused, so the page can say so instead of silently showing more rows."""

    page: int = 0
    page_size: int = PAGE_SIZE
    sort: tuple[tuple[str, bool], ...] = DEFAULT_SORT
    filters: tuple[ColumnFilter, ...] = ()
    ignored: tuple[str, ...] = ()


def _int_in(value: Any, lo: int, hi: int, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return min(max(number, lo), hi)


def _unquote(raw: str) -> str:
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].replace("\\" + text[0], text[0])
    return text


def _normalise_op(raw: str) -> str | None:
    """DataTable writes operators as symbols or words, optionally prefixed by s/i (case sensitivity)."""
    if raw in _OP_ALIASES:
        return _OP_ALIASES[raw]
    if raw[:1] in ("s", "i") and raw[1:] in _OP_ALIASES:
        return _OP_ALIASES[raw[1:]]
    return None


def date_range(text: str) -> tuple[datetime, datetime] | None:
    """A date prefix (2023, 2023-05, 2023-05-07, 2023-05-07 10:30) → the [start, end) it covers; None if invalid."""
    match = _DATE_PREFIX.match(text.strip())
    if match is None or match.end() != len(text.strip()):
        return None
    year, month, day, hour, minute = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return datetime(year, 1, 1), datetime(year + 1, 1, 1)
        if day is None:
            return datetime(year, month, 1), datetime(year + (month == 12), month % 12 + 1, 1)
        if hour is None:
            start = datetime(year, month, day)
            return start, start + timedelta(days=1)
        start = datetime(year, month, day, hour, minute or 0)
    except (ValueError, OverflowError, TypeError):
        return None
    return start, start + timedelta(minutes=1)


def _typed_value(column: str, op: str, text: str) -> Any:
    """The filter value converted for the column's type, or None when it does not fit."""
    kind = TABLE_COLUMNS[column]
    if not text or len(text) > MAX_VALUE_CHARS:
        return None
    if kind == TEXT:
        return text
    if kind == LABEL:
        labels = LABEL_CODES[column]
        hits = [code for label, code in labels.items() if (text in label if op == "contains" else text == label)]
        return tuple(hits)
    if kind == DATE:
        return date_range(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) and abs(number) <= MAX_NUMBER else None


def parse_filter(filter_query: Any) -> tuple[tuple[ColumnFilter, ...], tuple[str, ...]]:
    """DataTable `filter_query` (parts joined by &&) → validated filters, and the parts refused."""
    if not isinstance(filter_query, str) or not filter_query.strip():
        return (), ()
    if len(filter_query) > MAX_FILTER_CHARS:
        return (), (filter_query[:40] + "…",)
    filters: list[ColumnFilter] = []
    ignored: list[str] = []
    for part in (p.strip() for p in filter_query.split("&&")):
        if not part:
            continue
        match = _PART.match(part)
        op = _normalise_op(match.group("op")) if match else None
        column = match.group("col") if match else None
        if match is None or column not in TABLE_COLUMNS or op not in OPERATORS[TABLE_COLUMNS[column]]:
            ignored.append(part[:MAX_VALUE_CHARS])
            continue
        value = _typed_value(column, op, _unquote(match.group("val")))
        if value is None:
            ignored.append(part[:MAX_VALUE_CHARS])
            continue
        filters.append(ColumnFilter(column, op, value))
    return tuple(filters), tuple(ignored)


def parse_table_request(page_current: Any, page_size: Any, sort_by: Any, filter_query: Any) -> TableRequest:
    """Validate everything the DataTable sends (pure: nothing here touches the database)."""
    filters, ignored = parse_filter(filter_query)
    return TableRequest(
        page=_int_in(page_current, 0, 1_000_000, 0),
        page_size=_int_in(page_size, 1, MAX_PAGE_SIZE, PAGE_SIZE),
        sort=parse_sort(sort_by, TABLE_COLUMNS, DEFAULT_SORT),
        filters=filters,
        ignored=ignored,
    )


@dataclass(frozen=True)
class TablePage:
    """One page of the overdue table: its rows, the total matching rows and the page actually shown."""

    rows: pd.DataFrame
    total: int
    page: int


TABLE_ROW_COLUMNS = ("id", "case_no", "kind", "category", "township", "village", "unit", "reported_at",
                     "due_at", "card")


def _overdue_days_clause(op: str, x: float, at: datetime, due: ColumnElement[Any]) -> ColumnElement[bool]:
    """Filter on the shown whole days overdue (ceil of days past due) as a range of the due date `due`.

    The integers n with `n op x` form [a, b]; ceil(d) in [a, b] ⇔ d in (a-1, b] ⇔ due_at in [at-b, at-(a-1)).
    """
    if op in ("eq", "ne"):
        if x != int(x):
            return false() if op == "eq" else due < instant(at)
        inside = and_(due >= instant(at - timedelta(days=x)), due < instant(at - timedelta(days=x - 1)))
        return inside if op == "eq" else not_(inside)
    lower = {"gt": math.floor(x) + 1, "ge": math.ceil(x)}.get(op)
    upper = {"lt": math.ceil(x) - 1, "le": math.floor(x)}.get(op)
    if lower is not None:
        return due < instant(at - timedelta(days=lower - 1))
    return due >= instant(at - timedelta(days=upper))


def _filter_clause(f: ColumnFilter, exprs: Mapping[str, ColumnElement[Any]], at: datetime) -> ColumnElement[bool]:
    """SQL for one validated filter; values are always bound parameters."""
    kind = TABLE_COLUMNS[f.column]
    if kind == NUMBER:
        return _overdue_days_clause(f.op, float(f.value), at, exprs["due_at"])  # type: ignore[arg-type]
    expr = exprs[f.column]
    if kind == DATE:
        lo, hi = f.value  # type: ignore[misc]
        start, end = instant(lo), instant(hi)
        return {"lt": expr < start, "le": expr < end, "gt": expr >= end, "ge": expr >= start,
                "ne": not_(and_(expr >= start, expr < end))}.get(f.op, and_(expr >= start, expr < end))
    if kind == LABEL:
        codes = list(f.value)  # type: ignore[arg-type]
        hit = expr.in_(codes) if codes else false()
        return not_(hit) if f.op == "ne" else hit
    value = str(f.value)
    if f.op == "contains":
        return expr.icontains(value, autoescape=True)
    return expr == value if f.op == "eq" else expr != value


def _kind_order(kind: ColumnElement[Any]) -> ColumnElement[Any]:
    return case(*[(kind == str(k), i) for i, k in enumerate(Kind)], else_=len(Kind))


# The table's columns that sum_overdue_spans carries: a request that sorts and filters only on these is ranked
# from the spans' covering index, without reading the case rows.
SPAN_COLUMNS = frozenset({"kind", "unit", "due_at", "overdue_days"})


@dataclass(frozen=True)
class _RankSource:
    """Where the table's rows are ranked: the rows, their case id, and the sort/filter expressions on them."""

    source: FromClause
    case_id: ColumnElement[int]
    exprs: Mapping[str, ColumnElement[Any]]
    overdue: ColumnElement[bool]


def _rank_source(engine: Engine, area: AreaRef, at: datetime, kinds: tuple[str, ...],
                 request: TableRequest) -> _RankSource:
    """The spans when they answer the request (a city or county at a midnight, sort and filters on the columns
    they carry), else the cases joined to the names of their township and village."""
    used = {column for column, _desc in request.sort} | {f.column for f in request.filters}
    if used <= SPAN_COLUMNS and uses_summaries(engine, area) and midnight_day(at) is not None:
        spans = overdue_spans(area, at, kinds)
        exprs = {"kind": spans.c.kind, "unit": spans.c.unit, "due_at": spans.c.due_at}
        return _RankSource(spans, spans.c.case_id, exprs, true())
    town, village = AREAS.alias("town"), AREAS.alias("village")
    exprs = {
        "case_no": CASES.c.case_no, "kind": CASES.c.kind, "category": CASES.c.category,
        "place": func.coalesce(town.c.name, "") + func.coalesce(village.c.name, ""),
        "unit": CASES.c.responsible_unit, "reported_at": CASES.c.reported_at, "due_at": CASES.c.due_at,
        "card": func.coalesce(card_rank(at), 0),
    }
    source = CASES.outerjoin(town, town.c.code == CASES.c.township_code).outerjoin(
        village, village.c.code == CASES.c.village_code)
    return _RankSource(source, CASES.c.id, exprs, overdue_cases(engine, area, at, kinds))


def overdue_cases_page(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...], request: TableRequest
) -> TablePage:
    """One page of the overdue cases at the end of the period, filtered and sorted as validated in `request`.

    Rows' columns: id, case_no, kind, category, township, village (names), unit, reported_at, due_at,
    card (color code of the most severe card issued by then, or None). The page is clamped to the last one.
    """
    at = period.hi
    rank = _rank_source(engine, area, at, kinds, request)
    where = and_(rank.overdue, *[_filter_clause(f, rank.exprs, at) for f in request.filters])
    sort_exprs = {**rank.exprs, "kind": _kind_order(rank.exprs["kind"]), "overdue_days": rank.exprs["due_at"]}
    order = []
    for column, descending in request.sort:
        # More days overdue means an earlier due date, so that column sorts the other way round.
        flip = descending != (column == "overdue_days")
        order.append(sort_exprs[column].desc() if flip else sort_exprs[column].asc())
    town, village = AREAS.alias("town"), AREAS.alias("village")
    columns = (CASES.c.id, CASES.c.case_no, CASES.c.kind, CASES.c.category, town.c.name, village.c.name,
               CASES.c.responsible_unit, CASES.c.reported_at, CASES.c.due_at, func.coalesce(card_rank(at), 0))

    def page_of(page: int) -> Select:
        # The page's ids first, with the total riding along as a window count (one pass) and only the sort
        # keys; then names and card ranks for the page's rows alone.
        ranked = (select(rank.case_id.label("pid"), func.count().over().label("total"),
                         func.row_number().over(order_by=[*order, rank.case_id]).label("pos"))
                  .select_from(rank.source).where(where)
                  .order_by("pos").limit(request.page_size).offset(page * request.page_size).subquery("ranked"))
        shown = (CASES.join(ranked, ranked.c.pid == CASES.c.id)
                 .outerjoin(town, town.c.code == CASES.c.township_code)
                 .outerjoin(village, village.c.code == CASES.c.village_code))
        return select(*columns, ranked.c.total).select_from(shown).order_by(ranked.c.pos)

    with engine.connect() as conn:
        page, rows = request.page, conn.execute(page_of(request.page)).all()
        if rows:
            total = int(rows[0].total)
        else:  # past the last page (or nothing at all): count, then show the last page
            total = int(conn.execute(select(func.count()).select_from(rank.source).where(where)).scalar_one())
            page = max((total - 1) // request.page_size, 0)
            rows = conn.execute(page_of(page)).all() if total else []
    frame = pd.DataFrame([tuple(r)[:-1] for r in rows], columns=list(TABLE_ROW_COLUMNS))
    frame["card"] = frame["card"].map(rank_color).astype(object)
    return TablePage(frame, total, page)


# --- one case's history ------------------------------------------------------------------------------------


def case_timeline(engine: Engine, area: AreaRef, period: Period, case_id: int) -> pd.DataFrame:
    """Events and card escalations of one case in the area, up to the end of the period, in time order.

    Columns: at, source ("event" or "card"), code (a Step or CardColor value), level (handling level, None for
    cards). Empty when the case is not in the area (the id comes from the browser).
    """
    in_area = select(CASES.c.id).where(CASES.c.id == case_id, area.clause(CASES)).scalar_subquery()
    events = select(EVENTS.c.at, EVENTS.c.step, EVENTS.c.level).where(
        EVENTS.c.case_id == in_area, EVENTS.c.at < instant(period.hi))
    cards = select(CARDS.c.issued_at, CARDS.c.color).where(CARDS.c.case_id == in_area,
                                                             CARDS.c.issued_at < instant(period.hi))
    with engine.connect() as conn:
        rows = [(at, "event", step, level) for at, step, level in conn.execute(events).all()]
        rows += [(at, "card", color, None) for at, color in conn.execute(cards).all()]
    frame = pd.DataFrame(rows, columns=["at", "source", "code", "level"])
    frame["at"] = pd.to_datetime(frame["at"])
    return frame.sort_values(["at", "source"], ascending=[True, False], kind="stable").reset_index(drop=True)
