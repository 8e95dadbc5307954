"""挂牌督办 questions: difficult cases listed for leaders' supervision, their milestones, notes and task forces.

Definitions:
- listed at an instant: listed before it; resolved: closed by then with outcome 调解成功 or 办结化解;
- an overdue milestone at an instant: due before it and not done by then;
- difficult cases resolved by the centers in a period (`stats` key difficult_resolved): cases flagged
  difficult (会办 or 提级), closed in the period as 调解成功 or 办结化解.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select

from data.filters import AreaRef, Period
from data.models import Area
from data.models_ops import SupervisionListing, SupervisionMilestone, SupervisionNote, TaskForce
from data.queries.backlog import count_if, frame_of
from data.queries.base import CASES
from data.vocab import RESOLVED_OUTCOMES, Level

AREAS = Area.__table__
LISTINGS = SupervisionListing.__table__
MILESTONES = SupervisionMilestone.__table__
NOTES = SupervisionNote.__table__
FORCES = TaskForce.__table__
LIST_LIMIT = 200


def resolved_by(at: datetime) -> ColumnElement[bool]:
    """The case was closed before `at` as 调解成功 or 办结化解."""
    return and_(CASES.c.closed_at < at, CASES.c.outcome.in_(RESOLVED_OUTCOMES))


def overdue_milestone(at: datetime) -> ColumnElement[bool]:
    return and_(MILESTONES.c.due_at < at, or_(MILESTONES.c.done_at.is_(None), MILESTONES.c.done_at >= at))


def late_milestones(at: datetime):
    """Correlated scalar: how many milestones of the listing are overdue at `at` (index-only per listing)."""
    return (select(func.count()).where(MILESTONES.c.listing_id == LISTINGS.c.id, overdue_milestone(at))
            .correlate(LISTINGS).scalar_subquery())


def _listed(area: AreaRef, at: datetime):
    """The listings joined to their cases, and the condition: listed before `at`, the case in the area.

    A county is tested on an expression of the case's code, not the indexed column: otherwise the planner
    walks the county's cases (200,000 at a million) to find its few listed ones (1 in 70), where walking the
    listings and looking each case up by id is 20-50× faster. A township's own index is selective enough.
    """
    in_area = (CASES.c.county_code.concat("") == area.code) if area.level == Level.COUNTY else area.clause(CASES)
    return LISTINGS.join(CASES, CASES.c.id == LISTINGS.c.case_id), and_(LISTINGS.c.listed_at < at, in_area)


def supervision_summary(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """The supervision tiles at the period's end, one row.

    Columns: listed, resolved, in_progress, overdue_milestones, listed_in_period, difficult_resolved.
    """
    at = period.hi
    join, where = _listed(area, at)
    late = late_milestones(at)
    still_open = or_(CASES.c.closed_at.is_(None), CASES.c.closed_at >= at)
    counts = select(func.count(), count_if(resolved_by(at)), count_if(LISTINGS.c.listed_at >= period.lo),
                    func.coalesce(func.sum(case((still_open, late), else_=0)), 0)).select_from(join).where(where)
    with engine.connect() as conn:  # one pass: each listed case is looked up once
        listed, resolved, new, late = conn.execute(counts).one()
    row = {"listed": int(listed), "resolved": int(resolved), "in_progress": int(listed) - int(resolved),
           "overdue_milestones": int(late), "listed_in_period": int(new),
           "difficult_resolved": difficult_resolved(engine, area, period)}
    return pd.DataFrame([row])


def difficult_resolved(engine: Engine, area: AreaRef, period: Period) -> int:
    """Difficult cases resolved by the centers in the period (the published 1,137 for 2022-08-01…2023-09-14)."""
    stmt = select(func.count()).where(CASES.c.is_difficult.is_(True), CASES.c.closed_at >= period.lo,
                                      CASES.c.closed_at < period.hi, CASES.c.outcome.in_(RESOLVED_OUTCOMES), area.clause(CASES))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def supervision_list(engine: Engine, area: AreaRef, period: Period, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Listed cases at the period's end: unresolved first (most overdue milestones first), then resolved.

    Columns: listing_id, case_id, case_no, category, place (county), coordinator, supervisor, handler,
    task_force, resolved (bool), closed (bool: closed by then, resolved or not), overdue (milestones overdue
    then), next_title, next_due (first milestone not done by then, None once closed), listed_at.
    """
    at = period.hi
    join, where = _listed(area, at)
    late = late_milestones(at)
    # First the `limit` listings to show (a city has thousands: only their order is computed for all), then
    # the details and the next milestone of those alone.
    ranked = (select(LISTINGS.c.id.label("lid"), func.coalesce(CASES.c.closed_at < at, False).label("closed"),
                     late.label("late"), LISTINGS.c.listed_at.label("listed_at"))
              .select_from(join).where(where).subquery("ranked"))
    order = (ranked.c.closed, ranked.c.late.desc(), ranked.c.listed_at.desc(), ranked.c.lid)
    top = select(ranked).order_by(*order).limit(limit).subquery("top")
    next_seq = (select(func.min(MILESTONES.c.seq)).where(
        MILESTONES.c.listing_id == LISTINGS.c.id, or_(MILESTONES.c.done_at.is_(None), MILESTONES.c.done_at >= at))
        .correlate(LISTINGS).scalar_subquery())
    counties = AREAS.alias("counties")
    nxt = MILESTONES.alias("nxt")
    stmt = (select(LISTINGS.c.id, CASES.c.id, CASES.c.case_no, CASES.c.category, counties.c.name,
                   LISTINGS.c.coordinator, LISTINGS.c.supervisor, LISTINGS.c.handler, FORCES.c.name,
                   resolved_by(at), CASES.c.closed_at < at, top.c.late, nxt.c.title, nxt.c.due_at,
                   LISTINGS.c.listed_at)
            .select_from(top.join(LISTINGS, LISTINGS.c.id == top.c.lid)
                         .join(CASES, CASES.c.id == LISTINGS.c.case_id)
                         .outerjoin(counties, counties.c.code == CASES.c.county_code)
                         .outerjoin(FORCES, FORCES.c.id == LISTINGS.c.task_force_id)
                         .outerjoin(nxt, and_(nxt.c.listing_id == LISTINGS.c.id, nxt.c.seq == next_seq)))
            .order_by(top.c.closed, top.c.late.desc(), top.c.listed_at.desc(), top.c.lid))
    cols = ["listing_id", "case_id", "case_no", "category", "place", "coordinator", "supervisor", "handler",
            "task_force", "resolved", "closed", "overdue", "next_title", "next_due", "listed_at"]
    frame = frame_of(engine, stmt, cols)
    frame["resolved"] = frame["resolved"].fillna(False).astype(bool)
    frame["closed"] = frame["closed"].fillna(False).astype(bool)
    frame.loc[frame["closed"], ["next_title", "next_due"]] = None
    return frame


def task_forces(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Special task forces (专人专班专案) of the area and their listed cases at the period's end.

    Columns: id, name, category, leader, cases, resolved — forces of the counties in the area, most cases first.
    """
    at = period.hi
    join, where = _listed(area, at)
    stmt = (select(FORCES.c.id, FORCES.c.name, FORCES.c.category, FORCES.c.leader, func.count(LISTINGS.c.id),
                   count_if(resolved_by(at)))
            .select_from(FORCES.join(join, LISTINGS.c.task_force_id == FORCES.c.id))
            .where(where, FORCES.c.formed_at < at)
            .group_by(FORCES.c.id, FORCES.c.name, FORCES.c.category, FORCES.c.leader))
    frame = frame_of(engine, stmt, ["id", "name", "category", "leader", "cases", "resolved"])
    return frame.sort_values(["cases", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class SupervisionDetail:
    """A listed case's leaders, milestones and notes (empty when not listed or not in the area)."""

    listing: pd.DataFrame  # one row: listing_id, listed_at, coordinator, supervisor, handler, task_force
    milestones: pd.DataFrame  # seq, title, due_at, done_at
    notes: pd.DataFrame  # at, author, text


def supervision_detail(engine: Engine, area: AreaRef, case_id: int) -> SupervisionDetail:
    """The supervision record of one case, only if the case lies inside `area` (ids come from the browser)."""
    stmt = (select(LISTINGS.c.id, LISTINGS.c.listed_at, LISTINGS.c.coordinator, LISTINGS.c.supervisor,
                   LISTINGS.c.handler, FORCES.c.name)
            .select_from(LISTINGS.join(CASES, CASES.c.id == LISTINGS.c.case_id)
                         .outerjoin(FORCES, FORCES.c.id == LISTINGS.c.task_force_id))
            .where(LISTINGS.c.case_id == case_id, area.clause(CASES)))
    listing = frame_of(engine, stmt, ["listing_id", "listed_at", "coordinator", "supervisor", "handler", "task_force"])
    if listing.empty:
        return SupervisionDetail(listing, pd.DataFrame(columns=["seq", "title", "due_at", "done_at"]),
                                 pd.DataFrame(columns=["at", "author", "text"]))
    lid = int(listing["listing_id"].iloc[0])
    milestones = frame_of(engine, select(MILESTONES.c.seq, MILESTONES.c.title, MILESTONES.c.due_at, MILESTONES.c.done_at)
                          .where(MILESTONES.c.listing_id == lid).order_by(MILESTONES.c.seq),
                          ["seq", "title", "due_at", "done_at"])
    notes = frame_of(engine, select(NOTES.c.at, NOTES.c.author, NOTES.c.text).where(NOTES.c.listing_id == lid)
                     .order_by(NOTES.c.at, NOTES.c.id), ["at", "author", "text"])
    return SupervisionDetail(listing, milestones, notes)
