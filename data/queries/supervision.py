"""挂牌督办 questions: difficult cases listed for leaders' supervision, their milestones, notes and task forces.

Definitions:
- listed at an instant: listed before it; resolved: closed by then with outcome 调解成功 or 办结化解;
- an overdue milestone at an instant: due before it, not done by then, and its case not closed by then;
- difficult cases resolved by the centers in a period (`stats` key difficult_resolved): cases flagged
  difficult (会办 or 提级), closed in the period as 调解成功 or 办结化解.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import ColumnElement, Engine, FromClause, Table, and_, func, or_, select

from data.filters import AreaRef, Period
from data.filters import difficult_resolved as is_difficult_resolved
from data.models import Area
from data.models_ops import SupervisionListing, SupervisionMilestone, SupervisionNote, TaskForce
from data.models_summary import SumListing, SumListingLate
from data.queries.backlog import count_if, frame_of
from data.queries.base import CASES, DAILY, day_range, summary_area, uses_summaries
from data.queries.list_pages import ListPage, SortKeys, list_page
from data.summaries import listings_fresh
from data.vocab import RESOLVED_OUTCOMES, Level

AREAS = Area.__table__
LISTINGS = SupervisionListing.__table__
MILESTONES = SupervisionMilestone.__table__
NOTES = SupervisionNote.__table__
FORCES = TaskForce.__table__
SUM = SumListing.__table__
LATE = SumListingLate.__table__
LIST_LIMIT = 200


@dataclass(frozen=True)
class Listed:
    """Where a view reads its listings from: `sum_listings` (one index range per area) while the summaries
    are fresh, else the listings joined to their cases. The same columns and conditions either way."""

    source: FromClause
    listing_id: ColumnElement[int]
    listed_at: ColumnElement[datetime]
    closed_at: ColumnElement[datetime]
    task_force_id: ColumnElement[int]
    in_area: ColumnElement[bool]
    resolved_outcome: ColumnElement[bool]
    late_source: Table | None  # sum_listing_late, or None: count the milestones

    def where(self, at: datetime) -> ColumnElement[bool]:
        """Listed before `at`, inside the area."""
        return and_(self.listed_at < at, self.in_area)

    def resolved_by(self, at: datetime) -> ColumnElement[bool]:
        """The case was closed before `at` as 调解成功 or 办结化解."""
        return and_(self.closed_at < at, self.resolved_outcome)

    def still_open(self, at: datetime) -> ColumnElement[bool]:
        return or_(self.closed_at.is_(None), self.closed_at >= at)

    def late(self, at: datetime):
        """Correlated scalar: how many milestones of the listing are overdue at `at` (none once its case is
        closed; index-only per listing)."""
        if self.late_source is None:
            return (select(func.count()).where(MILESTONES.c.listing_id == self.listing_id, overdue_milestone(at),
                                               self.still_open(at))
                    .correlate_except(MILESTONES).scalar_subquery())
        spans = self.late_source.c
        return (select(func.count()).where(spans.listing_id == self.listing_id, late_at(self.late_source, at))
                .correlate_except(self.late_source).scalar_subquery())


def resolved_by(at: datetime) -> ColumnElement[bool]:
    """The case (of `cases`) was closed before `at` as 调解成功 or 办结化解."""
    return and_(CASES.c.closed_at < at, CASES.c.outcome.in_(RESOLVED_OUTCOMES))


def overdue_milestone(at: datetime) -> ColumnElement[bool]:
    return and_(MILESTONES.c.due_at < at, or_(MILESTONES.c.done_at.is_(None), MILESTONES.c.done_at >= at))


def late_at(spans: Table, at: datetime) -> ColumnElement[bool]:
    """A `sum_listing_late` stretch covers `at` (late_from < at ≤ late_to)."""
    return and_(spans.c.late_from < at, or_(spans.c.late_to.is_(None), spans.c.late_to >= at))


def listed(engine: Engine, area: AreaRef) -> Listed:
    """The listings of `area`: from the summary while it is fresh, else joined to their cases.

    On the case path a county is tested on an expression of the case's code, not the indexed column:
    otherwise the planner walks the county's cases (200,000 at a million) to find its few listed ones (1 in
    70), where walking the listings and looking each case up by id is 20-50× faster. A township's own index
    is selective enough.
    """
    if listings_fresh(engine):
        return Listed(SUM, SUM.c.listing_id, SUM.c.listed_at,
                      SUM.c.closed_at, SUM.c.task_force_id, area.clause(SUM), SUM.c.resolved == 1, LATE)
    in_area = (CASES.c.county_code.concat("") == area.code) if area.level == Level.COUNTY else area.clause(CASES)
    return Listed(LISTINGS.join(CASES, CASES.c.id == LISTINGS.c.case_id), LISTINGS.c.id, LISTINGS.c.listed_at,
                  CASES.c.closed_at, LISTINGS.c.task_force_id, in_area, CASES.c.outcome.in_(RESOLVED_OUTCOMES), None)


def supervision_summary(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """The supervision tiles at the period's end, one row.

    Columns: listed, resolved, in_progress, overdue_milestones, listed_in_period, difficult_resolved.
    """
    at = period.hi
    src = listed(engine, area)
    if src.late_source is None:  # one pass: each listed case is looked up once
        late = func.coalesce(func.sum(src.late(at)), 0)
    else:  # the overdue stretches of the area, on their own index
        late = (select(func.count()).where(late_at(LATE, at), area.clause(LATE))).scalar_subquery()
    counts = (select(func.count(), count_if(src.resolved_by(at)), count_if(src.listed_at >= period.lo), late)
              .select_from(src.source).where(src.where(at)))
    with engine.connect() as conn:
        listed_count, resolved, new, late = conn.execute(counts).one()
    row = {"listed": int(listed_count), "resolved": int(resolved), "in_progress": int(listed_count) - int(resolved),
           "overdue_milestones": int(late), "listed_in_period": int(new),
           "difficult_resolved": difficult_resolved(engine, area, period)}
    return pd.DataFrame([row])


def difficult_resolved(engine: Engine, area: AreaRef, period: Period) -> int:
    """Difficult cases resolved by the centers in the period (the published 1,137 for 2022-08-01…2023-09-14).

    A city or county sums the daily summary's days (a few rows per day); a scan of the closed difficult cases
    grows with the data (33 ms for the city's year at 10,000,000 cases). Smaller areas, or stale summaries,
    count the cases on their partial index."""
    if uses_summaries(engine, area):
        stmt = select(func.coalesce(func.sum(DAILY.c.difficult_resolved), 0)).where(
            day_range(DAILY, period), summary_area(DAILY, area))
    else:
        stmt = select(func.count()).where(is_difficult_resolved(CASES), CASES.c.closed_at >= period.lo,
                                          CASES.c.closed_at < period.hi, area.clause(CASES))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def supervision_list(engine: Engine, area: AreaRef, period: Period, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Listed cases at the period's end: unresolved first (most overdue milestones first), then resolved.

    Columns: listing_id, case_id, case_no, category, place (county), coordinator, supervisor, handler,
    task_force, resolved (bool), closed (bool: closed by then, resolved or not), overdue (milestones overdue
    then), next_title, next_due (first milestone not done by then, None once closed), listed_at.
    """
    at = period.hi
    src = listed(engine, area)
    # First the `limit` listings to show (a city has thousands: only their order is computed for all), then
    # the details and the next milestone of those alone.
    ranked = (select(src.listing_id.label("lid"), func.coalesce(src.closed_at < at, False).label("closed"),
                     src.late(at).label("late"), src.listed_at.label("listed_at"))
              .select_from(src.source).where(src.where(at)).subquery("ranked"))
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


# What each column of the supervision table sorts by: 状态 in progress, then closed, then resolved; 下一节点 by
# its due date; 逾期节点 by the count.
LIST_SORT_KEYS: SortKeys = {
    "case_no": ("case_no",), "category": ("category",), "place": ("place",), "handler": ("handler",),
    "task_force": ("task_force",), "next": ("next_due",), "overdue": ("overdue",), "state": ("state_rank",),
}


def supervision_page(frame: pd.DataFrame, page: int, size: int, sort: tuple[tuple[str, bool], ...]) -> ListPage:
    """Page `page` of `supervision_list`'s list (none sorted: its own order, the most overdue unresolved first)."""
    return list_page(frame, page, size, sort, LIST_SORT_KEYS,
                     lambda f: f.assign(state_rank=f["closed"].astype(int) + f["resolved"].astype(int)))


def task_forces(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Special task forces (专人专班专案) of the area and their listed cases at the period's end.

    Columns: id, name, category, leader, cases, resolved — forces of the counties in the area, most cases first.
    """
    at = period.hi
    src = listed(engine, area)
    stmt = (select(FORCES.c.id, FORCES.c.name, FORCES.c.category, FORCES.c.leader, func.count(src.listing_id),
                   count_if(src.resolved_by(at)))
            .select_from(FORCES.join(src.source, src.task_force_id == FORCES.c.id))
            .where(src.where(at), FORCES.c.formed_at < at)
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
