"""大屏 questions: the wall screen's headline numbers, map, 12-month trend, case flow and latest red cards.

The screen reuses the shared definitions (intake, handled, open at an instant) and the overdue page's queries,
so a number on the wall equals the same number on the page it summarises. "Today" is the last day of the
selected period (by default the data's as-of date); "now" is the end of that day (`period.hi`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime

import pandas as pd
from sqlalchemy import ColumnElement, Engine, func, select

from data.filters import AreaRef, Period, kind_clause
from data.models import Area, CaseCard
from data.queries.base import (
    CASES,
    DAILY,
    RED_CARDS,
    STANDING,
    bucket_index,
    day_range,
    instant,
    open_at,
    registered_in,
    standing_rows,
    sum_of,
    summary_area,
    summary_child,
    uses_summaries,
)
from data.queries.flow import flow_rows
from data.queries.overdue import group_column, overdue_summary
from data.queries.summary import disputes_handled
from data.summaries import from_day_number, summaries_fresh
from data.vocab import HANDLING_ORDER, CardColor, Kind, Level

AREAS = Area.__table__
CARDS = CaseCard.__table__
TREND_MONTHS = 12
RED_LIST = 20


def _rows(engine: Engine, stmt, columns: Sequence[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame([tuple(r) for r in conn.execute(stmt).all()], columns=list(columns))


def screen_kpis(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """The five tiles, one row.

    Columns: intake_today (cases of the kinds registered on the period's last day), disputes_handled and
    success_rate (disputes closed in the period, as on the home page), overdue (open and past due at the end of
    the period) and red_cards (open cases whose most severe card is red then, as on the home page).
    """
    day = Period(period.end, period.end)
    if uses_summaries(engine, area):
        stmt = select(sum_of(DAILY.c.registered)).where(day_range(DAILY, day),
                                                       summary_area(DAILY, area), kind_clause(DAILY, kinds))
    else:
        stmt = select(func.count()).select_from(CASES).where(registered_in(area, day, kinds))
    with engine.connect() as conn:
        intake_today = int(conn.execute(stmt).scalar_one())
    disputes = disputes_handled(engine, area, period).iloc[0]
    standing = overdue_summary(engine, area, period, kinds).iloc[0]
    return pd.DataFrame({
        "intake_today": [intake_today],
        "disputes_handled": [int(disputes["handled"])],
        "success_rate": [float(disputes["success_rate"])],
        "overdue": [int(standing["overdue"])],
        "red_cards": [int(standing[str(CardColor.RED)])],
    })


def open_by_child(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Cases open at the end of the period per child area (a grid: itself), every child listed, most first.

    Columns: code (full code, the map's feature id), name, open.
    """
    if uses_summaries(engine, area):
        child = summary_child(STANDING, area)
        counts = (select(child.label("code"), sum_of(STANDING.c.open).label("n"))
                  .where(standing_rows(engine, area, period.hi, kinds)).group_by(child).subquery())
    else:
        rows = select(CASES.c[group_column(area)].label("code")).where(open_at(area, period.hi, kinds))
        open_now = rows.cte("open_now").prefix_with("MATERIALIZED")  # filter first (see overdue._first)
        counts = select(open_now.c.code, func.count().label("n")).group_by(open_now.c.code).subquery()
    cond = AREAS.c.code == area.code if area.level == Level.GRID else AREAS.c.parent_code == area.code
    n = func.coalesce(counts.c.n, 0)
    stmt = (
        select(AREAS.c.code, AREAS.c.name, n.label("open"))
        .select_from(AREAS.outerjoin(counts, counts.c.code == AREAS.c.code))
        .where(cond)
        .order_by(n.desc(), AREAS.c.code)
    )
    return _rows(engine, stmt, ["code", "name", "open"]).astype({"open": int})


def trend_months(end: date, months: int = TREND_MONTHS) -> list[date]:
    """First days of the `months` calendar months ending with the month of `end`."""
    index = end.year * 12 + end.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def monthly_intake(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Cases registered per month and kind over the 12 months up to the period's end (the last month up to it).

    Columns: month (first day, date), kind, cases — every month × kind listed (zeros too).
    """
    months = trend_months(period.end)
    edges = [datetime.combine(m, datetime.min.time()) for m in months]
    span = Period(months[0], period.end)
    if uses_summaries(engine, area):
        counts = _monthly_from_daily(engine, area, span, kinds, months)
        shown = [str(k) for k in (kinds or tuple(Kind))]
        return pd.DataFrame([(m, k, counts.get((i, k), 0)) for i, m in enumerate(months) for k in shown],
                            columns=["month", "kind", "cases"])
    issued = (
        select(bucket_index(CASES.c.reported_at, edges).label("m"), CASES.c.kind)
        .where(registered_in(area, span, kinds))
        .subquery()
    )
    stmt = select(issued.c.m, issued.c.kind, func.count()).group_by(issued.c.m, issued.c.kind)
    with engine.connect() as conn:
        counts = {(int(m), str(k)): int(n) for m, k, n in conn.execute(stmt).all()}
    shown = [str(k) for k in (kinds or tuple(Kind))]
    records = [(m, k, counts.get((i, k), 0)) for i, m in enumerate(months) for k in shown]
    return pd.DataFrame(records, columns=["month", "kind", "cases"])


def _monthly_from_daily(
    engine: Engine, area: AreaRef, span: Period, kinds: tuple[str, ...], months: list[date]
) -> dict[tuple[int, str], int]:
    """Registrations per (month index, kind) from the daily summary."""
    t = DAILY.c
    stmt = (select(t.day, t.kind, func.sum(t.registered))
            .where(day_range(DAILY, span), summary_area(DAILY, area), kind_clause(DAILY, kinds))
            .group_by(t.day, t.kind))
    index = {m: i for i, m in enumerate(months)}
    counts: dict[tuple[int, str], int] = {}
    with engine.connect() as conn:
        for day, kind, n in conn.execute(stmt):
            key = (index[from_day_number(day).replace(day=1)], str(kind))
            counts[key] = counts.get(key, 0) + int(n)
    return counts


def flow_levels(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Cases registered in the period by the level that first handled them and the level that finished them.

    Columns: first_level, final_level, cases (only pairs that occur), in HANDLING_ORDER.
    """
    if uses_summaries(engine, area):
        rows = flow_rows(area, period, kinds, None)
        stmt = select(rows.c.first_level, rows.c.final_level, func.sum(rows.c.cases)).group_by(
            rows.c.first_level, rows.c.final_level)
    else:
        stmt = (
            select(CASES.c.first_level, CASES.c.final_level, func.count())
            .where(registered_in(area, period, kinds))
            .group_by(CASES.c.first_level, CASES.c.final_level)
        )
    frame = _rows(engine, stmt, ["first_level", "final_level", "cases"])
    order = {str(lv): i for i, lv in enumerate(HANDLING_ORDER)}
    frame = frame.assign(a=frame["first_level"].map(order), b=frame["final_level"].map(order))
    return frame.sort_values(["a", "b"]).drop(columns=["a", "b"]).reset_index(drop=True).astype({"cases": int})


def escalation_share(flow: pd.DataFrame) -> tuple[int, int, float]:
    """(escalated, total, percent escalated) from a `flow_levels` frame; NaN percent when there are no cases."""
    total = int(flow["cases"].sum())
    if total == 0:
        return 0, 0, float("nan")
    order = {str(lv): i for i, lv in enumerate(HANDLING_ORDER)}
    up = flow["final_level"].map(order) > flow["first_level"].map(order)
    escalated = int(flow.loc[up, "cases"].sum())
    return escalated, total, 100.0 * escalated / total


def latest_red_cards(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (), limit: int = RED_LIST
) -> pd.DataFrame:
    """The latest red cards issued before the end of the period in the area, newest first.

    Columns: case_no, township, village (names), unit, issued_at.
    """
    town, village = AREAS.alias("town"), AREAS.alias("village")
    shown = (CASES.c.case_no, town.c.name, village.c.name, CASES.c.responsible_unit)

    def named(source):
        return (source.join(CASES, CASES.c.id == source.c.case_id)
                .outerjoin(town, town.c.code == CASES.c.township_code)
                .outerjoin(village, village.c.code == CASES.c.village_code))

    if area.level not in (Level.CITY, Level.COUNTY) and summaries_fresh(engine):
        # Below a county: the area's own index of red cards, walked back from the instant.
        r = RED_CARDS
        latest = (select(r.c.case_id, r.c.issued_at, r.c.card_id)
                  .where(area.clause(RED_CARDS), r.c.issued_at < instant(period.hi), kind_clause(RED_CARDS, kinds))
                  .order_by(r.c.issued_at.desc(), r.c.card_id.desc()).limit(limit).subquery("latest"))
        stmt = (select(*shown, latest.c.issued_at).select_from(named(latest))
                .order_by(latest.c.issued_at.desc(), latest.c.card_id.desc()))
        return _rows(engine, stmt, ["case_no", "township", "village", "unit", "issued_at"])
    stmt = (
        select(*shown, CARDS.c.issued_at)
        .select_from(named(CARDS))
        .where(CARDS.c.color == str(CardColor.RED), CARDS.c.issued_at < instant(period.hi),
               *(_walk_cards(area, kinds) if uses_summaries(engine, area) else (area.clause(CASES),
                                                                                 kind_clause(CASES, kinds))))
        .order_by(CARDS.c.issued_at.desc(), CARDS.c.id.desc())
        .limit(limit)
    )
    return _rows(engine, stmt, ["case_no", "township", "village", "unit", "issued_at"])


def _walk_cards(area: AreaRef, kinds: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
    """The area and kinds as conditions no case index can serve, for a city or county: then the cards are walked
    newest first (their issued_at index) and each joined case tested, stopping at the limit — a county holds a
    fifth of the cards, so that is a few hundred rows, where the county's case index meant all of its cases."""
    conds: list[ColumnElement[bool]] = []
    if area.level != Level.CITY:
        conds.append(CASES.c.county_code.concat("") == area.code)
    if kinds:
        conds.append(CASES.c.kind.concat("").in_([str(k) for k in kinds]))
    return tuple(conds)


def _positions(coords: object) -> Iterator[tuple[float, float]]:
    """Every (lon, lat) in a GeoJSON coordinates array of any nesting depth."""
    if isinstance(coords, list) and len(coords) >= 2 and all(isinstance(v, int | float) for v in coords[:2]):
        yield float(coords[0]), float(coords[1])
    elif isinstance(coords, list):
        for item in coords:
            yield from _positions(item)


def area_bounds(engine: Engine, area: AreaRef) -> pd.DataFrame:
    """The bounding box of the area's own outline (its children tile it), to frame the map without tiles.

    Columns: lon_min, lat_min, lon_max, lat_max — one row, or no row when the area has no geometry.
    """
    with engine.connect() as conn:
        text = conn.execute(select(AREAS.c.geometry).where(AREAS.c.code == area.code)).scalar_one_or_none()
    points = list(_positions(json.loads(text).get("coordinates"))) if text else []
    columns = ["lon_min", "lat_min", "lon_max", "lat_max"]
    if not points:
        return pd.DataFrame(columns=columns)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return pd.DataFrame([(min(lons), min(lats), max(lons), max(lats))], columns=columns)
