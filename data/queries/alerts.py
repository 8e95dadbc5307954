"""风险预警 questions: warnings raised, their levels, rules and workflow, the weekly and key-date review lists.

Definitions:
- raised in a period: `raised_at` in it (the end of the evidence window, when the data showed it);
- open: raised by the period's end and not closed (its current workflow state: the workflow is live);
- a warning belongs to an area when its own area lies inside it (county, township or village codes).

Every function takes `revision` (from `data.alert_rules.revision`): it is not used in the SQL but makes the
query cache forget an answer as soon as any warning moves through its workflow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, case, func, select

from data.alert_rules import AlertRules, KeyDate
from data.filters import AreaRef, Period
from data.models_ops import (
    UNACKNOWLEDGED,
    WARNING_LEVEL_ORDER,
    RiskWarning,
    RiskWarningEvent,
    WarningAction,
    WarningRule,
    WarningStatus,
)
from data.queries.backlog import count_if, frame_of
from data.queries.base import bucket_counts, bucket_index, week_starts

WARNINGS = RiskWarning.__table__
EVENTS = RiskWarningEvent.__table__
LEVELS = tuple(str(lv) for lv in WARNING_LEVEL_ORDER)
RULES = tuple(str(r) for r in WarningRule)
LIST_LIMIT = 200
REVIEW_LIMIT = 30  # items of a review panel (the list below holds the rest)
LIST_COLUMNS = ["id", "raised_at", "level", "rule", "title", "status", "assigned_unit", "due_at"]


def raised_in(area: AreaRef, period: Period) -> ColumnElement[bool]:
    return and_(WARNINGS.c.raised_at >= period.lo, WARNINGS.c.raised_at < period.hi, area.clause(WARNINGS))


OPEN_STATUSES = tuple(str(s) for s in WarningStatus if s != WarningStatus.CLOSED)


def open_by(area: AreaRef, at: datetime) -> ColumnElement[bool]:
    """Raised before `at` and not closed (named statuses, so the status index finds the few open ones)."""
    return and_(WARNINGS.c.raised_at < at, WARNINGS.c.status.in_(OPEN_STATUSES), area.clause(WARNINGS))


def alerts_summary(engine: Engine, area: AreaRef, period: Period, revision: str = "") -> pd.DataFrame:
    """The tiles, one row. Columns: open, general, major, critical (open by level), unacknowledged (open and
    not acknowledged yet), raised (in the period), escalated (escalations in the period)."""
    opened = select(func.count(), *[count_if(WARNINGS.c.level == lv) for lv in LEVELS],
                    count_if(WARNINGS.c.status.in_([str(s) for s in UNACKNOWLEDGED]))).where(open_by(area, period.hi))
    escalated = (select(func.count()).select_from(EVENTS.join(WARNINGS, WARNINGS.c.id == EVENTS.c.warning_id))
                 .where(EVENTS.c.action == str(WarningAction.ESCALATE), EVENTS.c.at >= period.lo,
                        EVENTS.c.at < period.hi, area.clause(WARNINGS)))
    with engine.connect() as conn:
        total, *levels, unack = conn.execute(opened).one()
        raised = conn.execute(select(func.count()).where(raised_in(area, period))).scalar_one()
        esc = conn.execute(escalated).scalar_one()
    row = {"open": int(total), **{lv: int(n) for lv, n in zip(LEVELS, levels, strict=True)},
           "unacknowledged": int(unack), "raised": int(raised), "escalated": int(esc)}
    return pd.DataFrame([row])


def warnings_open(engine: Engine, area: AreaRef, period: Period) -> int:
    """Warnings raised by the period's end and not closed (the `stats` key warnings_open)."""
    return int(alerts_summary(engine, area, period).iloc[0]["open"])


def warnings_by_week(engine: Engine, area: AreaRef, period: Period, revision: str = "") -> pd.DataFrame:
    """Warnings raised per week of the period by level. Columns: week (Monday), general, major, critical."""
    weeks = week_starts(period)
    edges = [period.lo, *[datetime.combine(w, datetime.min.time()) for w in weeks[1:]]]
    inner = select(bucket_index(WARNINGS.c.raised_at, edges).label("w"), WARNINGS.c.base_level.label("level")).where(
        raised_in(area, period)).subquery()
    with engine.connect() as conn:
        rows = conn.execute(select(inner.c.w, inner.c.level, func.count()).group_by(inner.c.w, inner.c.level)).all()
    frame = bucket_counts(rows, len(weeks), list(LEVELS))
    frame.insert(0, "week", weeks)
    return frame


def warnings_by_rule(engine: Engine, area: AreaRef, period: Period, revision: str = "") -> pd.DataFrame:
    """Warnings raised in the period per rule, and how many of them are still open.

    Columns: rule, raised, open — every rule listed, in vocabulary order.
    """
    stmt = (select(WARNINGS.c.rule, func.count(), count_if(WARNINGS.c.status != str(WarningStatus.CLOSED)))
            .where(raised_in(area, period)).group_by(WARNINGS.c.rule))
    with engine.connect() as conn:
        got = {r: (int(a), int(b)) for r, a, b in conn.execute(stmt).all()}
    return pd.DataFrame([(r, *got.get(r, (0, 0))) for r in RULES], columns=["rule", "raised", "open"])


def _severity():
    return case(*[(WARNINGS.c.level == lv, i) for i, lv in enumerate(reversed(LEVELS))], else_=9)


def _list(engine: Engine, where, order, limit: int) -> pd.DataFrame:
    stmt = (select(WARNINGS.c.id, WARNINGS.c.raised_at, WARNINGS.c.level, WARNINGS.c.rule, WARNINGS.c.title,
                   WARNINGS.c.status, WARNINGS.c.assigned_unit, WARNINGS.c.due_at).where(where)
            .order_by(*order).limit(limit))
    return frame_of(engine, stmt, LIST_COLUMNS)


def warnings_list(engine: Engine, area: AreaRef, period: Period, revision: str = "",
                  limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Warnings raised in the period or still open at its end: open first (most severe, then newest), then
    closed (newest first). Columns: id, raised_at, level, rule, title, status, assigned_unit, due_at."""
    closed_last = case((WARNINGS.c.status == str(WarningStatus.CLOSED), 1), else_=0)
    where = and_(area.clause(WARNINGS), WARNINGS.c.raised_at < period.hi,
                 (WARNINGS.c.raised_at >= period.lo) | WARNINGS.c.status.in_(OPEN_STATUSES))
    order = [closed_last, _severity(), WARNINGS.c.raised_at.desc(), WARNINGS.c.id.desc()]
    # Ranked on the covering status index (a city's year is some 40,000 warnings), then the shown rows read.
    shown = select(WARNINGS.c.id).where(where).order_by(*order).limit(limit)
    return _list(engine, WARNINGS.c.id.in_(shown.scalar_subquery()), order, limit)


def weekly_review(engine: Engine, area: AreaRef, period: Period, revision: str = "") -> pd.DataFrame:
    """周研判: the REVIEW_LIMIT most severe warnings raised in the last seven days of the period.

    Columns: LIST_COLUMNS and `of` (how many the seven days raised in all, the same on every row): a review
    panel names the worst and says how many more the warning list holds.
    """
    week = Period(max(period.start, period.end - timedelta(days=6)), period.end)
    frame = _list(engine, raised_in(area, week), [_severity(), WARNINGS.c.raised_at.desc(), WARNINGS.c.id],
                  REVIEW_LIMIT)
    with engine.connect() as conn:
        of = conn.execute(select(func.count()).select_from(WARNINGS).where(raised_in(area, week))).scalar_one()
    return frame.assign(of=int(of))


@dataclass(frozen=True)
class KeyDateReview:
    """The key date (重大节点) whose daily-review window ends last within the period, and its warnings by day."""

    key_date: KeyDate | None
    window: Period | None
    days: pd.DataFrame  # day, general, major, critical — every day of the window
    warnings: pd.DataFrame  # LIST_COLUMNS of the first REVIEW_LIMIT warnings raised in the window (days: all)


def key_date_windows(rules: AlertRules, period: Period) -> list[tuple[KeyDate, Period]]:
    """The key dates whose daily-review window (days before and after included) overlaps the period."""
    out = []
    for kd in rules.key_dates:
        window = Period(kd.start - timedelta(days=rules.key_date_days_before),
                        kd.end + timedelta(days=rules.key_date_days_after))
        if window.start <= period.end and window.end >= period.start:
            out.append((kd, window))
    return out


def key_date_review(engine: Engine, area: AreaRef, period: Period, rules: AlertRules,
                    revision: str = "") -> KeyDateReview:
    """The daily review around the last key date overlapping the period (clipped to the period)."""
    windows = key_date_windows(rules, period)
    empty_days = pd.DataFrame(columns=["day", *LEVELS])
    if not windows:
        return KeyDateReview(None, None, empty_days, pd.DataFrame(columns=LIST_COLUMNS))
    kd, window = windows[-1]
    window = Period(max(window.start, period.start), min(window.end, period.end))
    days = [window.start + timedelta(days=i) for i in range(window.days)]
    edges = [window.lo, *[datetime.combine(d, datetime.min.time()) for d in days[1:]]]
    inner = select(bucket_index(WARNINGS.c.raised_at, edges).label("d"), WARNINGS.c.base_level.label("level")).where(
        raised_in(area, window)).subquery()
    with engine.connect() as conn:
        rows = conn.execute(select(inner.c.d, inner.c.level, func.count()).group_by(inner.c.d, inner.c.level)).all()
    frame = bucket_counts(rows, len(days), list(LEVELS))
    frame.insert(0, "day", days)
    listed = _list(engine, raised_in(area, window), [WARNINGS.c.raised_at, WARNINGS.c.id], REVIEW_LIMIT)
    return KeyDateReview(kd, window, frame, listed)


@dataclass(frozen=True)
class WarningDetail:
    """One warning with its evidence and workflow history (empty when it is not inside the area)."""

    warning: dict | None
    evidence: dict
    events: pd.DataFrame  # at, action, actor, level, note


def warning_detail(engine: Engine, area: AreaRef, warning_id: int, revision: str = "") -> WarningDetail:
    """The warning if it lies inside `area` (the id comes from the browser), its evidence and its history."""
    with engine.connect() as conn:
        row = conn.execute(select(WARNINGS).where(WARNINGS.c.id == warning_id, area.clause(WARNINGS))).mappings().first()
    if row is None:
        return WarningDetail(None, {}, pd.DataFrame(columns=["at", "action", "actor", "level", "note"]))
    events = frame_of(engine, select(EVENTS.c.at, EVENTS.c.action, EVENTS.c.actor, EVENTS.c.level, EVENTS.c.note)
                      .where(EVENTS.c.warning_id == warning_id).order_by(EVENTS.c.at, EVENTS.c.id),
                      ["at", "action", "actor", "level", "note"])
    return WarningDetail(dict(row), json.loads(row["evidence"] or "{}"), events)


def latest_open(engine: Engine, area: AreaRef, period: Period, revision: str = "", limit: int = 12) -> pd.DataFrame:
    """Open warnings at the period's end, most severe and newest first (the big screen's list; LIST_COLUMNS)."""
    return _list(engine, open_by(area, period.hi), [_severity(), WARNINGS.c.raised_at.desc(), WARNINGS.c.id.desc()],
                 limit)
