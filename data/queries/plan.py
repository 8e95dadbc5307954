"""三年计划 questions: the items of the plan for a safer Suqian, their status by domain, their milestones.

Status rule (`item_status`), evaluated as of a date (the view's end, at most the data's as-of date):
- 已完成 done: every milestone was done by that date;
- 滞后 late: some milestone's due date has passed (due before that date) and it was not done by then;
- 按期推进 on track: otherwise.
An item applies to an area when it belongs to the area, to one of its ancestors (a city item applies to every
county) or to an area inside it; a county chief therefore sees the city's items and the county's own, never
another county's. The plan is small (dozens of items), so statuses are computed in Python from one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Engine, or_, select

from data.filters import AreaRef
from data.models_strategy import PLAN_STATUS_ORDER, PlanDomain, PlanItem, PlanMilestone, PlanNote, PlanStatus
from data.vocab import Level

ITEMS = PlanItem.__table__
MILESTONES = PlanMilestone.__table__
NOTES = PlanNote.__table__
DOMAINS = PlanDomain.__table__
PREFIX_DIGITS = {Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12, Level.GRID: 15}


def item_status(milestones: Iterable[tuple[date, date | None]], as_of: date, due: date | None = None) -> PlanStatus:
    """Status of an item from its milestones' (due date, done date) as of a date; see the module docstring.

    An item without milestones is late once its own due date has passed.
    """
    steps = list(milestones)
    if not steps:
        return PlanStatus.LATE if due is not None and due < as_of else PlanStatus.ON_TRACK
    done = [d is not None and d <= as_of for _, d in steps]
    if all(done):
        return PlanStatus.DONE
    if any(due_at < as_of and not ok for (due_at, _), ok in zip(steps, done, strict=True)):
        return PlanStatus.LATE
    return PlanStatus.ON_TRACK


def _applies(area: AreaRef) -> ColumnElement[bool]:
    """Items of the area's ancestors (and itself) or inside its subtree."""
    ancestors = {area.code[:4] + "00000000"}
    if area.level != Level.CITY:
        ancestors.add(area.code[:6] + "000000")
    if area.level in (Level.TOWNSHIP, Level.VILLAGE, Level.GRID):
        ancestors.add(area.code[:9] + "000")
    if area.level in (Level.VILLAGE, Level.GRID):
        ancestors.add(area.code[:12])
    inside = ITEMS.c.area_code.like(_prefix(area) + "%")
    return or_(ITEMS.c.area_code.in_(sorted(ancestors)), inside)


def _prefix(area: AreaRef) -> str:
    """The code prefix every area of the subtree shares (codes are hierarchical)."""
    return area.code[:PREFIX_DIGITS[area.level]]


def plan_milestones(engine: Engine, area: AreaRef, as_of: date) -> pd.DataFrame:
    """Milestones of the items that apply to the area, with their state as of the date.

    Columns: item_id, no, seq, title, due_date, done_at (None when not done by the date), state
    (done, late: due passed undone, pending).
    """
    stmt = (select(MILESTONES.c.item_id, ITEMS.c.no, MILESTONES.c.seq, MILESTONES.c.title, MILESTONES.c.due_date,
                   MILESTONES.c.done_at)
            .join(ITEMS, ITEMS.c.id == MILESTONES.c.item_id).where(_applies(area))
            .order_by(ITEMS.c.no, MILESTONES.c.seq))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=["item_id", "no", "seq", "title", "due_date", "done_at"])
    frame["done_at"] = [d if d is not None and not pd.isna(d) and d <= as_of else None for d in frame["done_at"]]
    frame["state"] = ["done" if d is not None else "late" if due < as_of else "pending"
                      for due, d in zip(frame["due_date"], frame["done_at"], strict=True)]
    return frame


def plan_items(engine: Engine, area: AreaRef, as_of: date) -> pd.DataFrame:
    """The items that apply to the area, in plan order, with their status as of the date.

    Columns: id, no, domain_code, domain, title, owner_unit, area_code, start_date, due_date, milestones,
    done (milestones done by the date), progress (percent of milestones done), status, late_milestone,
    late_due (the first milestone passed undone), next_milestone, next_due, note, note_at (the latest progress
    note by the date), is_demo.
    """
    stmt = (select(ITEMS.c.id, ITEMS.c.no, ITEMS.c.domain_code, DOMAINS.c.name.label("domain"), ITEMS.c.title,
                   ITEMS.c.owner_unit, ITEMS.c.area_code, ITEMS.c.start_date, ITEMS.c.due_date, ITEMS.c.is_demo)
            .join(DOMAINS, DOMAINS.c.code == ITEMS.c.domain_code).where(_applies(area))
            .order_by(DOMAINS.c.sort_order, ITEMS.c.no))
    with engine.connect() as conn:
        items = conn.execute(stmt).all()
        notes = conn.execute(select(NOTES.c.item_id, NOTES.c.at, NOTES.c.text).where(NOTES.c.at <= as_of)
                             .order_by(NOTES.c.at, NOTES.c.id)).all()
    steps = plan_milestones(engine, area, as_of)
    latest = {n.item_id: (n.text, n.at) for n in notes}
    return pd.DataFrame([_item_row(i, steps[steps["item_id"] == i.id], latest.get(i.id), as_of) for i in items],
                        columns=["id", "no", "domain_code", "domain", "title", "owner_unit", "area_code", "start_date",
                                 "due_date", "milestones", "done", "progress", "status", "late_milestone", "late_due",
                                 "next_milestone", "next_due", "note", "note_at", "is_demo"])


def _item_row(item, steps: pd.DataFrame, note: tuple[str, date] | None, as_of: date) -> dict:
    """One item with what its milestones say as of the date."""
    status = item_status(zip(steps["due_date"], steps["done_at"], strict=True), as_of, item.due_date)
    late = steps[steps["state"] == "late"]
    pending = steps[steps["state"] != "done"]
    total, done = len(steps), int((steps["state"] == "done").sum())
    return {
        "id": item.id, "no": item.no, "domain_code": item.domain_code, "domain": item.domain, "title": item.title,
        "owner_unit": item.owner_unit, "area_code": item.area_code, "start_date": item.start_date,
        "due_date": item.due_date, "milestones": total, "done": done,
        "progress": 100.0 * done / total if total else 0.0, "status": str(status),
        "late_milestone": late["title"].iloc[0] if len(late) else None,
        "late_due": late["due_date"].iloc[0] if len(late) else None,
        "next_milestone": pending["title"].iloc[0] if len(pending) else None,
        "next_due": pending["due_date"].iloc[0] if len(pending) else None,
        "note": note[0] if note else None, "note_at": note[1] if note else None, "is_demo": bool(item.is_demo),
    }


def plan_by_domain(engine: Engine, area: AreaRef, as_of: date) -> pd.DataFrame:
    """Items per domain and status, in plan order.

    Columns: domain_code, domain, done, on_track, late, total, progress (mean of the items' progress, percent).
    """
    items = plan_items(engine, area, as_of)
    rows = []
    for code, part in items.groupby("domain_code", sort=False):
        counts = part["status"].value_counts()
        rows.append({"domain_code": code, "domain": part["domain"].iloc[0],
                     **{str(s): int(counts.get(str(s), 0)) for s in PLAN_STATUS_ORDER}, "total": len(part),
                     "progress": float(part["progress"].mean())})
    return pd.DataFrame(rows, columns=["domain_code", "domain", *(str(s) for s in PLAN_STATUS_ORDER), "total",
                                       "progress"])
