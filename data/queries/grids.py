"""精网微格 questions: grids and their people, visits to key populations, coverage, and silent grids.

Definitions (at an instant, normally the end of the selected period):
- a key person is under supervision when `since` is before the instant and `until` is not;
- visited on time: the person's last visit before the instant is no older than the group's visit frequency
  (`config/operations.json`); otherwise the visit is overdue. Coverage = on time / under supervision;
- a silent grid has submitted no patrol log, visit or report for at least N days (`silent_grids.days`).

Dashboards get counts only. `key_person_list` returns personal data: callers must check that the user is the
chief of the area or an admin (`may_see_people`), and it is never exported.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select

from data.alert_rules import OpsSettings
from data.filters import AreaRef, Period
from data.models import Area, GridWorker
from data.models_ops import GridSilence, GridVisit, KeyGroup, KeyPerson, VisitMode
from data.models_summary import SumCoverage, SumVisits, SumVisitsCounty
from data.queries.backlog import children_of, count_if, frame_of, month_starts
from data.queries.base import (
    CASES,
    bucket_counts,
    bucket_index,
    instant,
    midnight_day,
    registered_in,
    sum_of,
    uses_summaries,
)
from data.queries.flow import NodeFamily, NodeFilter, flow_rows
from data.summaries import coverage_days, day_number, visits_fresh
from data.vocab import Channel, Level, WorkerRole

AREAS = Area.__table__
WORKERS = GridWorker.__table__
PERSONS = KeyPerson.__table__
VISITS = GridVisit.__table__
SILENCES = GridSilence.__table__
COVERAGE = SumCoverage.__table__
SUM_VISITS = SumVisits.__table__
SUM_VISITS_COUNTY = SumVisitsCounty.__table__
GROUPS = tuple(str(g) for g in KeyGroup)
MODES = tuple(str(m) for m in VisitMode)
# The column naming an area's children in tables that copy ancestor codes (grids group on their own code).
CHILD = {Level.CITY: "county_code", Level.COUNTY: "township_code", Level.TOWNSHIP: "village_code",
         Level.VILLAGE: "grid_code", Level.GRID: "grid_code"}
# In the areas table a grid's own code is `code`.
AREA_CHILD = {**CHILD, Level.VILLAGE: "code", Level.GRID: "code"}
AREA_SELF = {Level.COUNTY: "county_code", Level.TOWNSHIP: "township_code", Level.VILLAGE: "village_code",
             Level.GRID: "code"}
LIST_LIMIT = 200


def may_see_people(role: str | None, scope: AreaRef | None, area: AreaRef) -> bool:
    """Personal data of key persons: only the chief of an area containing `area`, or an admin."""
    if scope is None or not scope.contains(area.code):
        return False
    return role in ("chief", "admin")


def under_supervision(area: AreaRef, at: datetime) -> ColumnElement[bool]:
    return and_(PERSONS.c.since < instant(at), or_(PERSONS.c.until.is_(None), PERSONS.c.until >= instant(at)),
                area.clause(PERSONS))


def _last_visits(area: AreaRef, at: datetime, settings: OpsSettings):
    """Each person's last visit before `at`, looking back no further than the longest frequency."""
    longest = max(int(d) for d in settings.visit_days.values())
    return (select(VISITS.c.person_id, func.max(VISITS.c.at).label("last"))
            .where(VISITS.c.at < instant(at), VISITS.c.at >= instant(at - timedelta(days=longest)),
                   area.clause(VISITS))
            .group_by(VISITS.c.person_id).subquery("last_visits"))


def _on_time(last, at: datetime, settings: OpsSettings) -> ColumnElement[bool]:
    threshold = case(*[(PERSONS.c.key_group == g, instant(at - timedelta(days=int(d))))
                       for g, d in settings.visit_days.items()], else_=instant(at))
    return and_(last.c.last.is_not(None), last.c.last >= threshold)


# The key_persons columns the coverage snapshot (`sum_coverage`) is keyed by, and the area levels it answers.
SNAPSHOT_KEYS = ("county_code", "township_code", "key_group")
SNAPSHOT_AREA = {Level.CITY: None, Level.COUNTY: "county_code", Level.TOWNSHIP: "township_code"}
VISIT_SUMMARY_AREA = SNAPSHOT_AREA  # sum_visits is keyed down to the township too


def coverage_snapshot(engine: Engine, area: AreaRef, instants: list[datetime], settings: OpsSettings,
                      key: str | None = None) -> dict[tuple[str, int], tuple[int, int]] | None:
    """Coverage from the daily snapshot: {(key value or '', instant index): (due, on_time)}, only where
    anyone is due — the same numbers as the query on key_persons and grid_visits (tests/test_coverage_summary.py).

    None when the snapshot cannot answer: an area below a township, a key it does not hold (villages, grids),
    an instant that is not a midnight, or a snapshot not built from the current key persons, visits and visit
    frequencies (`data.summaries.coverage_days`); the caller then runs the query.
    """
    days = [midnight_day(t) for t in instants]
    if area.level not in SNAPSHOT_AREA or (key is not None and key not in SNAPSHOT_KEYS) or None in days:
        return None
    stored = coverage_days(engine, days, settings.visit_days)
    if stored is None:
        return None
    at_day: dict[int, list[int]] = {}
    for i, d in enumerate(stored):
        at_day.setdefault(d, []).append(i)
    t = COVERAGE
    own = SNAPSHOT_AREA[area.level]
    keys = [t.c[key]] if key else []
    stmt = (select(*keys, t.c.day, sum_of(t.c.due), sum_of(t.c.on_time))
            .where(t.c.day.in_(sorted(at_day)), *([t.c[own] == area.code] if own else []))
            .group_by(*keys, t.c.day))
    with engine.connect() as conn:
        found = [tuple(r) if key else ("", *tuple(r)) for r in conn.execute(stmt)]
    return {(k, i): (int(due), int(on_time)) for k, day, due, on_time in found for i in at_day[int(day)]
            if int(due) > 0}


def coverage_by(engine: Engine, area: AreaRef, at: datetime, settings: OpsSettings, key) -> pd.DataFrame:
    """Coverage grouped by a column of key_persons. Columns: key, due, on_time, overdue."""
    own = getattr(key, "table", None) is PERSONS
    snap = coverage_snapshot(engine, area, [at], settings, key.name) if own else None
    if snap is not None:
        frame = pd.DataFrame([(k, due, on_time) for (k, _i), (due, on_time) in sorted(snap.items())],
                             columns=["key", "due", "on_time"]).astype({"due": "int64", "on_time": "int64"})
        frame["overdue"] = frame["due"] - frame["on_time"]
        return frame
    last = _last_visits(area, at, settings)
    stmt = (select(key.label("key"), func.count().label("due"), count_if(_on_time(last, at, settings)).label("on_time"))
            .select_from(PERSONS.outerjoin(last, last.c.person_id == PERSONS.c.id))
            .where(under_supervision(area, at)).group_by(key))
    frame = frame_of(engine, stmt, ["key", "due", "on_time"])
    frame["overdue"] = frame["due"] - frame["on_time"]
    return frame


def coverage_rate(due: pd.Series | int, on_time: pd.Series | int):
    """Visited on time / due, in percent (NaN when nobody is due)."""
    if isinstance(due, pd.Series):
        return (100.0 * on_time / due.where(due > 0)).astype(float)
    return 100.0 * on_time / due if due else float("nan")


def visit_coverage(engine: Engine, area: AreaRef, at: datetime, settings: OpsSettings) -> pd.DataFrame:
    """Coverage of the area at an instant, one row. Columns: due, on_time, overdue, coverage (percent)."""
    snap = coverage_snapshot(engine, area, [at], settings)
    if snap is not None:
        due, on_time = snap.get(("", 0), (0, 0))
    else:
        last = _last_visits(area, at, settings)
        stmt = (select(func.count(), count_if(_on_time(last, at, settings)))
                .select_from(PERSONS.outerjoin(last, last.c.person_id == PERSONS.c.id))
                .where(under_supervision(area, at)))
        with engine.connect() as conn:
            due, on_time = (int(v) for v in conn.execute(stmt).one())
    return pd.DataFrame([{"due": due, "on_time": on_time, "overdue": due - on_time,
                          "coverage": coverage_rate(due, on_time)}])


def coverage_by_group(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings) -> pd.DataFrame:
    """Coverage per key group at the period's end. Columns: group, due, on_time, overdue, coverage, days."""
    got = coverage_by(engine, area, period.hi, settings, PERSONS.c.key_group).set_index("key")
    frame = pd.DataFrame({"group": GROUPS})
    for col in ("due", "on_time", "overdue"):
        frame[col] = [int(got[col].get(g, 0)) for g in GROUPS]
    frame["coverage"] = coverage_rate(frame["due"], frame["on_time"])
    frame["days"] = [int(settings.visit_days.get(g, 0)) for g in GROUPS]
    return frame


def silent_at(area: AreaRef, at: datetime, days: int) -> ColumnElement[bool]:
    """Silent spells covering `at` that began at least `days` days before it."""
    return and_(SILENCES.c.start_at <= at - timedelta(days=days),
                or_(SILENCES.c.end_at.is_(None), SILENCES.c.end_at >= at), area.clause(SILENCES))


def _structure_by_child(engine: Engine, area: AreaRef) -> pd.DataFrame:
    col = AREA_CHILD[area.level]
    in_area = area.clause(AREAS, AREA_SELF)
    grids = (select(AREAS.c[col], func.count(), count_if(AREAS.c.is_demo_grid.is_(True)),
                    func.coalesce(func.sum(AREAS.c.population), 0))
             .where(AREAS.c.level == str(Level.GRID), in_area).group_by(AREAS.c[col]))
    wcol = CHILD[area.level]
    workers = (select(WORKERS.c[wcol], count_if(WORKERS.c.role == str(WorkerRole.LIAISON)),
                      count_if(WORKERS.c.role == str(WorkerRole.GRID_STAFF)))
               .where(area.clause(WORKERS)).group_by(WORKERS.c[wcol]))
    with engine.connect() as conn:
        g = {k: (int(a), int(b), int(c)) for k, a, b, c in conn.execute(grids).all()}
        w = {k: (int(a), int(b)) for k, a, b in conn.execute(workers).all()}
    frame = children_of(engine, area)
    frame["grids"] = [g.get(k, (0, 0, 0))[0] for k in frame["code"]]
    frame["demo_grids"] = [g.get(k, (0, 0, 0))[1] for k in frame["code"]]
    frame["population"] = [g.get(k, (0, 0, 0))[2] for k in frame["code"]]
    frame["liaisons"] = [w.get(k, (0, 0))[0] for k in frame["code"]]
    frame["grid_staff"] = [w.get(k, (0, 0))[1] for k in frame["code"]]
    return frame


def grids_by_child(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings) -> pd.DataFrame:
    """Per child area: structure, residents per liaison, coverage and silent grids at the period's end.

    Columns: code, name, grids, demo_grids, population, liaisons, grid_staff, residents_per_liaison, due,
    on_time, overdue, coverage, silent — every child listed, in code order.
    """
    frame = _structure_by_child(engine, area)
    frame["residents_per_liaison"] = (frame["population"] / frame["liaisons"].where(frame["liaisons"] > 0)).astype(float)
    cov = coverage_by(engine, area, period.hi, settings, PERSONS.c[CHILD[area.level]]).set_index("key")
    for col in ("due", "on_time", "overdue"):
        frame[col] = [int(cov[col].get(k, 0)) for k in frame["code"]]
    frame["coverage"] = coverage_rate(frame["due"], frame["on_time"])
    silent_col = SILENCES.c[CHILD[area.level]]
    stmt = (select(silent_col, func.count(func.distinct(SILENCES.c.grid_code)))
            .where(silent_at(area, period.hi, settings.silent_days)).group_by(silent_col))
    with engine.connect() as conn:
        silent = dict(conn.execute(stmt).all())
    frame["silent"] = [int(silent.get(k, 0)) for k in frame["code"]]
    return frame


def grids_summary(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings) -> pd.DataFrame:
    """The page's tiles, one row.

    Columns: grids, demo_grids, population, liaisons, grid_staff, residents_per_liaison, persons (under
    supervision at the end), on_time, overdue, coverage, silent (grids at the end), visits (in the period),
    grid_reports (cases reported by grid staff in the period).
    """
    parts = _structure_by_child(engine, area)
    row = {k: int(parts[k].sum()) for k in ("grids", "demo_grids", "population", "liaisons", "grid_staff")}
    row["residents_per_liaison"] = row["population"] / row["liaisons"] if row["liaisons"] else float("nan")
    cov = visit_coverage(engine, area, period.hi, settings).iloc[0]
    row.update(persons=int(cov["due"]), on_time=int(cov["on_time"]), overdue=int(cov["overdue"]),
               coverage=float(cov["coverage"]))
    with engine.connect() as conn:
        row["silent"] = int(conn.execute(select(func.count(func.distinct(SILENCES.c.grid_code))).where(
            silent_at(area, period.hi, settings.silent_days))).scalar_one())
        row["visits"] = int(visits_by_month(engine, area, period)["total"].sum())
    row["grid_reports"] = grid_reports(engine, area, period)
    return pd.DataFrame([row])


def grid_reports(engine: Engine, area: AreaRef, period: Period) -> int:
    """Cases reported by grid staff (channel 网格上报) registered in the period: the intake flow's channel
    node, from the flow summary for a city or a county."""
    if uses_summaries(engine, area):
        rows = flow_rows(area, period, (), NodeFilter(NodeFamily.CHANNEL, str(Channel.GRID)))
        stmt = select(sum_of(rows.c.cases))
    else:
        stmt = select(func.count()).select_from(CASES).where(registered_in(area, period),
                                                             CASES.c.channel == str(Channel.GRID))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def visits_by_month(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Visits per month of the period by kind of action. Columns: month (date), routine, building_sweep,
    door_knock, total — every month listed. A city or county reads the daily counts of `sum_visits_county`, a
    township those of `sum_visits`, while they hold every visit; below that the visits themselves (a village's
    are few)."""
    months = month_starts(period)
    if area.level in VISIT_SUMMARY_AREA and visits_fresh(engine):
        t, own = SUM_VISITS if area.level == Level.TOWNSHIP else SUM_VISITS_COUNTY, VISIT_SUMMARY_AREA[area.level]
        stmt = (select(t.c.day, t.c.mode, func.sum(t.c.visits))
                .where(t.c.day >= day_number(period.start), t.c.day < day_number(period.end) + 1,
                       *([t.c[own] == area.code] if own else [])).group_by(t.c.day, t.c.mode))
        starts = [day_number(period.start), *[day_number(m) for m in months[1:]]]
        with engine.connect() as conn:
            rows = [(bisect_right(starts, int(d)) - 1, mode, n) for d, mode, n in conn.execute(stmt).all()]
    else:
        edges = [period.lo, *[datetime.combine(m, datetime.min.time()) for m in months[1:]]]
        inner = (select(bucket_index(VISITS.c.at, edges).label("m"), VISITS.c.mode)
                 .where(VISITS.c.at >= instant(period.lo), VISITS.c.at < instant(period.hi), area.clause(VISITS))
                 .subquery())
        with engine.connect() as conn:
            rows = conn.execute(select(inner.c.m, inner.c.mode, func.count()).group_by(inner.c.m, inner.c.mode)).all()
    frame = bucket_counts(rows, len(months), list(MODES))
    frame["total"] = frame[list(MODES)].sum(axis=1)
    frame.insert(0, "month", months)
    return frame


def silent_grids(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings,
                 limit: int = 50) -> pd.DataFrame:
    """Grids silent at the period's end, longest silence first.

    Columns: code, grid, village, township, since, days (whole days silent by then).
    """
    at = period.hi
    villages, towns, grids = AREAS.alias("v"), AREAS.alias("t"), AREAS.alias("g")
    stmt = (select(SILENCES.c.grid_code, grids.c.name, villages.c.name, towns.c.name, func.min(SILENCES.c.start_at))
            .select_from(SILENCES.join(grids, grids.c.code == SILENCES.c.grid_code)
                         .join(villages, villages.c.code == SILENCES.c.village_code)
                         .join(towns, towns.c.code == SILENCES.c.township_code))
            .where(silent_at(area, at, settings.silent_days))
            .group_by(SILENCES.c.grid_code, grids.c.name, villages.c.name, towns.c.name)
            .order_by(func.min(SILENCES.c.start_at), SILENCES.c.grid_code).limit(limit))
    frame = frame_of(engine, stmt, ["code", "grid", "village", "township", "since"])
    frame["since"] = pd.to_datetime(frame["since"])
    frame["days"] = [(at - s.to_pydatetime()).days for s in frame["since"]]
    return frame


def key_person_list(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings,
                    limit: int = LIST_LIMIT) -> pd.DataFrame:
    """PERSONAL DATA — key persons under supervision at the period's end, overdue visits first.

    Only for users `may_see_people` allows; never exported. Columns: id, name, group, grid, village, since,
    last_visit (None if never), overdue (bool), days_since (whole days since the last visit, None if never).
    """
    at = period.hi
    last = _last_visits(area, at, settings)
    ever = (select(VISITS.c.person_id, func.max(VISITS.c.at).label("ever")).where(VISITS.c.at < at, area.clause(VISITS))
            .group_by(VISITS.c.person_id).subquery("ever"))
    grids, villages = AREAS.alias("g"), AREAS.alias("v")
    on_time = _on_time(last, at, settings)
    stmt = (select(PERSONS.c.id, PERSONS.c.name, PERSONS.c.key_group, grids.c.name, villages.c.name, PERSONS.c.since,
                   ever.c.ever, on_time)
            .select_from(PERSONS.outerjoin(last, last.c.person_id == PERSONS.c.id)
                         .outerjoin(ever, ever.c.person_id == PERSONS.c.id)
                         .join(grids, grids.c.code == PERSONS.c.grid_code)
                         .join(villages, villages.c.code == PERSONS.c.village_code))
            .where(under_supervision(area, at))
            .order_by(on_time, ever.c.ever, PERSONS.c.id).limit(limit))
    frame = frame_of(engine, stmt, ["id", "name", "group", "grid", "village", "since", "last_visit", "on_time"])
    frame["overdue"] = ~frame["on_time"].fillna(False).astype(bool)
    frame["last_visit"] = pd.to_datetime(frame["last_visit"])
    frame["days_since"] = [None if pd.isna(v) else (at - v.to_pydatetime()).days for v in frame["last_visit"]]
    return frame.drop(columns="on_time")
