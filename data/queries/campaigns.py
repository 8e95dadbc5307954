"""专项行动 questions: which campaigns ran, what they found and resolved, against their targets and before/after.

A campaign counts the cases registered inside its own window, in its own areas and linked categories (not the
view's period or kinds: the view's period only selects which campaigns are listed). In a view of an area the
campaign's cases are further limited to that area, so a county chief sees the campaign's cases of the county.
- found (排查发现): those cases; closed: those closed by the data's as-of date; resolved (化解办结): closed with
  outcome 调解成功 or 办结化解; rate: resolved / closed;
- before / after: the same number of days just before the start and just after the end (cut at the as-of
  date), with the same areas and categories; per-30-day figures make windows of different length comparable;
- change vs before (较行动前变化): found per day during the campaign against found per day before, in percent.
Reported workloads (manual targets) are figures for the whole campaign: they are shown only to a view that
covers every area of the campaign.

The counts read `sum_category_days` (cases per registration day, township, kind and category, keyed by the
category) whenever the summaries are fresh and the campaign's areas in the view are a city, counties or
townships: a campaign's quarter is a few thousand cells, not every case (a campaign callback at 10M cases:
150–255 → 28–63 ms). A village or a grid in the view reads the case table through its selective index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Table, and_, case, false, func, or_, select

from data.db import as_of_date
from data.filters import AreaRef, Period
from data.models import Area
from data.models_strategy import Campaign, CampaignArea, CampaignCategory, CampaignTarget, TargetMetric
from data.models_summary import SumCategoryDay
from data.queries.base import CASES, FACTS, Grain, as_date, bucket_start
from data.queries.resolution import buckets
from data.summaries import day_number, from_day_number, summaries_fresh
from data.vocab import RESOLVED_OUTCOMES, Level

CELLS = SumCategoryDay.__table__
PHASES = ("before", "during", "after")
PHASE_LABELS = {"before": "行动前", "during": "行动期间", "after": "行动后"}


@dataclass(frozen=True)
class CampaignScope:
    """What one campaign counts, as seen from one view area."""

    id: int
    code: str
    name: str
    start: date
    end: date
    areas: tuple[AreaRef, ...]
    categories: tuple[tuple[str, str], ...]
    covers_all: bool  # the view area contains every area of the campaign

    def parts(self, view: AreaRef) -> list[AreaRef]:
        """The campaign's areas inside the view area (their intersection on a tree)."""
        return [view if a.contains(view.code) else a for a in self.areas
                if a.contains(view.code) or view.contains(a.code)]

    def area_clause(self, view: AreaRef, table: Table = CASES) -> ColumnElement[bool]:
        """Rows of `table` (cases or sum_category_days) inside the campaign's areas and the view's area."""
        parts = [a.clause(table) for a in self.parts(view)]
        return or_(*parts) if parts else false()

    def category_clause(self, table: Table = CASES) -> ColumnElement[bool]:
        return or_(*[and_(table.c.kind == k, table.c.category == c) for k, c in self.categories])


FACT_LEVELS = (Level.CITY, Level.COUNTY, Level.TOWNSHIP)


def _source(engine: Engine, scope: CampaignScope, view: AreaRef) -> Table:
    """sum_category_days when it can answer (fresh, and no village or grid to select), else the case table."""
    if all(a.level in FACT_LEVELS for a in scope.parts(view)) and summaries_fresh(engine):
        return CELLS
    return CASES


def _registered_in(table: Table, window: Period) -> ColumnElement[bool]:
    if table is CELLS:
        return and_(CELLS.c.reported_day >= day_number(window.start), CELLS.c.reported_day < day_number(window.end) + 1)
    return and_(CASES.c.reported_at >= window.lo, CASES.c.reported_at < window.hi)


def _tallies(table: Table) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """(found, closed, resolved) as SQL aggregates: sums of the cells, or counts of the cases."""
    if table is CELLS:
        return func.sum(CELLS.c.found), func.sum(CELLS.c.closed), func.sum(CELLS.c.resolved)
    return (func.count(), func.sum(case((CASES.c.closed_at.is_not(None), 1), else_=0)),
            func.sum(case((CASES.c.outcome.in_(RESOLVED_OUTCOMES), 1), else_=0)))


def _scopes(engine: Engine, view: AreaRef, code: str | None = None) -> list[CampaignScope]:
    """Campaigns (all, or the one with `code`) whose areas overlap the view area, newest first."""
    camps, areas, cats = Campaign.__table__, CampaignArea.__table__, CampaignCategory.__table__
    stmt = select(camps.c.id, camps.c.code, camps.c.name, camps.c.start_date, camps.c.end_date)
    if code is not None:
        stmt = stmt.where(camps.c.code == code)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(camps.c.start_date.desc(), camps.c.id)).all()
        area_rows = conn.execute(select(areas.c.campaign_id, areas.c.area_code, areas.c.level, Area.name)
                                 .join(Area, Area.code == areas.c.area_code)).all()
        cat_rows = conn.execute(select(cats.c.campaign_id, cats.c.kind, cats.c.category).order_by(cats.c.id)).all()
    out = []
    for r in rows:
        mine = tuple(AreaRef(a.area_code, Level(a.level), a.name) for a in area_rows if a.campaign_id == r.id)
        if not any(a.contains(view.code) or view.contains(a.code) for a in mine):
            continue
        out.append(CampaignScope(r.id, r.code, r.name, r.start_date, r.end_date, mine,
                                 tuple((c.kind, c.category) for c in cat_rows if c.campaign_id == r.id),
                                 all(view.contains(a.code) for a in mine)))
    return out


def find_campaign(engine: Engine, view: AreaRef, code: str | None) -> CampaignScope | None:
    """The campaign a URL names if the view may see it, else None."""
    found = _scopes(engine, view, code) if code else []
    return found[0] if found else None


def _counts(engine: Engine, scope: CampaignScope, view: AreaRef, window: Period) -> tuple[int, int, int]:
    """(found, closed, resolved) of the campaign's cases registered in `window`."""
    t = _source(engine, scope, view)
    stmt = select(*(func.coalesce(v, 0) for v in _tallies(t))).where(
        _registered_in(t, window), scope.category_clause(t), scope.area_clause(view, t))
    with engine.connect() as conn:
        found, closed, resolved = conn.execute(stmt).one()
    return int(found), int(closed), int(resolved)


def _overlapping(engine: Engine, area: AreaRef, period: Period) -> list[CampaignScope]:
    """The campaigns the view's area may see whose dates overlap its period, newest first."""
    return [s for s in _scopes(engine, area) if s.start <= period.end and s.end >= period.start]


def campaign_choices(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """The campaigns `campaign_list` lists, in its order, without their case figures: what the charts need to
    know which campaign is selected (three small reads instead of counting every campaign's cases).

    Columns: code, name, start_date, end_date.
    """
    rows = [(s.code, s.name, s.start, s.end) for s in _overlapping(engine, area, period)]
    return pd.DataFrame(rows, columns=["code", "name", "start_date", "end_date"])


def campaign_list(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Campaigns overlapping the view's period and area, newest first, with their case figures in the area.

    Columns: code, name, lead_unit, description, start_date, end_date, is_demo, areas (names), categories,
    found, closed, resolved, rate (percent, NaN when nothing closed), running (still running at the view's end).
    """
    camps = Campaign.__table__
    scopes = _overlapping(engine, area, period)
    with engine.connect() as conn:
        info = {r.code: r for r in conn.execute(select(camps.c.code, camps.c.lead_unit, camps.c.is_demo,
                                                       camps.c.description)).all()}
    out = []
    for s in scopes:
        found, closed, resolved = _counts(engine, s, area, Period(s.start, s.end))
        out.append({"code": s.code, "name": s.name, "lead_unit": info[s.code].lead_unit,
                    "description": info[s.code].description or "", "start_date": s.start,
                    "end_date": s.end, "is_demo": bool(info[s.code].is_demo),
                    "areas": "、".join(a.name for a in s.areas), "categories": "、".join(c for _, c in s.categories),
                    "found": found, "closed": closed, "resolved": resolved,
                    "rate": 100.0 * resolved / closed if closed else float("nan"),
                    "running": s.end >= period.end})
    cols = ["code", "name", "lead_unit", "description", "start_date", "end_date", "is_demo", "areas", "categories",
            "found", "closed", "resolved", "rate", "running"]
    return pd.DataFrame(out, columns=cols)


def data_span(engine: Engine) -> Period:
    """The days the case data covers (first registration to the as-of date): windows are cut to it."""
    fresh = summaries_fresh(engine)  # sum_cases is keyed by registration day: its first row, not a scan
    with engine.connect() as conn:
        first = conn.execute(select(func.min(FACTS.c.reported_day if fresh else CASES.c.reported_at))).scalar_one()
    end = as_of_date(engine) or date.today()
    if first is None:
        return Period(end, end)
    return Period(from_day_number(int(first)) if fresh else as_date(first), end)


def phase_windows(scope: CampaignScope, span: Period) -> dict[str, Period | None]:
    """The before, during and after windows (as long as the campaign; cut to the data's span; None if empty)."""
    days = (scope.end - scope.start).days + 1
    during_end = min(scope.end, span.end)
    before_start = max(scope.start - timedelta(days=days), span.start)
    windows: dict[str, Period | None] = {
        "before": Period(before_start, scope.start - timedelta(days=1)) if before_start < scope.start else None,
        "during": Period(scope.start, during_end) if scope.start <= during_end else None,
        "after": None,
    }
    after_start = scope.end + timedelta(days=1)
    if after_start <= span.end:
        windows["after"] = Period(after_start, min(scope.end + timedelta(days=days), span.end))
    return windows


def before_after(engine: Engine, area: AreaRef, code: str) -> pd.DataFrame:
    """The campaign's figures before, during and after it, in the view's area.

    Columns: phase, label, start, end, days, found, closed, resolved, found_per_30 (found per 30 days),
    rate (percent, NaN when nothing closed). Phases with no days (after a campaign still running) are left out.
    """
    scope = find_campaign(engine, area, code)
    cols = ["phase", "label", "start", "end", "days", "found", "closed", "resolved", "found_per_30", "rate"]
    if scope is None:
        return pd.DataFrame(columns=cols)
    out = []
    for phase, window in phase_windows(scope, data_span(engine)).items():
        if window is None:
            continue
        found, closed, resolved = _counts(engine, scope, area, window)
        out.append({"phase": phase, "label": PHASE_LABELS[phase], "start": window.start, "end": window.end,
                    "days": window.days, "found": found, "closed": closed, "resolved": resolved,
                    "found_per_30": 30.0 * found / window.days,
                    "rate": 100.0 * resolved / closed if closed else float("nan")})
    return pd.DataFrame(out, columns=cols)


def campaign_targets(engine: Engine, area: AreaRef, code: str) -> pd.DataFrame:
    """Each target of the campaign with what was achieved in the view's area.

    Columns: label, metric, unit, target, actual (NaN when not shown to this view), progress (actual / target in
    percent, 0–200; for a reduction target the share of the reduction achieved), met (bool), shown (bool: an
    actual is shown), comparable (bool: the target applies to the view — counts are targets for the whole
    campaign, so they compare only in a view covering all its areas; rates and changes compare anywhere).
    """
    scope = find_campaign(engine, area, code)
    cols = ["label", "metric", "unit", "target", "actual", "progress", "met", "shown", "comparable"]
    if scope is None:
        return pd.DataFrame(columns=cols)
    targets = CampaignTarget.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(targets).where(targets.c.campaign_id == scope.id)
                            .order_by(targets.c.sort_order, targets.c.id)).all()
    phases = before_after(engine, area, code).set_index("phase")
    out = [_target_row(r, phases, scope.covers_all) for r in rows]
    return pd.DataFrame(out, columns=cols)


def _target_row(r, phases: pd.DataFrame, covers_all: bool) -> dict:
    """One target's achievement from the phases' figures (or the reported actual for a workload)."""
    metric = TargetMetric(r.metric)
    during = phases.loc["during"] if "during" in phases.index else None
    actual: float | None = None
    if metric == TargetMetric.MANUAL:
        actual = r.actual if covers_all else None
    elif during is not None:
        if metric == TargetMetric.FOUND:
            actual = float(during["found"])
        elif metric == TargetMetric.RESOLVED:
            actual = float(during["resolved"])
        elif metric == TargetMetric.RATE:
            actual = float(during["rate"])
        elif "before" in phases.index and phases.loc["before", "found_per_30"] > 0:
            before = float(phases.loc["before", "found_per_30"])
            actual = 100.0 * (float(during["found_per_30"]) - before) / before
    shown = actual is not None and not pd.isna(actual)
    comparable = covers_all or metric in (TargetMetric.RATE, TargetMetric.CHANGE)
    judged = shown and comparable
    progress = min(max(100.0 * actual / r.target, 0.0), 200.0) if judged and r.target else float("nan")
    met = bool(judged and (actual <= r.target if r.target < 0 else actual >= r.target))
    return {"label": r.label, "metric": r.metric, "unit": r.unit, "target": float(r.target),
            "actual": float(actual) if shown else float("nan"), "progress": progress, "met": met, "shown": shown,
            "comparable": comparable}


def campaign_timeline(engine: Engine, area: AreaRef, code: str) -> pd.DataFrame:
    """Monthly found and resolved of the campaign's cases from its before-window to its after-window.

    Columns: month (first day), phase, found, resolved.
    """
    scope = find_campaign(engine, area, code)
    cols = ["month", "phase", "found", "resolved"]
    if scope is None:
        return pd.DataFrame(columns=cols)
    windows = {k: v for k, v in phase_windows(scope, data_span(engine)).items() if v is not None}
    span = Period(min(w.start for w in windows.values()), max(w.end for w in windows.values()))
    t = _source(engine, scope, area)
    month = (t.c.reported_month if t is CELLS else bucket_start(engine, CASES.c.reported_at, Grain.MONTH)).label("m")
    found, _closed, resolved = _tallies(t)
    stmt = (select(month, found, func.coalesce(resolved, 0))
            .where(_registered_in(t, span), scope.category_clause(t), scope.area_clause(area, t))
            .group_by(month))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    got = {(from_day_number(int(m)) if t is CELLS else as_date(m)): (int(f), int(r)) for m, f, r in rows}
    out = [{"month": m, "phase": _phase_of(m, scope), "found": got.get(m, (0, 0))[0],
            "resolved": got.get(m, (0, 0))[1]} for m in buckets(span, Grain.MONTH)]
    return pd.DataFrame(out, columns=cols)


def _phase_of(month: date, scope: CampaignScope) -> str:
    """The phase a month belongs to (by its first day, or by the campaign's start within it)."""
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if last < scope.start:
        return "before"
    return "after" if month > scope.end else "during"
