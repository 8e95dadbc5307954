"""Headline figures: disputes handled and mediated, first-time petitions, open cases, cards, structure."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, Select, and_, case, func, or_, select

from data.filters import AreaRef, Period
from data.models import Area, Case, CaseCard, CenterStaff, GridWorker, Institution, ServiceCenter
from data.queries.base import (
    DAILY,
    STANDING,
    case_kind,
    day_range,
    instant,
    standing_rows,
    sum_of,
    summary_area,
    uses_summaries,
)
from data.summaries import day_number
from data.vocab import CARD_ORDER, Kind, Level, Outcome, WorkerRole

CASES = Case.__table__
CARDS = CaseCard.__table__


def disputes_handled(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Disputes closed in the period and how many were mediated successfully.

    Columns: handled, mediated, success_rate (percent, NaN when nothing was handled).
    """
    if uses_summaries(engine, area):
        stmt = select(sum_of(DAILY.c.closed).label("handled"), sum_of(DAILY.c.mediated).label("mediated")).where(
            day_range(DAILY, period), DAILY.c.kind == str(Kind.DISPUTE),
            summary_area(DAILY, area))
    else:
        stmt = select(
            func.count().label("handled"),
            func.coalesce(func.sum(case((CASES.c.outcome == str(Outcome.SUCCESS), 1), else_=0)), 0).label("mediated"),
        ).where(
            case_kind(area) == str(Kind.DISPUTE),
            CASES.c.closed_at >= instant(period.lo),
            CASES.c.closed_at < instant(period.hi),
            area.clause(CASES),
        )
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    handled, mediated = int(row.handled), int(row.mediated)
    rate = 100.0 * mediated / handled if handled else float("nan")
    return pd.DataFrame({"handled": [handled], "mediated": [mediated], "success_rate": [rate]})


def first_petitions(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """First-time petitions (初信初访) registered in the period and in the same dates a year earlier.

    Columns: current, previous, yoy (percent change, NaN when the previous count is 0).
    """
    before = period.year_before()
    if uses_summaries(engine, area):
        stmt = _first_petitions_summary(area, period, before)
    else:
        stmt = _first_petitions_raw(area, period, before)
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    cur, prev = int(row.current), int(row.previous)
    yoy = 100.0 * (cur - prev) / prev if prev else float("nan")
    return pd.DataFrame({"current": [cur], "previous": [prev], "yoy": [yoy]})


def _first_petitions_summary(area: AreaRef, period: Period, before: Period) -> Select:
    """First-time petitions registered in each period, from the daily summary."""

    def count_in(p: Period):
        return sum_of(case((day_range(DAILY, p), DAILY.c.first_petitions), else_=0))

    return select(count_in(period).label("current"), count_in(before).label("previous")).where(
        DAILY.c.kind == str(Kind.PETITION), summary_area(DAILY, area),
        DAILY.c.day >= day_number(before.start), DAILY.c.day < day_number(period.end) + 1)


def _first_petitions_raw(area: AreaRef, period: Period, before: Period) -> Select:
    """First-time petitions registered in each period, from the case table (a small area)."""

    def count_in(p: Period):
        return func.coalesce(
            func.sum(case((and_(CASES.c.reported_at >= instant(p.lo), CASES.c.reported_at < instant(p.hi)), 1),
                          else_=0)), 0
        )

    return select(count_in(period).label("current"), count_in(before).label("previous")).where(
        case_kind(area) == str(Kind.PETITION),
        CASES.c.is_first_petition.is_(True),
        CASES.c.reported_at >= instant(before.lo),
        CASES.c.reported_at < instant(period.hi),
        area.clause(CASES),
    )


def open_cases_and_cards(engine: Engine, area: AreaRef, at: datetime) -> pd.DataFrame:
    """Cases open at instant `at` and the highest card standing on each of them by then.

    Columns: open, blue, yellow, red (a case counts once, under its most severe card).
    """
    rows = standing_rows(engine, area, at, ()) if uses_summaries(engine, area) else None
    if rows is not None:
        t = STANDING.c
        stmt = select(sum_of(t.open), sum_of(t.open_card1), sum_of(t.open_card2), sum_of(t.open_card3)).where(rows)
        with engine.connect() as conn:
            n_open, c1, c2, c3 = (int(v) for v in conn.execute(stmt).one())
        return pd.DataFrame({"open": [n_open], **{str(c): [n] for c, n in zip(CARD_ORDER, (c1 - c2, c2 - c3, c3),
                                                                                   strict=True)}})
    open_clause = and_(
        CASES.c.reported_at < instant(at),
        or_(CASES.c.closed_at.is_(None), CASES.c.closed_at >= instant(at)),
        area.clause(CASES),
    )
    rank = case(*[(CARDS.c.color == str(c), i + 1) for i, c in enumerate(CARD_ORDER)], else_=0)
    top = (
        select(CARDS.c.case_id, func.max(rank).label("r"))
        .join(CASES, CASES.c.id == CARDS.c.case_id)
        .where(CARDS.c.issued_at < instant(at), open_clause)
        .group_by(CARDS.c.case_id)
        .subquery()
    )
    with engine.connect() as conn:
        n_open = conn.execute(select(func.count()).select_from(CASES).where(open_clause)).scalar_one()
        counts = dict(conn.execute(select(top.c.r, func.count()).group_by(top.c.r)).all())
    data = {"open": [int(n_open)]}
    for i, color in enumerate(CARD_ORDER):
        data[str(color)] = [int(counts.get(i + 1, 0))]
    return pd.DataFrame(data)


def structure_counts(engine: Engine, area: AreaRef) -> pd.DataFrame:
    """The network inside the area: subdivisions, centers' institutions and staff, grid liaisons.

    Columns: counties, townships, villages, grids, demo_grids, centers, institutions, center_staff,
    grid_liaisons, grid_staff, population.
    """
    areas = Area.__table__
    centers = ServiceCenter.__table__
    in_area = area.clause(areas, {**_AREA_SELF, Level.GRID: "code"})
    level_counts = select(
        *[
            func.coalesce(func.sum(case((areas.c.level == str(lv), 1), else_=0)), 0).label(name)
            for lv, name in ((Level.COUNTY, "counties"), (Level.TOWNSHIP, "townships"),
                             (Level.VILLAGE, "villages"), (Level.GRID, "grids"))
        ],
        func.coalesce(func.sum(case((areas.c.is_demo_grid.is_(True), 1), else_=0)), 0).label("demo_grids"),
        func.coalesce(func.sum(case((areas.c.level == str(Level.GRID), areas.c.population), else_=0)), 0).label(
            "population"
        ),
    ).where(in_area)
    center_clause = area.clause(centers, {**_AREA_SELF, Level.GRID: "area_code"})
    if area.level == Level.GRID:
        center_clause = centers.c.id < 0  # no center sits inside a single grid
    workers = GridWorker.__table__
    worker_clause = area.clause(workers)
    with engine.connect() as conn:
        row = conn.execute(level_counts).one()._asdict()
        row["centers"] = conn.execute(select(func.count()).select_from(centers).where(center_clause)).scalar_one()
        row["institutions"] = conn.execute(
            select(func.count()).select_from(Institution.__table__.join(centers)).where(center_clause)
        ).scalar_one()
        row["center_staff"] = conn.execute(
            select(func.count()).select_from(CenterStaff.__table__.join(centers)).where(center_clause)
        ).scalar_one()
        by_role = dict(
            conn.execute(select(workers.c.role, func.count()).where(worker_clause).group_by(workers.c.role)).all()
        )
    row["grid_liaisons"] = int(by_role.get(str(WorkerRole.LIAISON), 0))
    row["grid_staff"] = int(by_role.get(str(WorkerRole.GRID_STAFF), 0))
    return pd.DataFrame({k: [int(v)] for k, v in row.items()})


# Areas and centers carry their own code at their own level; a county row's county_code is itself.
_AREA_SELF = {Level.COUNTY: "county_code", Level.TOWNSHIP: "township_code", Level.VILLAGE: "village_code"}


def cases_registered(engine: Engine, area: AreaRef, period: Period) -> int:
    """Cases of every kind registered in the period."""
    if uses_summaries(engine, area):
        stmt = select(sum_of(DAILY.c.registered)).where(day_range(DAILY, period),
                                                       summary_area(DAILY, area))
    else:
        stmt = select(func.count()).select_from(CASES).where(
            CASES.c.reported_at >= instant(period.lo), CASES.c.reported_at < instant(period.hi), area.clause(CASES)
        )
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def headline_kpis(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """The home page's tiles for an area and period.

    Columns: intake, disputes_handled, success_rate, cases_open, red_cards, institutions, center_staff,
    grids, grid_liaisons, demo_grids, villages.
    """
    disputes = disputes_handled(engine, area, period).iloc[0]
    standing = open_cases_and_cards(engine, area, period.hi).iloc[0]
    structure = structure_counts(engine, area).iloc[0]
    row = {
        "intake": cases_registered(engine, area, period),
        "disputes_handled": int(disputes["handled"]),
        "success_rate": float(disputes["success_rate"]),
        "cases_open": int(standing["open"]),
        "red_cards": int(standing["red"]),
    }
    for key in ("institutions", "center_staff", "grids", "grid_liaisons", "demo_grids", "villages"):
        row[key] = int(structure[key])
    return pd.DataFrame({k: [v] for k, v in row.items()})
