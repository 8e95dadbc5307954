"""指标与调查 questions: the published indicators of an area, over time, their province ranks, and the survey
beside the case data of the same period.

Indicator values are reported for the city and the counties only (that is how the province publishes them);
a view of a township or below shows its county's values (`value_area`), never a wider area's. Values are not
summed across areas: a county's crime rate is the county's own published figure.

Case-based counterparts of surveyed rates (same definitions as `data.queries.resolution`):
- 案件调解成功率: disputes closed in the period with outcome 调解成功, over disputes closed;
- 纠纷案件化解率: disputes and petitions closed with outcome 调解成功 or 办结化解, over those closed;
- 治安问题办结化解率: public-security problems closed with outcome 调解成功 or 办结化解, over those closed.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select

from data.filters import AreaRef, Period, find_area
from data.models_strategy import CaseMetric, Indicator, IndicatorGroup, IndicatorValue
from data.queries.base import CASES, DAILY, day_range, summary_area, uses_summaries
from data.vocab import RESOLVED_OUTCOMES, Kind, Level, Outcome

VALUES = IndicatorValue.__table__
INDICATORS = Indicator.__table__
# metric → (case kinds, outcomes counted as success)
CASE_METRICS: dict[CaseMetric, tuple[tuple[str, ...], tuple[str, ...]]] = {
    CaseMetric.MEDIATION: ((str(Kind.DISPUTE),), (str(Outcome.SUCCESS),)),
    CaseMetric.DISPUTE_RESOLUTION: ((str(Kind.DISPUTE), str(Kind.PETITION)), RESOLVED_OUTCOMES),
    CaseMetric.SECURITY_RESOLUTION: ((str(Kind.SECURITY),), RESOLVED_OUTCOMES),
}
VALUE_COLUMNS = ["code", "name", "unit", "direction", "category", "source", "indicator_target", "case_metric",
                 "rank_note", "sort_order", "period_type", "period_key", "period_start", "period_end", "value",
                 "target", "province_rank", "rank_total", "rank_group", "tier", "is_demo", "rank_is_demo", "note",
                 "entered_by", "entered_at", "entry_source"]


def value_area_code(area: AreaRef) -> str:
    """The code whose values a view shows: the area itself at city or county level, else its county."""
    if area.level in (Level.CITY, Level.COUNTY):
        return area.code
    return area.code[:6] + "000000"


def value_area(engine: Engine, area: AreaRef) -> AreaRef:
    """The area whose indicator values a view of `area` shows (itself, or its county); see `value_area_code`."""
    code = value_area_code(area)
    return area if code == area.code else (find_area(engine, code) or area)


def indicator_catalog(engine: Engine) -> pd.DataFrame:
    """Every registered indicator in display order.

    Columns: code, name, unit, direction, category, source, target, case_metric, rank_note, sort_order.
    """
    cols = ["code", "name", "unit", "direction", "category", "source", "target", "case_metric", "rank_note",
            "sort_order"]
    stmt = select(*[INDICATORS.c[c] for c in cols]).order_by(INDICATORS.c.sort_order, INDICATORS.c.code)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=cols)


def _values(engine: Engine, area: AreaRef, *where) -> pd.DataFrame:
    """Value rows of one area joined with their indicator (columns VALUE_COLUMNS), oldest period first."""
    ind = [INDICATORS.c[c] for c in ("code", "name", "unit", "direction", "category", "source")]
    stmt = (
        select(*ind, INDICATORS.c.target.label("indicator_target"), INDICATORS.c.case_metric, INDICATORS.c.rank_note,
               INDICATORS.c.sort_order, *[VALUES.c[c] for c in VALUE_COLUMNS[10:]])
        .join(INDICATORS, INDICATORS.c.code == VALUES.c.indicator_code)
        .where(VALUES.c.area_code == value_area_code(area), *where)
        .order_by(INDICATORS.c.sort_order, VALUES.c.period_start)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=VALUE_COLUMNS)
    for col in ("period_start", "period_end"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame.astype({"is_demo": bool, "rank_is_demo": bool})


def latest_values(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Per indicator, its latest value reported for a period ending by the view's end, and what changed.

    Columns: code, name, unit, direction, category, source, target (the row's, else the indicator's),
    period_key, period_type, value, is_demo, previous_key, previous_value, change (value − previous),
    improved (True/False/None by the indicator's direction), province_rank, rank_total, rank_group, rank_key
    (the period of the latest rank), rank_is_demo, tier, tier_key, tier_is_demo (the latest tier and its
    period), note, entered_by, entered_at, entry_source.
    Indicators with no value yet are left out.
    """
    rows = _values(engine, area, VALUES.c.period_end <= period.end)
    out = []
    for _code, part in rows.groupby("code", sort=False):
        out.append(_latest_row(part.reset_index(drop=True)))
    columns = ["code", "name", "unit", "direction", "category", "source", "target", "period_key", "period_type",
               "value", "is_demo", "previous_key", "previous_value", "change", "improved", "province_rank",
               "rank_total", "rank_group", "rank_key", "rank_is_demo", "tier", "tier_key", "tier_is_demo", "note",
               "entered_by", "entered_at", "entry_source"]
    return pd.DataFrame(out, columns=columns)


def _latest_row(part: pd.DataFrame) -> dict:
    """One indicator's latest value, its previous one and its latest rank/tier (rows sorted by period)."""
    last = part.iloc[-1]
    prev = part.iloc[-2] if len(part) > 1 and part.iloc[-2]["period_type"] == last["period_type"] else None
    ranked, tiered = part[part["province_rank"].notna()], part[part["tier"].notna()]
    rank = ranked.iloc[-1] if len(ranked) else None
    tier = tiered.iloc[-1] if len(tiered) else None
    change = float(last["value"] - prev["value"]) if prev is not None else None
    improved = None if change is None or change == 0 else bool((change > 0) == (last["direction"] == "higher_better"))
    target = last["target"] if pd.notna(last["target"]) else last["indicator_target"]
    return {
        "code": last["code"], "name": last["name"], "unit": last["unit"], "direction": last["direction"],
        "category": last["category"], "source": last["source"], "target": None if pd.isna(target) else float(target),
        "period_key": last["period_key"], "period_type": last["period_type"], "value": float(last["value"]),
        "is_demo": bool(last["is_demo"]), "previous_key": None if prev is None else prev["period_key"],
        "previous_value": None if prev is None else float(prev["value"]), "change": change, "improved": improved,
        "province_rank": None if rank is None or pd.isna(rank["province_rank"]) else int(rank["province_rank"]),
        "rank_total": None if rank is None or pd.isna(rank["rank_total"]) else int(rank["rank_total"]),
        "rank_group": None if rank is None else rank["rank_group"],
        "rank_key": None if rank is None else rank["period_key"],
        "rank_is_demo": None if rank is None else bool(rank["rank_is_demo"]),
        "tier": None if tier is None else tier["tier"], "tier_key": None if tier is None else tier["period_key"],
        "tier_is_demo": None if tier is None else bool(tier["rank_is_demo"]), "note": last["note"],
        "entered_by": last["entered_by"], "entered_at": last["entered_at"], "entry_source": last["entry_source"],
    }


def indicator_series(engine: Engine, area: AreaRef, code: str) -> pd.DataFrame:
    """All values of one indicator for the area, oldest first, with the target each period is measured against.

    Columns: period_key, period_type, period_start, period_end, value, target, province_rank, rank_total,
    rank_group, tier, is_demo, rank_is_demo, note, name, unit, direction.
    """
    rows = _values(engine, area, VALUES.c.indicator_code == code)
    rows["target"] = rows["target"].where(rows["target"].notna(), rows["indicator_target"])
    cols = ["period_key", "period_type", "period_start", "period_end", "value", "target", "province_rank",
            "rank_total", "rank_group", "tier", "is_demo", "rank_is_demo", "note", "name", "unit", "direction"]
    return rows[cols].reset_index(drop=True)


def rank_series(engine: Engine, area: AreaRef) -> pd.DataFrame:
    """Every province rank reported for the area, per indicator, oldest first.

    Columns: code, name, rank_note, period_key, period_start, province_rank, rank_total, rank_group,
    rank_is_demo.
    """
    rows = _values(engine, area, VALUES.c.province_rank.is_not(None))
    cols = ["code", "name", "rank_note", "period_key", "period_start", "province_rank", "rank_total", "rank_group",
            "rank_is_demo"]
    frame = rows[cols].reset_index(drop=True)
    return frame.astype({"province_rank": "int64"})


def survey_vs_cases(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Surveyed rates beside the same rate computed from cases, for the survey periods overlapping the view.

    Columns: code, name, case_metric, period_key, period_start, period_end, surveyed, is_demo, tier,
    case_rate (percent, NaN when no case closed), case_success, case_closed.
    Cases are those of the area whose values are shown (`value_area`), closed inside the survey's period.
    """
    rows = _values(engine, area, INDICATORS.c.case_metric.is_not(None), INDICATORS.c.category == str(
        IndicatorGroup.SURVEY), VALUES.c.period_start <= period.end, VALUES.c.period_end >= period.start)
    if rows.empty:
        return pd.DataFrame(columns=["code", "name", "case_metric", "period_key", "period_start", "period_end",
                                     "surveyed", "is_demo", "tier", "case_rate", "case_success", "case_closed"])
    shown = value_area(engine, area)
    windows = sorted({(r.period_key, r.period_start, r.period_end) for r in rows.itertuples()})
    counts = _case_counts(engine, shown, windows)
    out = []
    for r in rows.itertuples():
        success, closed = counts[(CaseMetric(r.case_metric), r.period_key)]
        out.append({"code": r.code, "name": r.name, "case_metric": r.case_metric, "period_key": r.period_key,
                    "period_start": r.period_start, "period_end": r.period_end, "surveyed": float(r.value),
                    "is_demo": bool(r.is_demo), "tier": r.tier,
                    "case_rate": 100.0 * success / closed if closed else float("nan"),
                    "case_success": success, "case_closed": closed})
    return pd.DataFrame(out)


def _case_counts(engine: Engine, area: AreaRef, windows: list) -> dict[tuple[CaseMetric, str], tuple[int, int]]:
    """(successes, closed) per metric and survey period: from the daily summary for a city or a county (the
    only areas whose values are shown), else in one scan of the closed cases of the area."""
    if uses_summaries(engine, area):
        return _daily_counts(engine, area, windows)
    exprs, keys = [], []
    for key, start, end in windows:
        p = Period(start, end)
        inside = and_(CASES.c.closed_at >= p.lo, CASES.c.closed_at < p.hi)
        for metric, (kinds, outcomes) in CASE_METRICS.items():
            of_kind = and_(inside, CASES.c.kind.in_(kinds))
            exprs += [func.coalesce(func.sum(case((and_(of_kind, CASES.c.outcome.in_(outcomes)), 1), else_=0)), 0),
                      func.coalesce(func.sum(case((of_kind, 1), else_=0)), 0)]
            keys.append((metric, key))
    lo = min(Period(s, e).lo for _, s, e in windows)
    hi = max(Period(s, e).hi for _, s, e in windows)
    stmt = select(*exprs).where(CASES.c.kind.in_({k for kinds, _ in CASE_METRICS.values() for k in kinds}),
                                CASES.c.closed_at >= lo, CASES.c.closed_at < hi, area.clause(CASES))
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    return {k: (int(row[2 * i]), int(row[2 * i + 1])) for i, k in enumerate(keys)}


def _daily_counts(engine: Engine, area: AreaRef, windows: list) -> dict[tuple[CaseMetric, str], tuple[int, int]]:
    """`_case_counts` from `sum_daily` (closed, 化解 and mediated per day, county and kind): a few rows per day."""
    out = {}
    with engine.connect() as conn:
        for key, start, end in windows:
            stmt = (select(DAILY.c.kind, func.sum(DAILY.c.closed), func.sum(DAILY.c.resolved), func.sum(DAILY.c.mediated))
                    .where(day_range(DAILY, Period(start, end)), summary_area(DAILY, area)).group_by(DAILY.c.kind))
            by_kind = {k: (int(c or 0), int(r or 0), int(m or 0)) for k, c, r, m in conn.execute(stmt).all()}
            for metric, (kinds, outcomes) in CASE_METRICS.items():
                closed = sum(by_kind.get(k, (0, 0, 0))[0] for k in kinds)
                column = 2 if outcomes == (str(Outcome.SUCCESS),) else 1
                out[(metric, key)] = (sum(by_kind.get(k, (0, 0, 0))[column] for k in kinds), closed)
    return out
