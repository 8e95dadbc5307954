"""The raw-SQL floor of each callback family: the plain GROUP BY over the `cases` table for the same answer.

A floor is what the simplest correct SQL costs for the question a chart or tile set answers, with no summary
table, cache, pandas or figure: the callback's server time is compared with it (targets: p95 ≤ 150 ms and
≤ 1.5 × the floor). The app may beat a floor (it reads summary tables for cities and counties).

Floors are keyed by a callback's output ids (`FLOOR_OF`); a callback answering from other tables only
(indicators, plans, opinion, warnings, grid work, static structure, page chrome) has none and prints "—".
Each floor is a list of statements run one after another on one connection; the floor is their total time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from data.filters import AreaRef, Period
from data.queries.base import CHILD_COLUMN
from data.vocab import Level

LEVEL_COLUMN = {Level.COUNTY: "county_code", Level.TOWNSHIP: "township_code", Level.VILLAGE: "village_code",
                Level.GRID: "grid_code"}
RESOLVED = "('mediated', 'resolved')"


@dataclass(frozen=True)
class View:
    """What a floor is asked: an area, a period and kinds, on one SQL dialect."""

    dialect: str
    area: AreaRef
    period: Period
    kinds: tuple[str, ...] = ()

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def child(self) -> str:
        return CHILD_COLUMN.get(self.area.level, "grid_code")

    def where(self, alias: str = "", kinds: bool = True) -> str:
        """The area (and kinds) condition on the case table."""
        a = f"{alias}." if alias else ""
        parts = ["1 = 1"] if self.area.level == Level.CITY else [f"{a}{LEVEL_COLUMN[self.area.level]} = :area"]
        if kinds and self.kinds:
            parts.append(f"{a}kind IN ({', '.join(f':k{i}' for i in range(len(self.kinds)))})")
        return " AND ".join(parts)

    def params(self, **extra: datetime) -> dict:
        p = self.period
        values: dict = {"area": self.area.code, "lo": p.lo, "hi": p.hi, "day_lo": p.hi - timedelta(days=1),
                        "prev_lo": p.year_before().lo, "prev_hi": p.year_before().hi,
                        "pp_lo": p.lo - timedelta(days=p.days), "pp_hi": p.lo,
                        "soon48": p.hi + timedelta(hours=48), "soon24": p.hi + timedelta(hours=24),
                        "m12_lo": _twelve_months_before(p), **{f"k{i}": k for i, k in enumerate(self.kinds)}, **extra}
        if not self.pg:  # SQLite stores 'YYYY-MM-DD HH:MM:SS' text and compares it as text
            values = {k: v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v for k, v in values.items()}
        return values

    def ts(self, name: str) -> str:
        return f"CAST(:{name} AS timestamp)" if self.pg else f":{name}"

    def month(self, col: str) -> str:
        return f"date_trunc('month', {col})" if self.pg else f"strftime('%Y-%m', {col})"

    def week(self, col: str) -> str:
        return f"date_trunc('week', {col})" if self.pg else f"date({col}, 'weekday 0', '-6 days')"

    def hours(self, start: str, end: str) -> str:
        if self.pg:
            return f"EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0"
        return f"(julianday({end}) - julianday({start})) * 24.0"


def _twelve_months_before(period: Period) -> datetime:
    """The first day of the 12-month window ending with the period's last month (as the screen's trend)."""
    year, month = period.end.year, period.end.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1)


def _n(cond: str) -> str:
    return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"


# --- the shared conditions, written plainly -------------------------------------------------------------


def registered(v: View, a: str = "") -> str:
    p = f"{a}." if a else ""
    return f"{p}reported_at >= {v.ts('lo')} AND {p}reported_at < {v.ts('hi')}"


def closed(v: View) -> str:
    return f"closed_at >= {v.ts('lo')} AND closed_at < {v.ts('hi')}"


def open_at_end(v: View) -> str:
    return f"reported_at < {v.ts('hi')} AND (closed_at IS NULL OR closed_at >= {v.ts('hi')})"


def overdue_at_end(v: View) -> str:
    return f"{open_at_end(v)} AND due_at < {v.ts('hi')}"


def flows_and_standing(v: View, keys: list[str], today: bool = False, kinds: bool = True, lo: str = "lo",
                       hi: str = "hi") -> str:
    """One pass: intake, closed, resolved, disputes handled and mediated in the period; open, overdue and red
    cards at its end — grouped by `keys` (the cases that matter: registered by the end, not closed before it).
    `lo`/`hi` name the period's bounds among the parameters."""
    cols = ", ".join(keys)
    lo, hi = v.ts(lo), v.ts(hi)
    closed_in = f"closed_at >= {lo} AND closed_at < {hi}"
    standing = f"(closed_at IS NULL OR closed_at >= {hi})"
    sums = [_n(f"reported_at >= {lo}"), _n(closed_in), _n(f"{closed_in} AND outcome IN {RESOLVED}"),
            _n(f"{closed_in} AND kind = 'dispute'"), _n(f"{closed_in} AND kind = 'dispute' AND outcome = 'mediated'"),
            _n(standing), _n(f"{standing} AND due_at < {hi}"), _n(f"{standing} AND card = 'red'")]
    if today:
        sums.append(_n(f"reported_at >= {v.ts('day_lo')}"))
    return (f"SELECT {cols}, {', '.join(sums)} FROM cases WHERE {v.where(kinds=kinds)} AND reported_at < {hi} "
            f"AND (closed_at IS NULL OR closed_at >= {lo}) GROUP BY {cols}")


# --- one builder per family: View → statements ---------------------------------------------------------

Builder = Callable[[View], list[str]]


def _tiles(v: View) -> list[str]:
    return [flows_and_standing(v, ["kind"], kinds=False)]  # the home tiles ignore the kind filter


def _screen_tiles(v: View) -> list[str]:
    return [flows_and_standing(v, ["kind"], today=True)]


def _by_child(v: View) -> list[str]:
    return [flows_and_standing(v, [v.child])]


def _flow_paths(v: View) -> list[str]:
    outcome = "CASE WHEN status = 'open' THEN 'open' ELSE outcome END"
    return [f"SELECT channel, kind, first_level, final_level, {outcome}, COUNT(*) FROM cases "
            f"WHERE {v.where()} AND {registered(v)} GROUP BY channel, kind, first_level, final_level, {outcome}"]


def _stage_durations(v: View) -> list[str]:
    hours = v.hours("c.reported_at", "e.at")
    return [f"SELECT e.step, COUNT(*), AVG({hours}) FROM case_events e JOIN cases c ON c.id = e.case_id "
            f"WHERE {v.where('c')} AND {registered(v, 'c')} GROUP BY e.step"]


def _level_pairs(v: View) -> list[str]:
    return [f"SELECT first_level, final_level, COUNT(*) FROM cases WHERE {v.where()} AND {registered(v)} "
            "GROUP BY first_level, final_level"]


def _modes(v: View) -> list[str]:
    return [f"SELECT mode, COUNT(*) FROM cases WHERE {v.where()} AND {registered(v)} GROUP BY mode"]


def _weekly_in_out(v: View) -> list[str]:
    rw, cw = v.week("reported_at"), v.week("closed_at")
    return [f"SELECT {rw}, COUNT(*) FROM cases WHERE {v.where()} AND {registered(v)} GROUP BY {rw}",
            f"SELECT {cw}, COUNT(*) FROM cases WHERE {v.where()} AND {closed(v)} GROUP BY {cw}"]


def _resolution_tiles(v: View) -> list[str]:
    lo, hi, prev_lo, prev_hi = v.ts("lo"), v.ts("hi"), v.ts("prev_lo"), v.ts("prev_hi")
    return [f"SELECT kind, outcome, COUNT(*) FROM cases WHERE {v.where()} AND {closed(v)} GROUP BY kind, outcome",
            f"SELECT {_n(f'reported_at >= {lo}')}, COUNT(*) FROM cases WHERE {v.where(kinds=False)} "
            f"AND kind = 'petition' AND is_first_petition = {_true(v)} AND ((reported_at >= {lo} AND reported_at < {hi}) "
            f"OR (reported_at >= {prev_lo} AND reported_at < {prev_hi}))"]


def _true(v: View) -> str:
    return "TRUE" if v.pg else "1"


def _closed_by_outcome(v: View) -> list[str]:
    return [f"SELECT kind, outcome, COUNT(*) FROM cases WHERE {v.where(kinds=False)} AND {closed(v)} "
            "GROUP BY kind, outcome"]


def _rates_by_month(v: View) -> list[str]:
    m = v.month("closed_at")
    return [f"SELECT {m}, kind, COUNT(*), {_n(f'outcome IN {RESOLVED}')} FROM cases "
            f"WHERE {v.where()} AND {closed(v)} GROUP BY {m}, kind"]


def _rates_by_category(v: View) -> list[str]:
    return [f"SELECT kind, category, COUNT(*), {_n(f'outcome IN {RESOLVED}')} FROM cases "
            f"WHERE {v.where()} AND {closed(v)} GROUP BY kind, category"]


def _ranking_yoy(v: View) -> list[str]:
    lo = v.ts("lo")
    now, before = f"closed_at >= {lo}", f"closed_at < {lo}"
    return [f"SELECT {v.child}, {_n(now)}, {_n(f'{now} AND outcome IN {RESOLVED}')}, {_n(before)}, "
            f"{_n(f'{before} AND outcome IN {RESOLVED}')} FROM cases WHERE {v.where()} "
            f"AND (({closed(v)}) OR (closed_at >= {v.ts('prev_lo')} AND closed_at < {v.ts('prev_hi')})) "
            f"GROUP BY {v.child}"]


def _petitions_yoy(v: View) -> list[str]:
    m = v.month("reported_at")
    return [f"SELECT {m}, COUNT(*) FROM cases WHERE {v.where(kinds=False)} AND kind = 'petition' "
            f"AND is_first_petition = {_true(v)} AND ((reported_at >= {v.ts('lo')} AND reported_at < {v.ts('hi')}) "
            f"OR (reported_at >= {v.ts('prev_lo')} AND reported_at < {v.ts('prev_hi')})) GROUP BY {m}"]


def _repeats_yoy(v: View) -> list[str]:
    m = v.month("e.at")
    return [f"SELECT {m}, COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
            f"WHERE e.step = 'repeat_visit' AND {v.where('c')} AND ((e.at >= {v.ts('lo')} AND e.at < {v.ts('hi')}) "
            f"OR (e.at >= {v.ts('prev_lo')} AND e.at < {v.ts('prev_hi')})) GROUP BY {m}"]


def _overdue_by_child(v: View) -> list[str]:
    return [f"SELECT {v.child}, COUNT(*) FROM cases WHERE {v.where()} AND {overdue_at_end(v)} GROUP BY {v.child}"]


def _overdue_by_unit(v: View) -> list[str]:
    return [f"SELECT responsible_unit, COUNT(*) AS n FROM cases WHERE {v.where()} AND {overdue_at_end(v)} "
            "GROUP BY responsible_unit ORDER BY n DESC LIMIT 15"]


def _overdue_aging(v: View) -> list[str]:
    hi = v.ts("hi")
    if v.pg:
        days = f"EXTRACT(EPOCH FROM ({hi} - due_at)) / 86400.0"
    else:
        days = f"julianday({hi}) - julianday(due_at)"
    bucket = f"CASE WHEN {days} <= 3 THEN 0 WHEN {days} <= 7 THEN 1 WHEN {days} <= 15 THEN 2 WHEN {days} <= 30 THEN 3 ELSE 4 END"
    return [f"SELECT {bucket}, COUNT(*) FROM cases WHERE {v.where()} AND {overdue_at_end(v)} GROUP BY {bucket}"]


def _open_by_child_card(v: View) -> list[str]:
    return [f"SELECT {v.child}, card, COUNT(*) FROM cases WHERE {v.where()} AND {open_at_end(v)} "
            f"GROUP BY {v.child}, card"]


def _open_by_child(v: View) -> list[str]:
    return [f"SELECT {v.child}, COUNT(*) FROM cases WHERE {v.where()} AND {open_at_end(v)} GROUP BY {v.child}"]


def _cards_by_week(v: View) -> list[str]:
    w = v.week("k.issued_at")
    return [f"SELECT {w}, k.color, COUNT(*) FROM case_cards k JOIN cases c ON c.id = k.case_id "
            f"WHERE {v.where('c')} AND k.issued_at >= {v.ts('lo')} AND k.issued_at < {v.ts('hi')} GROUP BY {w}, k.color"]


def _standing_tiles(v: View) -> list[str]:
    hi, soon24, soon48 = v.ts("hi"), v.ts("soon24"), v.ts("soon48")
    red = "card = 'red'"
    return [f"SELECT {_n(f'due_at < {hi}')}, {_n(f'due_at < {hi} AND {red}')}, "
            f"{_n(f'due_at >= {hi} AND due_at < {soon24}')}, {_n(f'due_at >= {hi} AND due_at < {soon48}')} "
            f"FROM cases WHERE {v.where()} AND {open_at_end(v)}"]


def _due_soon(v: View) -> list[str]:
    return [f"SELECT id, case_no, due_at FROM cases WHERE {v.where()} AND {open_at_end(v)} "
            f"AND due_at >= {v.ts('hi')} AND due_at < {v.ts('soon48')} ORDER BY due_at LIMIT 8"]


def _overdue_page(v: View) -> list[str]:
    return [f"SELECT COUNT(*) FROM cases WHERE {v.where()} AND {overdue_at_end(v)}",
            f"SELECT id, case_no, kind, category, responsible_unit, due_at, card FROM cases "
            f"WHERE {v.where()} AND {overdue_at_end(v)} ORDER BY due_at LIMIT 20"]


def _intake_12_months(v: View) -> list[str]:
    m = v.month("reported_at")
    return [f"SELECT {m}, kind, COUNT(*) FROM cases WHERE {v.where()} AND reported_at >= {v.ts('m12_lo')} "
            f"AND reported_at < {v.ts('hi')} GROUP BY {m}, kind"]


def _latest_red(v: View) -> list[str]:
    return [f"SELECT k.issued_at, c.case_no, c.township_code, c.responsible_unit FROM case_cards k "
            f"JOIN cases c ON c.id = k.case_id WHERE k.color = 'red' AND k.issued_at < {v.ts('hi')} "
            f"AND {v.where('c')} ORDER BY k.issued_at DESC LIMIT 12"]


def _backlog_board(v: View) -> list[str]:
    return [f"SELECT backlog_origin, backlog_color, {_n(open_at_end(v))}, {_n(closed(v))} FROM cases "
            f"WHERE {v.where(kinds=False)} AND backlog_color IS NOT NULL AND reported_at < {v.ts('hi')} "
            "GROUP BY backlog_origin, backlog_color"]


def _backlog_by_child(v: View) -> list[str]:
    return [f"SELECT {v.child}, backlog_color, {_n(open_at_end(v))}, {_n(closed(v))} FROM cases "
            f"WHERE {v.where(kinds=False)} AND backlog_color IS NOT NULL AND reported_at < {v.ts('hi')} "
            f"GROUP BY {v.child}, backlog_color"]


def _backlog_resolved(v: View) -> list[str]:
    m = v.month("closed_at")
    return [f"SELECT {m}, backlog_color, COUNT(*) FROM cases WHERE {v.where(kinds=False)} AND kind = 'petition' "
            f"AND backlog_color IS NOT NULL AND {closed(v)} GROUP BY {m}, backlog_color"]


def _backlog_list(v: View) -> list[str]:
    rank = "CASE backlog_color WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END"
    return [f"SELECT id, case_no, category, backlog_origin, backlog_color FROM cases WHERE {v.where(kinds=False)} "
            f"AND backlog_color IS NOT NULL AND {open_at_end(v)} ORDER BY {rank}, reported_at LIMIT 200"]


def _safety_children(v: View) -> list[str]:
    return [flows_and_standing(v, [v.child, "kind"], kinds=False)]


def _safety_two_periods(v: View) -> list[str]:
    return [flows_and_standing(v, ["kind"], kinds=False),
            flows_and_standing(v, ["kind"], kinds=False, lo="pp_lo", hi="pp_hi")]


def _safety_months(v: View) -> list[str]:
    """Everything the monthly index needs from the cases, in one GROUP BY: months of registration, closure and
    due date with kind and outcome (open and overdue at each month's end follow from them)."""
    r, c, d = v.month("reported_at"), v.month("closed_at"), v.month("due_at")
    return [f"SELECT {r}, {c}, {d}, kind, outcome, COUNT(*) FROM cases WHERE {v.where(kinds=False)} "
            f"AND reported_at < {v.ts('hi')} AND (closed_at IS NULL OR closed_at >= {v.ts('lo')}) "
            f"GROUP BY {r}, {c}, {d}, kind, outcome"]


FAMILIES: dict[str, tuple[str, Builder]] = {
    "tiles": ("intake, handled, open, red per kind, one pass (all kinds)", _tiles),
    "screen_tiles": ("as tiles, plus the last day's intake", _screen_tiles),
    "by_child": ("intake, handled, overdue, red per child (one pass)", _by_child),
    "safety_children": ("safety index, case part: flows and standing per child and kind", _safety_children),
    "safety_periods": ("safety index, case part: flows and standing per kind, this and the previous period",
                       _safety_two_periods),
    "safety_months": ("safety index, case part: cases per month registered/closed/due, kind, outcome",
                      _safety_months),
    "flow_paths": ("intake per channel, kind, levels, outcome", _flow_paths),
    "stage_hours": ("AVG hours registration→step from case_events", _stage_durations),
    "level_pairs": ("intake per first and final level", _level_pairs),
    "modes": ("intake per handling mode", _modes),
    "weekly_in_out": ("registered and closed per week", _weekly_in_out),
    "resolution_tiles": ("closed per kind/outcome + first petitions yoy", _resolution_tiles),
    "closed_by_outcome": ("closed per kind and outcome (all kinds)", _closed_by_outcome),
    "rates_by_month": ("closed and resolved per month and kind", _rates_by_month),
    "rates_by_category": ("closed and resolved per category", _rates_by_category),
    "ranking_yoy": ("closed and resolved per child, this year and last", _ranking_yoy),
    "petitions_yoy": ("first petitions per month, this year and last", _petitions_yoy),
    "repeats_yoy": ("repeat-visit events per month, this year and last", _repeats_yoy),
    "overdue_by_child": ("overdue at the end per child", _overdue_by_child),
    "overdue_by_unit": ("overdue at the end per unit, top 15", _overdue_by_unit),
    "overdue_aging": ("overdue at the end per days-past-due bucket", _overdue_aging),
    "open_by_child_card": ("open at the end per child and card", _open_by_child_card),
    "open_by_child": ("open at the end per child", _open_by_child),
    "cards_by_week": ("cards issued per week and color", _cards_by_week),
    "standing_tiles": ("overdue, red, due in 24/48 h at the end", _standing_tiles),
    "due_soon": ("open cases falling due within 48 h, first 8", _due_soon),
    "overdue_page": ("overdue count + first page by due date", _overdue_page),
    "intake_12m": ("intake per month and kind, 12 months to the end", _intake_12_months),
    "latest_red": ("latest 12 red cards in the area", _latest_red),
    "backlog_board": ("backlog per origin and color: on board, resolved", _backlog_board),
    "backlog_by_child": ("backlog per child and color", _backlog_by_child),
    "backlog_resolved": ("backlog resolved per month and color", _backlog_resolved),
    "backlog_list": ("backlog on the board, hardest first, 200", _backlog_list),
}

# Output id → floor family (None: no floor). A callback takes the entry of its first output listed here.
FLOOR_OF: dict[str, str | None] = {
    # 总览
    "home-area-label": "tiles",
    # 地图
    "map-graph": "by_child",
    # 案件流转
    "flow-sankey": "flow_paths", "flow-stages": "stage_hours", "flow-escalations": "level_pairs",
    "flow-modes": "modes", "flow-weekly": "weekly_in_out",
    # 化解率
    "resolution-context": "resolution_tiles", "resolution-trend": "rates_by_month",
    "resolution-categories": "rates_by_category", "resolution-ranking": "ranking_yoy",
    "resolution-petitions": "petitions_yoy", "resolution-repeats": "repeats_yoy",
    # 逾期督办
    "overdue-area-label": "standing_tiles", "overdue-by-area": "overdue_by_child", "overdue-aging": "overdue_aging",
    "overdue-by-unit": "overdue_by_unit", "overdue-cards-by-area": "open_by_child_card",
    "overdue-cards-trend": "cards_by_week", "overdue-due-soon-list": "due_soon", "overdue-table": "overdue_page",
    "overdue-timeline-title": None,  # one case's events (it also restyles the table's rows)
    # 大屏
    "screen-area-label": "screen_tiles", "screen-map": "open_by_child", "screen-trend": "intake_12m",
    "screen-flow": "level_pairs", "screen-red-list": "latest_red",
    # 信访积案 (the board's color history and supervision lists have no case-table equivalent)
    "backlog-context": "backlog_board", "backlog-by-origin": "backlog_board", "backlog-by-area": "backlog_by_child",
    "backlog-assessment": "backlog_by_child", "backlog-resolved": "backlog_resolved", "backlog-table": "backlog_list",
    # 平安指数: the index's case counts (coverage and surveys come from other tables)
    "safety-map": "safety_children", "safety-breakdown": "safety_periods", "safety-trend": "safety_months",
    # 治理大屏
    "sops-backlog": "backlog_board",
    # 舆情 beside the case intake; surveyed rates beside rates from closed cases
    "op-vs-cases": "weekly_in_out", "ind-survey": "closed_by_outcome",
}


def family_of(output_ids: list[str]) -> str | None:
    return next((FLOOR_OF[i] for i in output_ids if i in FLOOR_OF), None)


def statements(family: str, view: View) -> list[str]:
    return FAMILIES[family][1](view)


def measure(engine: Engine, family: str, view: View, repeats: int = 5) -> float:
    """Median milliseconds of the family's statements on one connection (each fetched whole), after one warm-up."""
    sqls = [text(s) for s in statements(family, view)]
    params = view.params()
    times = []
    with engine.connect() as conn:
        for i in range(repeats + 1):
            t = time.perf_counter()
            for stmt in sqls:
                conn.execute(stmt, params).all()
            if i:  # the first run only warms the page cache and the plan
                times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
