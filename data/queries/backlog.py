"""信访积案 questions: the backlog petitions by difficulty color and origin, what was resolved, how colors moved.

Definitions (one place, so the board, the screen and `stats` agree):
- a backlog case is a petition with a backlog color (`cases.backlog_color`, its color when last seen);
- resolved in a period: a backlog case closed in the period (`stats` key backlog_resolved), counted under the
  color it had when it closed;
- on the board at an instant: listed before it (its first color change) and not closed by then, counted under
  its color at that instant (the last color change before it).

A city or a county reads who is on the board from the backlog summaries (`sum_backlog_board` per day,
township, origin and color; the case list from `sum_backlog_spans`, see data.summaries.backlog) while they are
built from the data as it is; a township and below, or stale summaries, read the color changes.

The helpers at the top are shared by the other governance-operation query modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, and_, case, func, literal, or_, select

from data.filters import AreaRef, Period
from data.models import Area, CaseEvent
from data.models_ops import BacklogColorChange, BacklogListing, SupervisionListing
from data.models_summary import SumBacklogBoard, SumBacklogSpan
from data.queries.base import (
    CASES,
    CHILD_COLUMN,
    bucket_counts,
    bucket_index,
    instant,
    midnight_day,
    summary_area,
)
from data.queries.list_pages import ListPage, SortKeys, list_page
from data.summaries import backlog_days
from data.vocab import BacklogColor, BacklogOrigin, Kind, Level

AREAS = Area.__table__
CHANGES = BacklogColorChange.__table__
LISTINGS = BacklogListing.__table__
BOARD = SumBacklogBoard.__table__
SPANS = SumBacklogSpan.__table__
EVENTS = CaseEvent.__table__
COLORS = tuple(str(c) for c in BacklogColor)  # red, yellow, green: hardest first
ORIGINS = tuple(str(o) for o in BacklogOrigin)
CASE_LIST_LIMIT = 200


# --- shared helpers ---


def frame_of(engine: Engine, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    """Run a statement and name its columns (an empty result keeps them)."""
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


def count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def child_column(area: AreaRef) -> str:
    """The column naming the area's children in tables that copy ancestor codes; a grid groups on itself."""
    return CHILD_COLUMN.get(area.level, "grid_code")


def children_of(engine: Engine, area: AreaRef) -> pd.DataFrame:
    """The area's children (a grid: itself), in code order. Columns: code, name."""
    cond = AREAS.c.code == area.code if area.level == Level.GRID else AREAS.c.parent_code == area.code
    return frame_of(engine, select(AREAS.c.code, AREAS.c.name).where(cond).order_by(AREAS.c.code), ["code", "name"])


def month_starts(period: Period) -> list[date]:
    """First days of the months touching the period."""
    months, d = [], period.start.replace(day=1)
    while d <= period.end:
        months.append(d)
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def month_ends(period: Period) -> list[datetime]:
    """The instant each month of the period ends (the last one at the period's end): stock-taking points."""
    out = []
    for m in month_starts(period):
        nxt = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(min(datetime.combine(nxt, datetime.min.time()), period.hi))
    return out


# --- backlog definitions ---


def is_backlog() -> ColumnElement[bool]:
    return CASES.c.backlog_color.is_not(None)


def color_at(area: AreaRef, at: datetime):
    """Subquery: every backlog case of the area on the board at `at`, with its color then.

    Columns: case_id, color. The latest change before `at` wins (ties by id).
    """
    ranked = (
        select(CHANGES.c.case_id, CHANGES.c.to_color,
               func.row_number().over(partition_by=CHANGES.c.case_id,
                                      order_by=(CHANGES.c.at.desc(), CHANGES.c.id.desc())).label("rn"))
        .select_from(CHANGES.join(CASES, CASES.c.id == CHANGES.c.case_id))
        .where(CHANGES.c.at < instant(at), area.clause(CHANGES),
               or_(CASES.c.closed_at.is_(None), CASES.c.closed_at >= instant(at)))
        .subquery()
    )
    return select(ranked.c.case_id, ranked.c.to_color.label("color")).where(ranked.c.rn == 1).subquery("board")


def board_days(engine: Engine, area: AreaRef | None, instants: list[datetime]) -> list[int] | None:
    """The days of `sum_backlog_board` (or, with area None, of `sum_backlog_spans`) that answer for the
    instants, or None when the board question must read the color changes: below a county (the board table's
    keys stop at the township; there the changes are few), an instant that is not a midnight, or summaries
    not built from the data as it is."""
    if area is not None and area.level not in (Level.CITY, Level.COUNTY):
        return None
    days = [midnight_day(at) for at in instants]
    if any(d is None for d in days):
        return None
    return backlog_days(engine, [int(d) for d in days if d is not None])


def board_counts(engine: Engine, area: AreaRef, at: datetime, by: str | None = None) -> dict[tuple, int]:
    """How many backlog cases are on the board at `at` by color, and by `by` when given ('origin' or the
    child column): {(color,): n} or {(key, color): n}.

    A city or county reads the per-township board table; below that (it has no village or grid) the spans,
    which carry every area code; without fresh summaries, or at an instant that is not a midnight, the changes.
    """
    days = board_days(engine, area, [at])
    span_days = board_days(engine, None, [at]) if days is None else None
    if days is not None:
        keys = [BOARD.c[by]] if by else []
        stmt = (select(*keys, BOARD.c.color, func.sum(BOARD.c.cases))
                .where(BOARD.c.day == days[0], summary_area(BOARD, area)).group_by(*keys, BOARD.c.color))
    elif span_days is not None:
        s = SPANS.c
        keys = [s[by]] if by else []
        stmt = (select(*keys, s.color, func.count())
                .where(s.start_day <= span_days[0], s.end_day > span_days[0], area.clause(SPANS))
                .group_by(*keys, s.color))
    else:
        board = color_at(area, at)
        keys = [CASES.c.backlog_origin if by == "origin" else CASES.c[by]] if by else []
        source = board.join(CASES, CASES.c.id == board.c.case_id) if by else board
        stmt = select(*keys, board.c.color, func.count()).select_from(source).group_by(*keys, board.c.color)
    with engine.connect() as conn:
        return {tuple(r[:-1]): int(r[-1]) for r in conn.execute(stmt).all()}


def color_rank(color: ColumnElement[str]) -> ColumnElement[int]:
    """Hardest first: red 0, yellow 1, green 2."""
    return case(*[(color == c, i) for i, c in enumerate(COLORS)], else_=9)


def resolved_in(area: AreaRef, period: Period) -> ColumnElement[bool]:
    """Backlog cases closed in the period, in the area."""
    return and_(CASES.c.kind == str(Kind.PETITION), CASES.c.closed_at >= instant(period.lo),
                CASES.c.closed_at < instant(period.hi),
                is_backlog(), area.clause(CASES))


# --- questions ---


def backlog_summary(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """The board's tiles, one row.

    Columns: on_board (at the period's end), red, yellow, green (on the board by color then), resolved (closed
    in the period), resolved_red (of them, closed while red), listed (put on the board in the period).
    """
    stock = {k[0]: n for k, n in board_counts(engine, area, period.hi).items()}
    with engine.connect() as conn:
        resolved, resolved_red = conn.execute(select(
            func.count(), count_if(CASES.c.backlog_color == str(BacklogColor.RED))).where(resolved_in(area, period))).one()
        listed = conn.execute(select(func.count()).select_from(CHANGES).where(
            CHANGES.c.from_color.is_(None), CHANGES.c.at >= instant(period.lo), CHANGES.c.at < instant(period.hi),
            area.clause(CHANGES))).scalar_one()
    row = {"on_board": sum(int(v) for v in stock.values()), **{c: int(stock.get(c, 0)) for c in COLORS},
           "resolved": int(resolved), "resolved_red": int(resolved_red), "listed": int(listed)}
    return pd.DataFrame([row])


def backlog_by_origin(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Backlog cases by origin and color: on the board at the period's end, and resolved in the period.

    Columns: origin, color, on_board, resolved — every origin × color, zeros included.
    """
    a = board_counts(engine, area, period.hi, "origin")
    resolved = (select(CASES.c.backlog_origin, CASES.c.backlog_color, func.count()).where(resolved_in(area, period))
                .group_by(CASES.c.backlog_origin, CASES.c.backlog_color))
    with engine.connect() as conn:
        b = {(o, c): int(n) for o, c, n in conn.execute(resolved).all()}
    rows = [(o, c, a.get((o, c), 0), b.get((o, c), 0)) for o in ORIGINS for c in COLORS]
    return pd.DataFrame(rows, columns=["origin", "color", "on_board", "resolved"])


def backlog_by_child(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Per child area: backlog on the board at the period's end by color, and resolved in the period.

    Columns: code, name, red, yellow, green, on_board, resolved — every child listed, most on the board first.
    """
    col = child_column(area)
    on = board_counts(engine, area, period.hi, col)
    resolved = select(CASES.c[col], func.count()).where(resolved_in(area, period)).group_by(CASES.c[col])
    with engine.connect() as conn:
        done = {k: int(n) for k, n in conn.execute(resolved).all()}
    frame = children_of(engine, area)
    for c in COLORS:
        frame[c] = [on.get((k, c), 0) for k in frame["code"]]
    frame["resolved"] = [done.get(k, 0) for k in frame["code"]]
    frame["on_board"] = frame[list(COLORS)].sum(axis=1)
    frame = frame[["code", "name", *COLORS, "on_board", "resolved"]]
    return frame.sort_values(["on_board", "resolved", "code"], ascending=[False, False, True], kind="stable").reset_index(
        drop=True)


def resolved_by_month(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Backlog cases resolved per month of the period, by the color they closed in.

    Columns: month (first day, date), red, yellow, green, total — every month listed.
    """
    months = month_starts(period)
    edges = [period.lo, *[datetime.combine(m, datetime.min.time()) for m in months[1:]]]
    inner = select(bucket_index(CASES.c.closed_at, edges).label("m"), CASES.c.backlog_color.label("color")).where(
        resolved_in(area, period)).subquery()
    with engine.connect() as conn:
        rows = conn.execute(select(inner.c.m, inner.c.color, func.count()).group_by(inner.c.m, inner.c.color)).all()
    frame = bucket_counts(rows, len(months), list(COLORS))
    frame["total"] = frame[list(COLORS)].sum(axis=1)
    frame.insert(0, "month", months)
    return frame


def color_trend(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """The board by color at each month's end in the period (stacked trend of the stock).

    A city or county reads the board summary at every point in one query; below that, or while it is stale,
    each point is counted from the color changes (a township's are few).
    Columns: at (the instant, month end or period end), red, yellow, green.
    """
    points = month_ends(period)
    days = board_days(engine, area, points)
    if days is not None:
        stmt = (select(BOARD.c.day, BOARD.c.color, func.sum(BOARD.c.cases))
                .where(BOARD.c.day.in_(sorted(set(days))), summary_area(BOARD, area))
                .group_by(BOARD.c.day, BOARD.c.color))
        with engine.connect() as conn:
            got = {(int(d), c): int(n) for d, c, n in conn.execute(stmt).all()}
        stocks = [{c: got.get((d, c), 0) for c in COLORS} for d in days]
    else:
        stocks = [{c: n for (c,), n in board_counts(engine, area, at).items()} for at in points]
    return pd.DataFrame([{"at": at, **{c: stock.get(c, 0) for c in COLORS}} for at, stock in zip(points, stocks,
                                                                                                   strict=True)],
                        columns=["at", *COLORS])


def color_moves(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Color changes made in the period: from → to and how many (progress is toward green).

    Columns: from_color, to_color, moves, progress (True when toward an easier color).
    """
    stmt = (select(CHANGES.c.from_color, CHANGES.c.to_color, func.count())
            .select_from(CHANGES.join(CASES, CASES.c.id == CHANGES.c.case_id))
            .where(CHANGES.c.from_color.is_not(None), CHANGES.c.at >= instant(period.lo),
                   CHANGES.c.at < instant(period.hi),
                   area.clause(CHANGES))
            .group_by(CHANGES.c.from_color, CHANGES.c.to_color))
    frame = frame_of(engine, stmt, ["from_color", "to_color", "moves"])
    rank = {c: i for i, c in enumerate(COLORS)}
    frame["progress"] = [rank.get(t, 0) > rank.get(f, 0) for f, t in zip(frame["from_color"], frame["to_color"],
                                                                          strict=True)]
    return frame.sort_values("moves", ascending=False, kind="stable").reset_index(drop=True)


def backlog_assessment(engine: Engine, area: AreaRef, period: Period, weights: dict[str, float]) -> pd.DataFrame:
    """差异化考核: per child, resolution by color weighted by difficulty, best first.

    weighted_rate = Σ w_c·resolved_c / Σ w_c·(resolved_c + on_board_c) in percent (NaN with no backlog);
    rate_<color> the plain rate of one color. Columns: code, name, resolved_<c>, on_board_<c>, rate_<c>,
    weighted_rate, cases (resolved + on board) for every color c.
    """
    col = child_column(area)
    on = board_counts(engine, area, period.hi, col)
    resolved = (select(CASES.c[col], CASES.c.backlog_color, func.count()).where(resolved_in(area, period))
                .group_by(CASES.c[col], CASES.c.backlog_color))
    with engine.connect() as conn:
        done = {(k, c): int(n) for k, c, n in conn.execute(resolved).all()}
    frame = children_of(engine, area)
    num = pd.Series(0.0, index=frame.index)
    den = pd.Series(0.0, index=frame.index)
    for c in COLORS:
        frame[f"resolved_{c}"] = [done.get((k, c), 0) for k in frame["code"]]
        frame[f"on_board_{c}"] = [on.get((k, c), 0) for k in frame["code"]]
        total = frame[f"resolved_{c}"] + frame[f"on_board_{c}"]
        frame[f"rate_{c}"] = (100.0 * frame[f"resolved_{c}"] / total.where(total > 0)).astype(float)
        w = float(weights.get(c, 0.0))
        num += w * frame[f"resolved_{c}"]
        den += w * total
    frame["weighted_rate"] = (100.0 * num / den.where(den > 0)).astype(float)
    frame["cases"] = sum(frame[f"resolved_{c}"] + frame[f"on_board_{c}"] for c in COLORS)
    return frame.sort_values(["weighted_rate", "cases"], ascending=[False, False], na_position="last",
                             kind="stable").reset_index(drop=True)


def backlog_cases(engine: Engine, area: AreaRef, period: Period, limit: int = CASE_LIST_LIMIT) -> pd.DataFrame:
    """The cases behind the board: on it at the period's end (hardest first, oldest first), then those
    resolved in the period (latest first), at most `limit`.

    Columns: id, case_no, category, origin, color, state ("on_board" or "resolved"), reported_at, closed_at,
    leader, place (township), listed (True when in supervision too).
    """
    days = board_days(engine, None, [period.hi])
    if days is not None:  # the hardest and oldest `limit` from the spans, then their details
        s = SPANS.c
        board = (select(s.case_id, s.color).where(s.start_day <= days[0], s.end_day > days[0], area.clause(SPANS))
                 .order_by(color_rank(s.color), s.reported_us, s.case_id).limit(limit).subquery("board"))
    else:
        board = color_at(area, period.hi)
    towns = AREAS.alias("towns")
    sup = SupervisionListing.__table__
    common = (CASES.c.id, CASES.c.case_no, CASES.c.category, CASES.c.backlog_origin)
    tail = (CASES.c.reported_at, CASES.c.closed_at,
            func.coalesce(LISTINGS.c.leader_post + " " + LISTINGS.c.leader_name, ""), towns.c.name,
            sup.c.id.is_not(None))

    def joined(base):
        return (base.outerjoin(LISTINGS, LISTINGS.c.case_id == CASES.c.id)
                .outerjoin(towns, towns.c.code == CASES.c.township_code).outerjoin(sup, sup.c.case_id == CASES.c.id))

    open_stmt = (select(*common, board.c.color, literal("on_board"), *tail)
                 .select_from(joined(board.join(CASES, CASES.c.id == board.c.case_id)))
                 .order_by(color_rank(board.c.color), CASES.c.reported_at, CASES.c.id).limit(limit))
    done_stmt = (select(*common, CASES.c.backlog_color, literal("resolved"), *tail).select_from(joined(CASES))
                 .where(resolved_in(area, period)).order_by(CASES.c.closed_at.desc(), CASES.c.id))
    cols = ["id", "case_no", "category", "origin", "color", "state", "reported_at", "closed_at", "leader", "place",
            "listed"]
    on_board = frame_of(engine, open_stmt, cols)
    room = limit - len(on_board)  # the resolved only fill what the board leaves (none at a city's year)
    frame = pd.concat([on_board, frame_of(engine, done_stmt.limit(room), cols)], ignore_index=True) if room > 0 \
        else on_board
    frame["listed"] = frame["listed"].astype(bool)
    return frame


# The list's own values each column of the case table sorts by (not the words shown): 难度 by difficulty (red
# first ascending), 状态 on the board before resolved and the resolved by date, 登记时间 by the instant.
CASE_SORT_KEYS: SortKeys = {
    "case_no": ("case_no",), "color": ("color_rank",), "origin": ("origin",), "category": ("category",),
    "place": ("place",), "leader": ("leader",), "state": ("is_resolved", "closed_at"), "reported_at": ("reported_at",),
}


def case_page(cases: pd.DataFrame, page: int, size: int, sort: tuple[tuple[str, bool], ...]) -> ListPage:
    """Page `page` of `backlog_cases`' list (none sorted: hardest and oldest first, then the latest resolved)."""
    return list_page(cases, page, size, sort, CASE_SORT_KEYS, lambda f: f.assign(
        color_rank=f["color"].map({c: i for i, c in enumerate(COLORS)}), is_resolved=f["state"] != "on_board"))


@dataclass(frozen=True)
class CaseHistory:
    """One backlog case as the detail panel shows it (empty frames when it is not in the area)."""

    case: pd.DataFrame  # one row: id, case_no, category, origin, color, status, reported_at, closed_at, unit,
    #                     leader_name, leader_post, listed_at, place
    colors: pd.DataFrame  # at, from_color, to_color
    events: pd.DataFrame  # at, step, level


def backlog_case(engine: Engine, area: AreaRef, case_id: int) -> CaseHistory:
    """The case's facts, leader and color history, events — only if it is a backlog case inside `area`.

    The id comes from the browser: a case outside the area gives empty frames, never its data.
    """
    towns = AREAS.alias("towns")
    stmt = (select(CASES.c.id, CASES.c.case_no, CASES.c.category, CASES.c.backlog_origin, CASES.c.backlog_color,
                   CASES.c.status, CASES.c.reported_at, CASES.c.closed_at, CASES.c.responsible_unit,
                   LISTINGS.c.leader_name, LISTINGS.c.leader_post, LISTINGS.c.listed_at, towns.c.name)
            .select_from(CASES.outerjoin(LISTINGS, LISTINGS.c.case_id == CASES.c.id)
                         .outerjoin(towns, towns.c.code == CASES.c.township_code))
            .where(CASES.c.id == case_id, is_backlog(), area.clause(CASES)))
    case_cols = ["id", "case_no", "category", "origin", "color", "status", "reported_at", "closed_at", "unit",
                 "leader_name", "leader_post", "listed_at", "place"]
    facts = frame_of(engine, stmt, case_cols)
    if facts.empty:
        return CaseHistory(facts, pd.DataFrame(columns=["at", "from_color", "to_color"]),
                           pd.DataFrame(columns=["at", "step", "level"]))
    colors = frame_of(engine, select(CHANGES.c.at, CHANGES.c.from_color, CHANGES.c.to_color)
                      .where(CHANGES.c.case_id == case_id).order_by(CHANGES.c.at, CHANGES.c.id),
                      ["at", "from_color", "to_color"])
    events = frame_of(engine, select(EVENTS.c.at, EVENTS.c.step, EVENTS.c.level).where(EVENTS.c.case_id == case_id)
                      .order_by(EVENTS.c.at, EVENTS.c.id), ["at", "step", "level"])
    return CaseHistory(facts, colors, events)


def backlog_resolved(engine: Engine, area: AreaRef, period: Period) -> int:
    """Backlog petitions resolved (closed) in the period: the `stats` key backlog_resolved."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(resolved_in(area, period))).scalar_one())
