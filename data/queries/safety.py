"""平安指数 questions: the safety index of areas and periods, from weighted indicators (`config/safety_index.json`).

The formula (also in the configuration file): each indicator's value x is scored
s = 100·clamp((x − bad) / (good − bad), 0, 1), and the index is Σ w·s / Σ w over the indicators that have a
value. An indicator's contribution is w·s / Σ w index points, so the contributions add up to the index.
Changing weights, directions or bounds in the file changes the index without touching code.

The indicators reuse the shared definitions: intake (registered in the period), handled (closed in it), open
and overdue at the period's end, red cards issued in it, visit coverage at its end, and the survey's sense of
security (the latest survey value of the area for a period ending within a year before the period's end).

The case counts of a city or a county come from the summary tables (`data.models_summary`: the daily summary,
the township summary with per-case edge days, the standing snapshot), those of a township or anything below from
the case table through its area indexes; both give the same numbers (tests/test_safety_summaries.py).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql.selectable import Subquery

from data.alert_rules import OpsSettings, config_file, read_json
from data.filters import AreaRef, Period, repeat_petition
from data.models import Area, CaseCard
from data.models_ops import GridVisit, KeyPerson
from data.models_strategy import IndicatorValue
from data.queries.backlog import children_of, count_if, month_starts
from data.queries.base import (
    CASES,
    DAILY,
    FACTS,
    RED_CARDS,
    STANDING,
    TOWNSHIP,
    as_date,
    bucket_index,
    day_range,
    facts_in,
    instant,
    month_rows,
    sum_of,
    summary_area,
    summary_child,
    uses_summaries,
)
from data.queries.grids import AREA_CHILD, AREA_SELF, CHILD, coverage_rate, coverage_snapshot
from data.queries.villages import uses_village_summary, village_counts
from data.summaries import day_number, from_day_number, standing_day, summaries_fresh
from data.vocab import RESOLVED_OUTCOMES, CardColor, Kind, Level, Outcome

AREAS = Area.__table__
CARDS = CaseCard.__table__
PERSONS = KeyPerson.__table__
VISITS = GridVisit.__table__
SURVEYS = IndicatorValue.__table__  # the surveyed sense of security is an indicator value
DIRECTIONS = ("lower_better", "higher_better")
SURVEY_LOOKBACK_DAYS = 366


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    unit: str
    direction: str
    weight: float
    good: float
    bad: float


@dataclass(frozen=True)
class SafetyConfig:
    """Indicators with weights, directions and scoring bounds; the survey indicator's code."""

    indicators: tuple[Indicator, ...]
    survey_code: str = "safety_sense"

    def __post_init__(self) -> None:
        if not self.indicators or sum(i.weight for i in self.indicators) <= 0:
            raise ValueError("平安指数至少需要一个权重为正的指标")
        for ind in self.indicators:
            if ind.key not in INDICATOR_KEYS:
                raise ValueError(f"未知指标 {ind.key}（可选: {', '.join(INDICATOR_KEYS)}）")
            if ind.weight < 0 or ind.good == ind.bad or ind.direction not in DIRECTIONS:
                raise ValueError(f"指标 {ind.key}: 权重须非负，good 与 bad 不能相等，direction 为 {'/'.join(DIRECTIONS)}")
            if (ind.good < ind.bad) != (ind.direction == "lower_better"):
                raise ValueError(f"指标 {ind.key}: direction 与 good/bad 的大小关系不一致")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SafetyConfig:
        indicators = tuple(Indicator(d["key"], d["label"], d.get("unit", ""), d["direction"], float(d["weight"]),
                                     float(d["good"]), float(d["bad"])) for d in raw["indicators"])
        return cls(indicators, raw.get("survey", {}).get("indicator_code", "safety_sense"))

    @classmethod
    def load(cls, path: str | Path | None = None) -> SafetyConfig:
        """From `path`, `$SAFETY_INDEX_FILE` or `config/safety_index.json`."""
        return cls.from_dict(read_json(Path(path) if path else config_file("safety_index.json", "SAFETY_INDEX_FILE")))

    def by_key(self) -> dict[str, Indicator]:
        return {i.key: i for i in self.indicators}


INDICATOR_KEYS = ("dispute_rate", "petition_rate", "security_rate", "hazard_rate", "repeat_petition_rate",
                  "resolution_rate", "mediation_rate", "overdue_share", "red_card_rate", "visit_coverage",
                  "sense_of_security")
# Headers for exports (the page shows the configured labels).
INDICATOR_LABELS = {"dispute_rate": "矛盾纠纷万人发案率", "petition_rate": "信访万人发生率", "security_rate": "刑事治安问题万人发生率",
                    "hazard_rate": "风险隐患万人发现率", "repeat_petition_rate": "重复信访率(%)", "resolution_rate": "案件化解率(%)",
                    "mediation_rate": "调解成功率(%)", "overdue_share": "在办案件逾期占比(%)", "red_card_rate": "红牌督办万人数",
                    "visit_coverage": "重点人员走访覆盖率(%)", "sense_of_security": "群众安全感(%)"}
RATE_KINDS = {"dispute_rate": Kind.DISPUTE, "petition_rate": Kind.PETITION, "security_rate": Kind.SECURITY,
              "hazard_rate": Kind.HAZARD}


# --- the formula (pure) ---


def score(value: float, ind: Indicator) -> float:
    """0–100: 100 at or beyond the good value, 0 at or beyond the bad one, linear between; NaN without value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    return 100.0 * min(max((value - ind.bad) / (ind.good - ind.bad), 0.0), 1.0)


def index_scores(values: pd.DataFrame, config: SafetyConfig) -> pd.DataFrame:
    """Add score_<key>, points_<key> (contribution in index points) and index to a frame of indicator values.

    `values` has one column per indicator key (NaN where there is no value); rows are areas or periods.
    Indicators without a value are left out and the others share the weight, row by row.
    """
    inds = config.indicators
    vals = np.column_stack([values[i.key].to_numpy(dtype=float) for i in inds]) if len(values) else np.zeros((0, len(inds)))
    good, bad = np.array([i.good for i in inds], dtype=float), np.array([i.bad for i in inds], dtype=float)
    weights = np.where(np.isnan(vals), 0.0, np.array([i.weight for i in inds], dtype=float))
    total = weights.sum(axis=1)
    share = np.where(total > 0, total, np.nan)[:, None]
    scores = 100.0 * np.clip((vals - bad) / (good - bad), 0.0, 1.0)  # the vectorised `score`: NaN stays NaN
    points = weights * np.nan_to_num(scores, nan=0.0) / share
    added = {}
    for j, ind in enumerate(inds):
        added[f"score_{ind.key}"] = scores[:, j]
        added[f"points_{ind.key}"] = points[:, j]
    added["index"] = np.where(total > 0, np.clip(points.sum(axis=1), 0.0, 100.0), np.nan)
    # One concat instead of a column insert per indicator: 22 inserts cost ~10 ms per call.
    return pd.concat([values, pd.DataFrame(added, index=values.index)], axis=1)


# --- indicator values from the data ---
# Everything is computed for a list of contiguous slices of time at once (the months of a trend, the previous
# and current period, or just one period), grouped by child area or not, with one scan per kind of count.


def _slice_index(column, slices: list[Period]):
    return bucket_index(column, [s.lo for s in slices])


def _key_cols(area: AreaRef, by_child: bool) -> list:
    return [CASES.c[CHILD[area.level]].label("k")] if by_child else []


def _first(stmt, name: str):
    """Filter first, aggregate after: without MATERIALIZED, SQLite walks a GROUP BY index row by row."""
    return stmt.cte(name).prefix_with("MATERIALIZED")


def _grouped_rows(engine: Engine, inner, by_child: bool, extra: list) -> list[tuple]:
    """Group a filtered CTE (columns k?, b, …) by key and slice; PostgreSQL needs the grouping on its columns."""
    keys = [inner.c.k] if by_child else []
    stmt = select(*keys, inner.c.b, *extra).group_by(*keys, inner.c.b)
    with engine.connect() as conn:
        return [tuple(r) if by_child else ("", *tuple(r)) for r in conn.execute(stmt).all()]


def _case_counts(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> dict:
    """Every count the indicators need, per (child key or '', slice index): {name: count}.

    Names: reg_<kind> (registered), repeat (petitions registered with repeat visits), closed, resolved (化解),
    disputes_closed, mediated (disputes closed with success), open and overdue at the slice's end, red (red
    cards issued in the slice, by the case's area). A city or county reads the summaries, anything below (or
    stale summaries) the case table; the two give the same numbers.
    """
    if uses_summaries(engine, area):
        return _counts_from_summaries(engine, area, slices, by_child)
    if uses_village_summary(engine, area):
        return _counts_from_villages(engine, area, slices, by_child)
    return _counts_from_cases(engine, area, slices, by_child)


def _counts_from_villages(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> dict:
    """_case_counts for a township from the village summary: per village, or added up for the township."""
    found = village_counts(engine, area, slices)
    if by_child:
        return found
    out: dict = {}
    for (_, i), c in found.items():
        out.setdefault(("", i), Counter()).update(c)
    return out


def _counts_from_cases(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> dict:
    """_case_counts from the case table: one scan of the cases, one of the red cards."""
    out = _scan_cases(engine, area, slices, by_child)
    for key, n in _red_cards(engine, area, slices, by_child).items():
        out.setdefault(key, Counter())["red"] += n
    return out


def _scan_cases(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> dict:
    """Every count but the red cards from the cases, for each slice, from one scan.

    Each case's registration, closure and due instants are bucketed by the slices (0 before them, i+1 inside
    slice i, n+1 after them; never closed: n+2), and the buckets counted with the case's kind and outcome:
    registered in slice i = rb i+1; closed in it = cb i+1; open at its end = registered before the end and not
    closed before it; overdue then = also due before it. Returns {(key, i): {name: count}}. Bounds are compared
    as instants (`instant`), so that a case closed at exactly midnight belongs to that day, as in the summaries.
    """
    n = len(slices)
    edges = [datetime(1900, 1, 1), *[s.lo for s in slices], slices[-1].hi]
    outcome = case((CASES.c.outcome == str(Outcome.SUCCESS), "m"), (CASES.c.outcome.in_(RESOLVED_OUTCOMES), "r"), else_="o")
    repeat = repeat_petition(CASES)
    cand = _first(select(*_key_cols(area, by_child), bucket_index(CASES.c.reported_at, edges).label("rb"),
                         case((CASES.c.closed_at.is_(None), literal(n + 2)), else_=bucket_index(CASES.c.closed_at, edges))
                         .label("cb"), bucket_index(CASES.c.due_at, edges).label("db"), CASES.c.kind,
                         outcome.label("oc"), repeat.label("rep"))
                  .where(CASES.c.reported_at < instant(slices[-1].hi), area.clause(CASES),
                         CASES.c.closed_at.is_(None) | (CASES.c.closed_at >= instant(slices[0].lo))), "cases_cut")
    cols = [cand.c.rb, cand.c.cb, cand.c.db, cand.c.kind, cand.c.oc, cand.c.rep]
    keys = [cand.c.k] if by_child else []
    stmt = select(*keys, *cols, func.count()).group_by(*keys, *cols)
    with engine.connect() as conn:
        rows = [tuple(r) if by_child else ("", *tuple(r)) for r in conn.execute(stmt).all()]
    out: dict = {}
    for k, rb, cb, db, kind, oc, rep, count in rows:
        rb, cb, db, count = int(rb), int(cb), int(db), int(count)
        if 1 <= rb <= n:
            c = out.setdefault((k, rb - 1), Counter())
            c[f"reg_{kind}"] += count
            c["repeat"] += count * int(rep)
        if 1 <= cb <= n:
            c = out.setdefault((k, cb - 1), Counter())
            c["closed"] += count
            c["resolved"] += count if oc in ("m", "r") else 0
            if kind == str(Kind.DISPUTE):
                c["disputes_closed"] += count
                c["mediated"] += count if oc == "m" else 0
        for i in range(max(rb - 1, 0), min(cb - 1, n)):  # registered before end i (rb ≤ i+1), not closed (cb > i+1)
            c = out.setdefault((k, i), Counter())
            c["open"] += count
            c["overdue"] += count if db <= i + 1 else 0
    return out


def _red_cards(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> dict[tuple[str, int], int]:
    """Red cards issued in each slice, by the case's area: {(key, i): count}.

    With fresh summaries, from sum_red_cards (the area's own index of red cards by issue time); else the cards
    joined to the area's cases."""
    lo, hi = slices[0].lo, slices[-1].hi
    if summaries_fresh(engine):
        r = RED_CARDS.c
        keys = [r[CHILD[area.level]].label("k")] if by_child else []
        inner = _first(select(*keys, _slice_index(r.issued_at, slices).label("b")).where(
            area.clause(RED_CARDS), r.issued_at >= instant(lo), r.issued_at < instant(hi)), "red_cards")
        return {(k, int(b)): int(n) for k, b, n in _grouped_rows(engine, inner, by_child, [func.count()])}
    inner = (select(*_key_cols(area, by_child), _slice_index(CARDS.c.issued_at, slices).label("b"))
             .select_from(CARDS.join(CASES, CASES.c.id == CARDS.c.case_id))
             .where(CARDS.c.color == str(CardColor.RED), CARDS.c.issued_at >= instant(lo),
                    CARDS.c.issued_at < instant(hi), area.clause(CASES)))
    inner = _first(inner, "red_cards")
    return {(k, int(b)): int(n) for k, b, n in _grouped_rows(engine, inner, by_child, [func.count()])}


# --- the same counts from the summaries (a city or a county) ---
# Every slice boundary is a midnight, so day numbers are exact: flows over a slice are the summary rows of its
# days (a city: the daily summary per county; a county's townships: the township summary's whole months and
# per-case rows of the days around them), what stood open at its end is the standing snapshot of that midnight.

FLOW_MEASURES = ("registered", "closed", "resolved", "mediated", "repeat_petitions", "red_cards")


def _counts_from_summaries(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> dict:
    """_case_counts for a city or county from the summary tables: one flow query, one snapshot query."""
    out: dict = {}
    for k, i, kind, registered, closed, resolved, mediated, repeat, red in _summary_flows(engine, area, slices,
                                                                                          by_child):
        c = out.setdefault((k, i), Counter())
        c[f"reg_{kind}"] += registered
        c["closed"] += closed
        c["resolved"] += resolved
        c["red"] += red
        if kind == str(Kind.PETITION):
            c["repeat"] += repeat
        if kind == str(Kind.DISPUTE):
            c["disputes_closed"] += closed
            c["mediated"] += mediated
    for k, i, open_, overdue in _summary_standing(engine, area, slices, by_child):
        c = out.setdefault((k, i), Counter())
        c["open"] += open_
        c["overdue"] += overdue
    return out


def _day_slice(day: ColumnElement[int], starts: list[int]) -> ColumnElement[int]:
    """Index i of the slice a day number falls in (starts[i] ≤ day < starts[i+1]), as a binary-search CASE."""

    def between(lo: int, hi: int) -> ColumnElement[int]:
        if lo == hi:
            return literal(lo, Integer())
        mid = (lo + hi + 1) // 2
        return case((day < starts[mid], between(lo, mid - 1)), else_=between(mid, hi))

    return between(0, len(starts) - 1)


def _summary_flows(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> list[tuple]:
    """(key, slice, kind, *FLOW_MEASURES) summed over each slice's days."""
    if by_child and area.level == Level.COUNTY:
        rows = union_all(*[_township_flows(area, s, i) for i, s in enumerate(slices)]).subquery("flows")
    else:
        rows = _daily_flows(area, slices, by_child)
    keys = [*([rows.c.k] if by_child else []), rows.c.b, rows.c.kind]
    stmt = select(*keys, *[sum_of(rows.c[m]) for m in FLOW_MEASURES]).group_by(*keys)
    with engine.connect() as conn:
        found = [tuple(r) if by_child else ("", *tuple(r)) for r in conn.execute(stmt)]
    return [(k, int(b), kind, *map(int, sums)) for k, b, kind, *sums in found]


def _daily_flows(area: AreaRef, slices: list[Period], by_child: bool) -> Subquery:
    """The daily summary's rows of the slices' days (with a city's county as key k), each with its slice b."""
    t = DAILY
    key = [t.c.county_code.label("k")] if by_child else []
    return (select(*key, _day_slice(t.c.day, [day_number(s.start) for s in slices]).label("b"),
                   t.c.kind, *[t.c[m] for m in FLOW_MEASURES])
            .where(day_range(t, Period(slices[0].start, slices[-1].end)), summary_area(t, area))
            .subquery("flows"))


def _township_flows(area: AreaRef, period: Period, i: int) -> Select:
    """A county's rows per township over one slice (number i): the township summary's whole months, and for
    the days around them one row per case registered or closed then and per red card issued then."""
    t, f = TOWNSHIP, FACTS
    resolved = case((f.c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0)
    mediated = case((f.c.outcome == str(Outcome.SUCCESS), 1), else_=0)
    in_county = f.c.county_code == area.code
    zero, one = literal(0), literal(1)

    def edge(lo: int, hi: int) -> Select:
        at_lo, at_hi = (datetime.combine(from_day_number(d), datetime.min.time()) for d in (lo, hi))
        # The county as an expression: on the bare column SQLite walks the county's cases (a fifth of all)
        # instead of the few days' cards by issue time.
        red = (select(CASES.c.township_code, CASES.c.kind, zero, zero, zero, zero, zero, one)
               .select_from(CARDS.join(CASES, CASES.c.id == CARDS.c.case_id))
               .where(CARDS.c.color == str(CardColor.RED), CARDS.c.issued_at >= instant(at_lo),
                      CARDS.c.issued_at < instant(at_hi), CASES.c.county_code.concat("") == area.code))
        first = [f.c.township_code.label("k"), f.c.kind, one.label("registered"), zero.label("closed"),
                 zero.label("resolved"), zero.label("mediated"), f.c.repeat_petition.label("repeat_petitions"),
                 zero.label("red_cards")]  # named: without whole months this is the union's first part
        return union_all(
            select(*first).where(facts_in("reported_day", lo, hi), in_county),
            select(f.c.township_code, f.c.kind, zero, one, resolved, mediated, zero, zero).where(
                facts_in("closed_day", lo, hi), in_county),
            red,
        ).subquery().select()

    columns = [t.c.township_code.label("k"), t.c.kind, *[t.c[m] for m in FLOW_MEASURES]]
    rows = month_rows(t, columns, period, t.c.county_code == area.code, edge, f"slice{i}")
    return select(rows.c.k, literal(i, Integer()).label("b"), rows.c.kind, *[rows.c[m] for m in FLOW_MEASURES])


def _summary_standing(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool) -> list[tuple]:
    """(key, slice, open, overdue) at each slice's end (a midnight) from the standing snapshot.

    The snapshot's `overdue` is the safety definition: open then and due before that midnight.
    """
    wanted = [day_number(s.end) + 1 for s in slices]
    last = standing_day(engine, max(wanted))  # one meta read: past the last stored day nothing changes
    days = [min(d, last) for d in wanted]
    slices_at: dict[int, list[int]] = {}
    for i, d in enumerate(days):
        slices_at.setdefault(d, []).append(i)
    t = STANDING
    key = [summary_child(t, area)] if by_child else []
    stmt = (select(*key, t.c.day, sum_of(t.c.open), sum_of(t.c.overdue))
            .where(t.c.day.in_(sorted(slices_at)), summary_area(t, area)).group_by(*key, t.c.day))
    with engine.connect() as conn:
        found = [tuple(r) if by_child else ("", *tuple(r)) for r in conn.execute(stmt)]
    return [(k, i, int(o), int(late)) for k, day, o, late in found for i in slices_at[int(day)]]


def _population(engine: Engine, area: AreaRef, by_child: bool) -> dict[str, int]:
    col = AREAS.c[AREA_CHILD[area.level]]
    stmt = select(*([col] if by_child else []), func.coalesce(func.sum(AREAS.c.population), 0)).where(
        AREAS.c.level == str(Level.GRID), area.clause(AREAS, AREA_SELF))
    if by_child:
        stmt = stmt.group_by(col)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {r[0]: int(r[1]) for r in rows} if by_child else {"": int(rows[0][0])}


def _coverage(engine: Engine, area: AreaRef, slices: list[Period], by_child: bool, settings: OpsSettings) -> dict:
    """Visit coverage at the end of each slice (same definition as `grids.visit_coverage`: a person under
    supervision then is on time when visited within the group's frequency before it): from the daily snapshot
    (`grids.coverage_snapshot`) when it can answer, else in one query."""
    snap = coverage_snapshot(engine, area, [s.hi for s in slices], settings, CHILD[area.level] if by_child else None)
    if snap is not None:
        return {key: float(coverage_rate(due, on_time)) for key, (due, on_time) in snap.items()}
    groups = list(settings.visit_days)
    instants = union_all(*[select(literal(i).label("i"), instant(s.hi).label("t"),
                                  *[instant(s.hi - timedelta(days=int(settings.visit_days[g]))).label(f"th{j}")
                                    for j, g in enumerate(groups)]) for i, s in enumerate(slices)]).subquery("inst")
    threshold = case(*[(PERSONS.c.key_group == g, instants.c[f"th{j}"]) for j, g in enumerate(groups)],
                     else_=instants.c.t)
    visited = (select(VISITS.c.id).where(VISITS.c.person_id == PERSONS.c.id, VISITS.c.at < instants.c.t,
                                         VISITS.c.at >= threshold).exists())
    keys = [PERSONS.c[CHILD[area.level]]] if by_child else []
    stmt = (select(*keys, instants.c.i, func.count(), count_if(visited))
            .select_from(PERSONS.join(instants, and_(PERSONS.c.since < instants.c.t,
                                                     PERSONS.c.until.is_(None) | (PERSONS.c.until >= instants.c.t))))
            .where(area.clause(PERSONS)).group_by(*keys, instants.c.i))
    with engine.connect() as conn:
        rows = [tuple(r) if by_child else ("", *tuple(r)) for r in conn.execute(stmt).all()]
    return {(k, int(i)): float(coverage_rate(int(due), int(on_time))) for k, i, due, on_time in rows}


def _survey(engine: Engine, codes: dict[str, str], slices: list[Period], code: str) -> dict:
    """Per (key, slice): the latest survey value of the area whose period ended within a year before the
    slice's end (`codes` maps keys to area codes)."""
    if not codes:
        return {}
    lo = slices[0].end - timedelta(days=SURVEY_LOOKBACK_DAYS)
    v = SURVEYS
    stmt = (select(v.c.area_code, v.c.value, v.c.period_end)
            .where(v.c.indicator_code == code, v.c.period_end >= lo, v.c.period_end <= slices[-1].end,
                   v.c.area_code.in_(list(codes.values())))
            .order_by(v.c.period_end, v.c.id))
    with engine.connect() as conn:
        rows = [(a, float(value), as_date(end)) for a, value, end in conn.execute(stmt).all()]
    key_of = {c: k for k, c in codes.items()}
    out = {}
    for i, s in enumerate(slices):
        for area_code, value, end in rows:  # ordered by period end: the latest one wins
            if s.end - timedelta(days=SURVEY_LOOKBACK_DAYS) <= end <= s.end:
                out[(key_of[area_code], i)] = value
    return out


def _ratio(num: float, den: float, scale: float = 100.0) -> float:
    return scale * num / den if den else float("nan")


def indicator_table(engine: Engine, area: AreaRef, slices: list[Period], settings: OpsSettings,
                    config: SafetyConfig, by_child: bool) -> pd.DataFrame:
    """Indicator values for each contiguous slice of time, per child area or for the area itself.

    Columns: slice (index into `slices`), code, name, the indicator keys (NaN without a value), population,
    intake, closed, open_end.
    """
    frame = children_of(engine, area) if by_child else pd.DataFrame({"code": [area.code], "name": [area.name]})
    keys = list(frame["code"]) if by_child else [""]
    counts = _case_counts(engine, area, slices, by_child)
    cov, pop = _coverage(engine, area, slices, by_child, settings), _population(engine, area, by_child)
    survey = _survey(engine, dict(zip(keys, frame["code"], strict=True)), slices, config.survey_code)
    rows = []
    for i, s in enumerate(slices):
        for key, code, name in zip(keys, frame["code"], frame["name"], strict=True):
            c = counts.get((key, i), Counter())
            people = pop.get(key, 0)
            per_10k = (1e4 / people / (s.days / 365.0)) if people else float("nan")
            row = {"slice": i, "code": code, "name": name,
                   **{k: c[f"reg_{kind}"] * per_10k for k, kind in RATE_KINDS.items()}}
            row.update(repeat_petition_rate=_ratio(c["repeat"], c[f"reg_{Kind.PETITION}"]),
                       resolution_rate=_ratio(c["resolved"], c["closed"]),
                       mediation_rate=_ratio(c["mediated"], c["disputes_closed"]),
                       overdue_share=_ratio(c["overdue"], c["open"]),
                       red_card_rate=c["red"] * per_10k,
                       visit_coverage=cov.get((key, i), float("nan")),
                       sense_of_security=survey.get((key, i), float("nan")), population=people,
                       intake=sum(c[f"reg_{kind}"] for kind in RATE_KINDS.values()), closed=c["closed"],
                       open_end=c["open"])
            rows.append(row)
    return pd.DataFrame(rows)


def indicator_values(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings, config: SafetyConfig,
                     by_child: bool = True) -> pd.DataFrame:
    """Every indicator's value for each child of the area (or for the area itself) over one period."""
    return indicator_table(engine, area, [period], settings, config, by_child).drop(columns="slice")


def safety_by_child(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings,
                    config: SafetyConfig) -> pd.DataFrame:
    """The index of each child area for the period, best first (map and ranking).

    Columns: code, name, index, the indicator values, score_<key>, points_<key>, population, intake.
    """
    scored = index_scores(indicator_values(engine, area, period, settings, config), config)
    return scored.sort_values(["index", "code"], ascending=[False, True], na_position="last", kind="stable").reset_index(
        drop=True)


def previous_period(period: Period) -> Period:
    """The period of the same length just before."""
    return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))


def safety_breakdown(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings,
                     config: SafetyConfig) -> pd.DataFrame:
    """How each indicator contributed to the area's index, now and in the previous period of the same length.

    Columns: key, label, unit, weight, value, score, points, prev_value, prev_points, change (points − prev).
    The points of all rows add up to the index (the `index` attribute of the frame's attrs; `prev_index` too).
    """
    both = index_scores(indicator_table(engine, area, [previous_period(period), period], settings, config, False),
                        config)
    before, now = both.iloc[0], both.iloc[1]
    rows = [{"key": i.key, "label": i.label, "unit": i.unit, "weight": i.weight, "value": now[i.key],
             "score": now[f"score_{i.key}"], "points": now[f"points_{i.key}"], "prev_value": before[i.key],
             "prev_points": before[f"points_{i.key}"]} for i in config.indicators]
    frame = pd.DataFrame(rows)
    frame["change"] = frame["points"] - frame["prev_points"]
    frame.attrs["index"] = float(now["index"])
    frame.attrs["prev_index"] = float(before["index"])
    return frame


def safety_trend(engine: Engine, area: AreaRef, period: Period, settings: OpsSettings,
                 config: SafetyConfig) -> pd.DataFrame:
    """The area's index month by month over the period (each month as its own period, clipped to the period).

    Columns: month (first day), index.
    """
    scored = index_scores(indicator_table(engine, area, month_slices(period), settings, config, by_child=False),
                          config)
    return pd.DataFrame({"month": month_starts(period), "index": scored["index"].astype(float).to_numpy()})


def month_slices(period: Period) -> list[Period]:
    """The months touching the period, each clipped to it (the trend's slices)."""
    return [Period(max(m, period.start), min((m.replace(day=28) + timedelta(days=4)).replace(day=1)
                                             - timedelta(days=1), period.end)) for m in month_starts(period)]


def safety_index(engine: Engine, area: AreaRef, period: Period) -> float:
    """The index of the area for the period with the configured weights (the `stats` key safety_index)."""
    config, settings = SafetyConfig.load(), OpsSettings.load()
    values = indicator_values(engine, area, period, settings, config, by_child=False)
    return float(index_scores(values, config)["index"].iloc[0])
