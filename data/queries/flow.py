"""案件流转 questions: how the intake flows from channel to outcome, how long each stage takes, where it escalates.

Every function answers one question for the intake (`base.registered_in`) of an area, period and kinds,
optionally narrowed by a `NodeFilter` (a node clicked in the flow diagram). Aggregation happens in SQL;
the dialect-specific bits (week and month keys, instants as hours, the percentile pick) are each wrapped in
one small helper so that SQLite and PostgreSQL give the same answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.selectable import CTE, Subquery

from data.filters import AreaRef, Period, kind_clause
from data.models import CaseEvent
from data.models_summary import STAGE_COLUMNS, SumFlow, SumStageHours, SumWeeklyNode
from data.queries.base import (
    CASES,
    DAILY,
    FACTS,
    Grain,
    as_date,
    bucket_start,
    closed_in,
    day_range,
    facts_area,
    facts_in,
    hours_since_epoch,
    month_rows,
    registered_in,
    summary_area,
    uses_facts,
    uses_summaries,
    week_starts,
)
from data.summaries import day_number, flow_outcome, from_day_number, monday_number, split_months, split_weeks
from data.summaries.cube import WHOLE_CITY
from data.summaries.stage_buckets import (
    VALUE,
    RankPick,
    RowHistogram,
    bucket_of,
    histogram,
    nearest_rank_pick,
    value_at,
)
from data.vocab import HANDLING_ORDER, Channel, Kind, Level, Mode, Outcome, Status, Step

EVENTS = CaseEvent.__table__
FLOW = SumFlow.__table__
WEEKLY = SumWeeklyNode.__table__
STAGE_HOURS = SumStageHours.__table__
OPEN = "open"  # the outcome key of a case still being handled (办理中)


class NodeFamily(StrEnum):
    """The columns of the flow diagram, left to right."""

    CHANNEL = "channel"
    KIND = "kind"
    FIRST = "first"
    FINAL = "final"
    OUTCOME = "outcome"


FAMILY_ORDER: tuple[NodeFamily, ...] = tuple(NodeFamily)
# The codes a node of each family may carry, in display order.
FAMILY_CODES: dict[NodeFamily, tuple[str, ...]] = {
    NodeFamily.CHANNEL: tuple(str(c) for c in Channel),
    NodeFamily.KIND: tuple(str(k) for k in Kind),
    NodeFamily.FIRST: tuple(str(h) for h in HANDLING_ORDER),
    NodeFamily.FINAL: tuple(str(h) for h in HANDLING_ORDER),
    NodeFamily.OUTCOME: (*(str(o) for o in Outcome), OPEN),
}
# The column of `flow_paths` (and of the case table) behind each family.
FAMILY_COLUMN: dict[NodeFamily, str] = {
    NodeFamily.CHANNEL: "channel",
    NodeFamily.KIND: "kind",
    NodeFamily.FIRST: "first_level",
    NodeFamily.FINAL: "final_level",
    NodeFamily.OUTCOME: "outcome",
}


@dataclass(frozen=True)
class NodeFilter:
    """One node of the flow diagram used as a filter, e.g. `first:village` (cases first handled by a village)."""

    family: NodeFamily
    code: str

    @property
    def key(self) -> str:
        """The URL form, `family:code`."""
        return f"{self.family}:{self.code}"

    @classmethod
    def parse(cls, text: str | None) -> NodeFilter | None:
        """The filter a URL value names, or None for anything unknown (a bad link shows the unfiltered page)."""
        family, _, code = (text or "").partition(":")
        try:
            fam = NodeFamily(family)
        except ValueError:
            return None
        return cls(fam, code) if code in FAMILY_CODES[fam] else None

    def clause(self) -> ColumnElement[bool]:
        """SQL condition on the case table selecting the cases that pass through this node."""
        if self.family == NodeFamily.OUTCOME and self.code == OPEN:
            return CASES.c.status == str(Status.OPEN)
        if self.family == NodeFamily.OUTCOME:
            return and_(CASES.c.status == str(Status.CLOSED), CASES.c.outcome == self.code)
        return CASES.c[FAMILY_COLUMN[self.family]] == self.code


    def summary_clause(self, table: Table) -> ColumnElement[bool]:
        """The same condition on a summary table keyed by the flow columns (`outcome` holds the flow's key)."""
        if self.family == NodeFamily.OUTCOME and "is_open" in table.c:  # per-case rows: status and raw outcome
            if self.code == OPEN:
                return table.c.is_open == 1
            return and_(table.c.is_open == 0, table.c.outcome == self.code)
        return table.c[FAMILY_COLUMN[self.family]] == self.code



def node_clause(node: NodeFilter | None) -> ColumnElement[bool]:
    """The node's condition, or no condition at all."""
    return node.clause() if node is not None else true()


def _outcome_key() -> ColumnElement[str]:
    """Outcome for closed cases, `open` for cases still being handled."""
    return case((CASES.c.status == str(Status.OPEN), literal(OPEN)), else_=CASES.c.outcome)


def flow_paths(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """The intake counted per complete path through the flow diagram (one GROUP BY).

    Columns: channel, kind, first_level, final_level, outcome (`open` while being handled), cases.
    The cases column sums to the intake.
    """
    if uses_summaries(engine, area):
        rows = flow_rows(area, period, kinds, None)
        cols = [rows.c.channel, rows.c.kind, rows.c.first_level, rows.c.final_level, rows.c.outcome]
        stmt = select(*cols, func.sum(rows.c.cases)).group_by(*cols)
    else:
        outcome = _outcome_key().label("outcome")
        cols = [CASES.c.channel, CASES.c.kind, CASES.c.first_level, CASES.c.final_level]
        stmt = (
            select(*cols, outcome, func.count().label("cases"))
            .where(registered_in(area, period, kinds))
            .group_by(*cols, outcome)
        )
    with engine.connect() as conn:
        rows = [(*r[:4], r[4] if r[4] != "" else None, r[5]) for r in conn.execute(stmt).all()]
    frame = pd.DataFrame(rows, columns=["channel", "kind", "first_level", "final_level", "outcome", "cases"])
    return frame.astype({"cases": "int64"})


def flow_rows(area: AreaRef, period: Period, kinds: tuple[str, ...], node: NodeFilter | None) -> Subquery:
    """Intake rows of a city or county over the period, narrowed by kinds and node: the monthly summary for
    whole months, one row per case (`cases` = 1) for the days around them."""
    t, f = FLOW, FACTS

    def edge(lo: int, hi: int) -> Select:
        return select(f.c.channel, f.c.kind, f.c.first_level, f.c.final_level, flow_outcome().label("outcome"),
                      f.c.mode, literal(1).label("cases")).where(
            facts_in("reported_day", lo, hi), summary_area(f, area), kind_clause(f, kinds),
            node.summary_clause(f) if node else true())

    in_area = t.c.county_code == (WHOLE_CITY if area.level == Level.CITY else area.code)
    return month_rows(t, [t.c.channel, t.c.kind, t.c.first_level, t.c.final_level, t.c.outcome, t.c.mode,
                          t.c.cases], period,
                      and_(in_area, kind_clause(t, kinds), node.summary_clause(t) if node else true()), edge)


# Stage durations measured between the first event of each step (see `stage_times`).
STAGES: tuple[tuple[str, Step, Step], ...] = (
    ("dispatch", Step.REGISTERED, Step.DISPATCHED),
    ("accept", Step.DISPATCHED, Step.ACCEPTED),
    ("close", Step.ACCEPTED, Step.CLOSED),
    ("total", Step.REGISTERED, Step.CLOSED),
)
PERCENTILES = (50, 90)


def stage_times(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (), node: NodeFilter | None = None
) -> pd.DataFrame:
    """Median and 90th percentile of the hours each stage took, for the intake (narrowed by `node`).

    A case's stage runs from the first event of one step to the first event of the next (登记→分派→受理→办结,
    plus 登记→办结 overall); a case that has not reached the later step is left out of that stage.

    Percentile method — nearest rank, on both backends: of the n durations sorted ascending, the p-th
    percentile is the one at 1-based rank r = ceil(p·n/100) (no interpolation, so it is always an observed
    duration). PostgreSQL computes it natively with percentile_disc(p/100) (its definition: the first value
    whose cumulative share reaches p — exactly rank ceil(p·n/100); percentile_cont would interpolate);
    SQLite has no ordered-set aggregates, so it sorts and picks rank r with ORDER BY … LIMIT 1 OFFSET r − 1,
    r computed in integers as (n·p + 99) // 100 (the 90th from the top end, DESC OFFSET n − r, to keep the
    sorter small).

    Columns: stage (dispatch, accept, close, total, in that order), cases, p50_hours, p90_hours (NaN when
    no case reached the stage).
    """
    if uses_summaries(engine, area):
        return _summary_stage_times(engine, area, period, kinds, node)
    hours = _stage_hours(engine, area, period, kinds, node)
    if engine.dialect.name == "postgresql":
        stmt = select(*_native_percentiles(hours))
    else:
        stmt = select(*_ranked_percentiles(hours))
    with engine.connect() as conn:
        row = conn.execute(stmt).one()._asdict()
    return pd.DataFrame(
        [
            {"stage": name, "cases": int(row[f"{name}_n"] or 0),
             **{f"p{p}_hours": _float(row[f"{name}_p{p}"]) for p in PERCENTILES}}
            for name, _a, _b in STAGES
        ]
    )


def _summary_stage_times(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...], node: NodeFilter | None
) -> pd.DataFrame:
    """stage_times for a city or county from `sum_stage_hours`, exactly, reading one bucket per percentile.

    The whole months' rows give their histograms (`stage_buckets`); the per-case rows of `sum_cases` for the
    days around them are added loose. Summed, the histograms tell which bucket holds each percentile's rank;
    then one query reads just that bucket's slice of each row, and the rank is picked among those values.
    """
    t, f = STAGE_HOURS, FACTS
    split = split_months(period)
    hists: dict[str, list[tuple[tuple, RowHistogram]]] = {name: [] for name in STAGE_COLUMNS}
    loose: dict[str, list[np.ndarray]] = {name: [] for name in STAGE_COLUMNS}
    packed = node.key if node and node.family != NodeFamily.KIND else ""
    rows_where = false() if split.whole is None else and_(
        t.c.node == packed, t.c.month >= split.whole[0], t.c.month < split.whole[1], summary_area(t, area),
        kind_clause(t, kinds), t.c.kind == node.code if node and node.family == NodeFamily.KIND else true())
    with engine.connect() as conn:
        if split.whole:
            stmt = select(t.c.month, t.c.county_code, t.c.kind, *[t.c[f"{name}_hist"] for name in STAGE_COLUMNS]).where(
                rows_where)
            for month, county, kind, *blobs in conn.execute(stmt):
                for name, blob in zip(STAGE_COLUMNS, blobs, strict=True):
                    hists[name].append(((month, county, kind), RowHistogram.unpack(blob)))
        for lo, hi in split.edges:
            stmt = select(*[f.c[name] for name in STAGE_COLUMNS]).where(
                facts_in("reported_day", lo, hi), summary_area(f, area), kind_clause(f, kinds),
                node.summary_clause(f) if node else true())
            rows = np.array([tuple(r) for r in conn.execute(stmt)], dtype=np.float64).reshape(-1, len(STAGE_COLUMNS))
            for i, name in enumerate(STAGE_COLUMNS):
                loose[name].append(rows[~np.isnan(rows[:, i]), i])
        near = {name: np.concatenate(loose[name]) if loose[name] else np.zeros(0) for name in STAGE_COLUMNS}
        picks: dict[str, dict[int, RankPick | None]] = {}
        totals: dict[str, int] = {}
        for name in STAGE_COLUMNS:
            total = histogram(near[name])
            for _key, hist in hists[name]:
                hist.add_to(total)
            totals[name] = int(total.sum())
            picks[name] = {p: nearest_rank_pick(total, p) for p in PERCENTILES}
        slices = _bucket_slices(conn, packed, rows_where, hists, picks)
    out = []
    for name in STAGE_COLUMNS:
        row = {"stage": name, "cases": totals[name]}
        for p, pick in picks[name].items():
            if pick is None:
                row[f"p{p}_hours"] = float("nan")
                continue
            own = near[name][bucket_of(near[name]) == pick.bucket]
            row[f"p{p}_hours"] = value_at(np.concatenate([own, *slices.get((name, pick.bucket), [])]), pick)
        out.append(row)
    return pd.DataFrame(out)


def _bucket_slices(conn: Connection, node: str, rows_where: ColumnElement[bool],
                   hists: dict[str, list[tuple[tuple, RowHistogram]]],
                   picks: dict[str, dict[int, RankPick | None]]) -> dict[tuple[str, int], list[np.ndarray]]:
    """{(stage, bucket): the stored values of that bucket, one array per row}.

    PostgreSQL reads them in one query as substrings of the sorted arrays (the list of slices carries each
    row's key, offset and length; uncompressed TOAST fetches only the chunks a substring covers). SQLite
    reads a whole blob even for a substring, so there the rows' arrays are read once and sliced here.
    """
    wanted = []
    for i, name in enumerate(STAGE_COLUMNS):
        for bucket in sorted({pick.bucket for pick in picks[name].values() if pick is not None}):
            for (month, county, kind), hist in hists[name]:
                offset, length = hist.slice_of(bucket)
                if length:
                    wanted.append((month, county, kind, i, bucket, offset, length))
    out: dict[tuple[str, int], list[np.ndarray]] = {}
    if not wanted:
        return out
    t = STAGE_HOURS
    if conn.dialect.name != "postgresql":
        arrays = {(month, county, kind): blobs for month, county, kind, *blobs in conn.execute(
            select(t.c.month, t.c.county_code, t.c.kind, *[t.c[name] for name in STAGE_COLUMNS]).where(rows_where))}
        for month, county, kind, stage, bucket, offset, length in wanted:
            values = np.frombuffer(arrays[(month, county, kind)][stage], dtype=VALUE, count=length, offset=offset * VALUE.itemsize)
            out.setdefault((STAGE_COLUMNS[stage], bucket), []).append(values)
        return out
    slices = _slice_list(wanted)
    blob = case(*[(slices.c.stage == i, t.c[name]) for i, name in enumerate(STAGE_COLUMNS)])
    start = slices.c.offset * VALUE.itemsize + 1
    stmt = select(slices.c.stage, slices.c.bucket, func.substr(blob, start, slices.c.length * VALUE.itemsize)).select_from(
        slices.join(t, and_(t.c.node == node, t.c.month == slices.c.month, t.c.county_code == slices.c.county,
                            t.c.kind == slices.c.kind)))
    for stage, bucket, data in conn.execute(stmt):
        out.setdefault((STAGE_COLUMNS[int(stage)], int(bucket)), []).append(np.frombuffer(data, dtype=VALUE))
    return out


SLICE_FIELDS = (("month", Integer), ("county", String), ("kind", String), ("stage", Integer), ("bucket", Integer),
                ("offset", Integer), ("length", Integer))


def _slice_list(wanted: list[tuple]) -> Subquery:
    """PostgreSQL: the wanted slices as rows (SLICE_FIELDS) from one JSON parameter — a VALUES list of ~2,000
    rows would cost SQLAlchemy 0.1 s to compile on every call, the JSON string nothing."""
    rows = func.jsonb_array_elements(cast(literal(json.dumps(wanted, separators=(",", ":"))), JSONB)).table_valued(
        "value").alias("w")
    return select(*[rows.c.value.op("->>")(i).cast(kind).label(name)
                    for i, (name, kind) in enumerate(SLICE_FIELDS)]).subquery("slices")


def _native_percentiles(hours: CTE) -> list[ColumnElement]:
    """PostgreSQL: count and percentile_disc per stage in one aggregate over the stage hours."""
    columns: list[ColumnElement] = []
    for name, _a, _b in STAGES:
        columns.append(func.count(hours.c[name]).label(f"{name}_n"))
        columns += [func.percentile_disc(p / 100).within_group(hours.c[name]).label(f"{name}_p{p}")
                    for p in PERCENTILES]
    return columns


def _ranked_percentiles(hours: CTE) -> list[ColumnElement]:
    """SQLite: per stage, its count and one sorted pick per percentile (scalar subqueries)."""
    counts = select(*[func.count(hours.c[name]).label(name) for name, _a, _b in STAGES]).cte(
        "stage_counts"
    ).prefix_with("MATERIALIZED")
    columns: list[ColumnElement] = []
    for name, _a, _b in STAGES:
        n = counts.c[name]
        columns.append(select(n).scalar_subquery().label(f"{name}_n"))
        columns += [_nearest_rank(hours.c[name], n, p).label(f"{name}_p{p}") for p in PERCENTILES]
    return columns


def _nearest_rank(column: ColumnElement, n: ColumnElement[int], p: int) -> ColumnElement:
    """Scalar subquery: the value of `column` at nearest rank ceil(p·n/100) among its non-NULL values."""
    rank = (n * p + 99) // 100
    base = select(column).where(column.is_not(None)).limit(1)
    if p <= 50:
        return base.order_by(column).offset(select(rank - 1).scalar_subquery()).scalar_subquery()
    return base.order_by(column.desc()).offset(select(n - rank).scalar_subquery()).scalar_subquery()


def _float(value: object) -> float:
    """A percentile from the driver (Decimal, float or None) as a float, NaN when the stage is empty."""
    return float(value) if value is not None else float("nan")


def _stage_hours(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...], node: NodeFilter | None
) -> CTE:
    """Materialized CTE: one row per intake case, one column of hours per stage (NULL when not reached).

    Read from `sum_cases` for a city, county or township while it is fresh (a township's quarter at 10M
    cases: 34 → 9 ms); otherwise the per-case step instants come from one GROUP BY case over the events
    (conditional MIN per step), already as numbers of hours so that a stage is one subtraction.
    """
    if uses_facts(engine, area):
        f = FACTS
        where = and_(facts_in("reported_day", day_number(period.start), day_number(period.end) + 1),
                     facts_area(area), kind_clause(f, kinds), node.summary_clause(f) if node else true())
        return select(*[f.c[name].label(name) for name, _a, _b in STAGES]).where(where).cte(
            "stage_hours").prefix_with("MATERIALIZED")
    steps = sorted({s for _n, a, b in STAGES for s in (a, b)})
    per_case = (
        select(
            CASES.c.id,
            *[func.min(case((EVENTS.c.step == str(s), hours_since_epoch(engine, EVENTS.c.at)))).label(str(s))
              for s in steps],
        )
        .select_from(CASES.join(EVENTS, EVENTS.c.case_id == CASES.c.id))
        .where(registered_in(area, period, kinds), node_clause(node), EVENTS.c.step.in_([str(s) for s in steps]))
        .group_by(CASES.c.id)  # grouping by the case (not the event) lets SQLite filter cases first
        .cte("per_case")
    )
    return (
        select(*[(per_case.c[str(b)] - per_case.c[str(a)]).label(name) for name, a, b in STAGES])
        .cte("stage_hours")
        .prefix_with("MATERIALIZED")
    )


def escalations(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (), node: NodeFilter | None = None
) -> pd.DataFrame:
    """Escalation across each step of 村级 → 乡镇级 → 县区级 → 市级, from the cases' first and final levels.

    A case first handled at level i and finally at level j > i crossed every step between them.
    Columns: from_level, to_level, escalated (cases that crossed the step), reached (cases handled at
    from_level at some point: first ≤ from ≤ final), share (escalated / intake, percent), rate (escalated /
    reached, percent); NaN when the denominator is 0. Also `intake` (the same on every row).
    """
    if uses_summaries(engine, area):
        rows = flow_rows(area, period, kinds, node)
        stmt = (select(rows.c.first_level, rows.c.final_level, func.sum(rows.c.cases).label("cases"))
                .group_by(rows.c.first_level, rows.c.final_level))
    else:
        stmt = (
            select(CASES.c.first_level, CASES.c.final_level, func.count().label("cases"))
            .where(registered_in(area, period, kinds), node_clause(node))
            .group_by(CASES.c.first_level, CASES.c.final_level)
        )
    with engine.connect() as conn:
        pairs = conn.execute(stmt).all()
    rank = {str(h): i for i, h in enumerate(HANDLING_ORDER)}
    intake = sum(int(p.cases) for p in pairs)
    rows = []
    for i in range(len(HANDLING_ORDER) - 1):
        crossed = sum(int(p.cases) for p in pairs if rank[p.first_level] <= i < rank[p.final_level])
        reached = sum(int(p.cases) for p in pairs if rank[p.first_level] <= i <= rank[p.final_level])
        rows.append({"from_level": str(HANDLING_ORDER[i]), "to_level": str(HANDLING_ORDER[i + 1]),
                     "escalated": crossed, "reached": reached, "intake": intake,
                     "share": _pct(crossed, intake), "rate": _pct(crossed, reached)})
    return pd.DataFrame(rows)


def _pct(part: int, whole: int) -> float:
    """Percent, NaN (not 0) when there is nothing to divide by."""
    return 100.0 * part / whole if whole else float("nan")


def handling_modes(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (), node: NodeFilter | None = None
) -> pd.DataFrame:
    """The intake by handling mode (现场办, 线上办, 提请会办, 提级办理).

    Columns: mode (every mode, in vocabulary order, zeros included), cases, share (percent of the intake,
    NaN when the intake is 0).
    """
    if uses_summaries(engine, area):
        rows = flow_rows(area, period, kinds, node)
        stmt = select(rows.c.mode, func.sum(rows.c.cases)).group_by(rows.c.mode)
    else:
        stmt = (
            select(CASES.c.mode, func.count().label("cases"))
            .where(registered_in(area, period, kinds), node_clause(node))
            .group_by(CASES.c.mode)
        )
    with engine.connect() as conn:
        counts = {m: int(n) for m, n in conn.execute(stmt).all()}
    total = sum(counts.values())
    return pd.DataFrame(
        [{"mode": str(m), "cases": counts.get(str(m), 0), "share": _pct(counts.get(str(m), 0), total)} for m in Mode]
    )


def weekly_flow(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (), node: NodeFilter | None = None
) -> pd.DataFrame:
    """Cases registered and cases closed per week (weeks start on Monday) within the period.

    Intake follows `base.registered_in`, closures `base.closed_in`, both narrowed by `node`; the first and last
    weeks may be partial (only the period's days count).
    Columns: week (date of its Monday, every week of the period, zeros included), days (how many of the
    period's days fall in that week: 7 except perhaps at the ends), intake, closed.
    """
    if uses_summaries(engine, area):
        got_in, got_out = _weekly_summary(engine, area, period, kinds, node)
    else:
        reg_week = bucket_start(engine, CASES.c.reported_at, Grain.WEEK).label("week")
        close_week = bucket_start(engine, CASES.c.closed_at, Grain.WEEK).label("week")
        intake = select(reg_week, func.count().label("n")).where(registered_in(area, period, kinds),
                                                                 node_clause(node))
        closed = select(close_week, func.count().label("n")).where(closed_in(area, period, kinds),
                                                                   node_clause(node))
        with engine.connect() as conn:
            got_in = _by_date(conn.execute(intake.group_by(reg_week)).all())
            got_out = _by_date(conn.execute(closed.group_by(close_week)).all())
    weeks = week_starts(period)
    days = [(min(w + timedelta(days=6), period.end) - max(w, period.start)).days + 1 for w in weeks]
    return pd.DataFrame({"week": weeks, "days": days, "intake": [got_in.get(w, 0) for w in weeks],
                         "closed": [got_out.get(w, 0) for w in weeks]})


def _weekly_summary(
    engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...], node: NodeFilter | None
) -> tuple[dict[date, int], dict[date, int]]:
    """Registered and closed per week (keyed by Monday) for a city or county.

    Without a node: the daily summary. With one: the weekly node summary for the whole weeks of the period, and
    the cases themselves (`sum_cases`) for the days of the partial weeks at its ends.
    """
    got_in: dict[date, int] = {}
    got_out: dict[date, int] = {}

    def add(day: int, registered: int, closed: int) -> None:
        monday = from_day_number(monday_number(int(day)))
        got_in[monday] = got_in.get(monday, 0) + int(registered)
        got_out[monday] = got_out.get(monday, 0) + int(closed)

    daily = node is None or node.family == NodeFamily.KIND  # a kind node is the daily summary's kind column
    with engine.connect() as conn:
        for day, registered, closed in conn.execute(_weekly_statement(area, period, kinds, node, daily)):
            add(day, registered, closed)
        if not daily:
            for lo, hi in split_weeks(period).edges:
                for column in ("reported_day", "closed_day"):
                    stmt = (select(FACTS.c[column], func.count()).where(
                        facts_in(column, lo, hi), summary_area(FACTS, area), kind_clause(FACTS, kinds),
                        node.summary_clause(FACTS)).group_by(FACTS.c[column]))
                    for day, n in conn.execute(stmt):
                        add(day, n if column == "reported_day" else 0, n if column == "closed_day" else 0)
    return got_in, got_out


def _weekly_statement(
    area: AreaRef, period: Period, kinds: tuple[str, ...], node: NodeFilter | None, daily: bool
) -> Select:
    """(day or week, registered, closed) rows: the daily summary (no node, or a kind node), else the whole
    weeks of the node summary."""
    if daily:
        t = DAILY
        return (select(t.c.day, func.sum(t.c.registered), func.sum(t.c.closed))
                .where(day_range(t, period), summary_area(t, area), kind_clause(t, kinds),
                       t.c.kind == node.code if node else true())
                .group_by(t.c.day))
    t = WEEKLY
    whole = split_weeks(period).whole or (0, 0)
    return (select(t.c.week, func.sum(t.c.registered), func.sum(t.c.closed))
            .where(t.c.node == node.key if node else true(), t.c.week >= whole[0], t.c.week < whole[1],
                   summary_area(t, area), kind_clause(t, kinds))
            .group_by(t.c.week))


def _by_date(rows: list) -> dict[date, int]:
    """{bucket date: count} from rows whose key is a date (PostgreSQL) or an ISO string (SQLite)."""
    return {as_date(k): int(n) for k, n in rows}
