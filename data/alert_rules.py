"""Risk early warning (风险预警): configurable rules, their evaluation over the case data, and the workflow.

The rules are pure functions from small DataFrames to candidate warnings, so they are tested on synthetic
series; `evaluate` feeds them the case data of a time window, and `store` inserts the new ones (a warning's
`dedup_key` names its rule, area and time bucket, so evaluating the same data twice adds nothing). The demo
evaluates the whole history; `evaluate_if_new_data` evaluates the latest weeks whenever the data version
changes (after an import), which is the "real-time" review.

Workflow: issued → assigned (预警交办, to a unit) → acknowledged (签收) → closed (办结, with a note). Every
transition is one conditional UPDATE, so two workers can never both apply one; anything else is refused. A
warning not acknowledged by its deadline escalates one level, like a supervision card.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from data.db import get_meta, set_meta
from data.filters import AreaRef
from data.models import Area, Case, Meta
from data.models_ops import (
    UNACKNOWLEDGED,
    WARNING_LEVEL_ORDER,
    BacklogColorChange,
    CaseParties,
    RiskWarning,
    RiskWarningEvent,
    WarningAction,
    WarningLevel,
    WarningRule,
    WarningStatus,
)
from data.vocab import KIND_LABELS, BacklogColor, BacklogOrigin, Kind

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
WARNINGS = RiskWarning.__table__
EVENTS = RiskWarningEvent.__table__
CASES = Case.__table__
SYSTEM_ACTOR = "系统"
CLUSTER_EPOCH = datetime(2021, 1, 1)
MAX_EVIDENCE_CASES = 20
NOTE_MAX = 200
AREA_COLUMNS = {"county": "county_code", "township": "township_code", "village": "village_code"}
ALERTS_VERSION_KEY = "alerts_version"
# A warning is raised the moment its evidence window closes: one second before its (exclusive) end, so it
# belongs to the day, week and period the evidence belongs to.
RAISE_LAG = timedelta(seconds=1)


def config_file(name: str, env_var: str) -> Path:
    """The configuration file: `$env_var` when set, else `config/<name>` of the checkout."""
    return Path(os.environ.get(env_var) or REPO_CONFIG / name)


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"无法读取配置文件 {path}: {exc}") from exc


# --- configuration ---


@dataclass(frozen=True)
class SurgeRule:
    """Weekly count against the area's own recent baseline (robust z-score)."""

    enabled: bool = True
    area_level: str = "township"
    baseline_weeks: int = 8
    min_count: int = 6
    min_scale: float = 1.0
    z_general: float = 4.0
    z_major: float = 6.0
    z_critical: float = 9.0


@dataclass(frozen=True)
class CountRule:
    """Enough cases in one area and one time bucket: min_cases (一般), major_at (较大), critical_at (重大)."""

    enabled: bool = True
    area_level: str = "village"
    min_cases: int = 3
    major_at: int = 5
    critical_at: int = 8
    categories: tuple[str, ...] = ()
    window_hours: int = 72


@dataclass(frozen=True)
class MassRule:
    enabled: bool = True
    kinds: tuple[str, ...] = ("dispute", "petition")
    min_people: int = 20
    major_at: int = 40
    critical_at: int = 80


@dataclass(frozen=True)
class BacklogRedRule:
    enabled: bool = True
    level: str = "major"
    national_level: str = "critical"


@dataclass(frozen=True)
class KeyDate:
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class AlertRules:
    """Every threshold of the warning rules, from `config/alert_rules.json` (see its notes)."""

    ack_hours: dict[str, float] = field(default_factory=lambda: {"general": 72, "major": 24, "critical": 4})
    surge: SurgeRule = SurgeRule()
    repeat_group: CountRule = CountRule()
    mass_dispute: MassRule = MassRule()
    sensitive: CountRule = CountRule(area_level="county", min_cases=4, major_at=6, critical_at=9)
    cluster: CountRule = CountRule(min_cases=4, major_at=5, critical_at=7)
    backlog_red: BacklogRedRule = BacklogRedRule()
    key_dates: tuple[KeyDate, ...] = ()
    key_date_days_before: int = 3
    key_date_days_after: int = 1

    def __post_init__(self) -> None:
        for level in WARNING_LEVEL_ORDER:
            if float(self.ack_hours.get(str(level), 0)) <= 0:
                raise ValueError(f"ack_hours.{level} 必须为正数（小时）")
        for rule in (self.repeat_group, self.sensitive, self.cluster):
            if rule.area_level not in AREA_COLUMNS or not 0 < rule.min_cases <= rule.major_at <= rule.critical_at:
                raise ValueError("计数规则须满足 0 < min_cases ≤ major_at ≤ critical_at，area_level 为 county/township/village")
        if self.surge.area_level not in AREA_COLUMNS or not self.surge.z_general <= self.surge.z_major <= self.surge.z_critical:
            raise ValueError("surge 规则须满足 z_general ≤ z_major ≤ z_critical")
        if self.surge.baseline_weeks < 3:
            raise ValueError("surge.baseline_weeks 至少为 3")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AlertRules:
        def count_rule(key: str, default: CountRule) -> CountRule:
            values = {**default.__dict__, **raw.get(key, {})}
            values["categories"] = tuple(values.get("categories", ()))
            return CountRule(**{k: v for k, v in values.items() if k in CountRule.__dataclass_fields__})

        base = cls()
        mass = {**base.mass_dispute.__dict__, **raw.get("mass_dispute", {})}
        mass["kinds"] = tuple(mass["kinds"])
        return cls(
            ack_hours={**base.ack_hours, **raw.get("ack_hours", {})},
            surge=SurgeRule(**{**base.surge.__dict__, **raw.get("surge", {})}),
            repeat_group=count_rule("repeat_group", base.repeat_group),
            mass_dispute=MassRule(**mass),
            sensitive=count_rule("sensitive", base.sensitive),
            cluster=count_rule("cluster", base.cluster),
            backlog_red=BacklogRedRule(**{**base.backlog_red.__dict__, **raw.get("backlog_red", {})}),
            key_dates=tuple(KeyDate(d["name"], date.fromisoformat(d["start"]), date.fromisoformat(d["end"]))
                            for d in raw.get("key_dates", [])),
            key_date_days_before=int(raw.get("key_date_days_before", 3)),
            key_date_days_after=int(raw.get("key_date_days_after", 1)),
        )

    @classmethod
    def load(cls, path: str | Path | None = None) -> AlertRules:
        """The rules from `path`, `$ALERT_RULES_FILE` or `config/alert_rules.json`."""
        return cls.from_dict(read_json(Path(path) if path else config_file("alert_rules.json", "ALERT_RULES_FILE")))

    def ack_delta(self, level: str) -> timedelta:
        return timedelta(hours=float(self.ack_hours[str(level)]))


@dataclass(frozen=True)
class OpsSettings:
    """Backlog assessment weights, visit frequency per key group and the silent-grid threshold."""

    backlog_weights: dict[str, float] = field(default_factory=lambda: {"red": 3.0, "yellow": 2.0, "green": 1.0})
    visit_days: dict[str, int] = field(default_factory=lambda: {"released": 30, "correction": 15,
                                                                 "drug_rehab": 30, "group_rental": 60})
    silent_days: int = 30

    def __post_init__(self) -> None:
        if any(float(w) < 0 for w in self.backlog_weights.values()) or not any(self.backlog_weights.values()):
            raise ValueError("backlog_assessment.weights 须为非负数且不全为 0")
        if any(int(d) <= 0 for d in self.visit_days.values()) or self.silent_days <= 0:
            raise ValueError("走访频次与沉默天数须为正整数")

    @classmethod
    def load(cls, path: str | Path | None = None) -> OpsSettings:
        """Settings from `path`, `$OPERATIONS_FILE` or `config/operations.json`."""
        raw = read_json(Path(path) if path else config_file("operations.json", "OPERATIONS_FILE"))
        base = cls()
        return cls(
            backlog_weights={**base.backlog_weights, **raw.get("backlog_assessment", {}).get("weights", {})},
            visit_days={**base.visit_days, **raw.get("visits", {}).get("frequency_days", {})},
            silent_days=int(raw.get("silent_grids", {}).get("days", base.silent_days)),
        )


# --- pure rules ---


@dataclass(frozen=True)
class Candidate:
    """A warning a rule would raise: level, where, the evidence and its window, and its de-duplication key."""

    rule: WarningRule
    level: WarningLevel
    area_code: str
    kind: str | None
    category: str | None
    evidence: dict[str, Any]
    window_start: datetime
    window_end: datetime
    dedup_key: str


def level_for(value: float, general_at: float, major_at: float, critical_at: float) -> WarningLevel | None:
    """The level a measured value reaches; None below the first threshold."""
    if value >= critical_at:
        return WarningLevel.CRITICAL
    if value >= major_at:
        return WarningLevel.MAJOR
    if value >= general_at:
        return WarningLevel.GENERAL
    return None


def robust_z(values: np.ndarray, baseline: np.ndarray, min_scale: float) -> np.ndarray:
    """Robust z-score of each row's value against that row's baseline: (x − median) / max(1.4826·MAD, floor).

    The floor keeps a flat baseline (MAD 0) from turning one extra case into an alarm.
    """
    med = np.median(baseline, axis=1)
    mad = np.median(np.abs(baseline - med[:, None]), axis=1)
    return (values - med) / np.maximum(1.4826 * mad, min_scale)


def week_start(ts: pd.Series) -> pd.Series:
    """The Monday 00:00 of each timestamp's week."""
    return (ts - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.normalize()


def surge_candidates(weekly: pd.DataFrame, rule: SurgeRule, check_from: datetime, hi: datetime) -> list[Candidate]:
    """Surges in a matrix of weekly counts.

    `weekly`: index (area_code, kind), one column per consecutive week start (Timestamp), values = counts
    (zeros included). Weeks starting at or after `check_from` that have a full baseline are checked; a week
    still running at `hi` is checked with the cases so far (its window ends at `hi`).
    """
    out: list[Candidate] = []
    if weekly.empty:
        return out
    matrix = weekly.to_numpy(dtype=float)
    weeks = list(weekly.columns)
    b = rule.baseline_weeks
    for j in range(b, len(weeks)):
        start = pd.Timestamp(weeks[j]).to_pydatetime()
        if start < check_from or start >= hi:
            continue
        x, base = matrix[:, j], matrix[:, j - b : j]
        z = robust_z(x, base, rule.min_scale)
        for i in np.flatnonzero((x >= rule.min_count) & (z >= rule.z_general)):
            level = level_for(float(z[i]), rule.z_general, rule.z_major, rule.z_critical)
            area, kind = weekly.index[i]
            med = float(np.median(base[i]))
            evidence = {"count": int(x[i]), "baseline": [int(v) for v in base[i]], "median": med,
                        "mad": float(np.median(np.abs(base[i] - med))), "z": round(float(z[i]), 2),
                        "baseline_from": (start - timedelta(weeks=b)).date().isoformat()}
            out.append(Candidate(WarningRule.SURGE, level, area, kind, None, evidence, start,
                                 min(start + timedelta(days=7), hi), f"surge:{area}:{kind}:{start:%Y-%m-%d}"))
    return out


def weekly_matrix(cases: pd.DataFrame, area_col: str, lo: datetime, hi: datetime) -> pd.DataFrame:
    """Counts per (area, kind) and week from `lo`'s week to `hi`'s, zeros filled (see `surge_candidates`)."""
    first = week_start(pd.Series([pd.Timestamp(lo)])).iloc[0]
    columns = pd.date_range(first, pd.Timestamp(hi) - pd.Timedelta(seconds=1), freq="7D")
    if cases.empty:
        return pd.DataFrame(columns=columns)
    keyed = cases.assign(week=week_start(cases["reported_at"]))
    counts = keyed.groupby([area_col, "kind", "week"]).size().unstack("week", fill_value=0)
    counts.index.names = ["area_code", "kind"]
    return counts.reindex(columns=columns, fill_value=0)


def bucket_candidates(cases: pd.DataFrame, rule_name: WarningRule, rule: CountRule, area_col: str,
                      key_col: str | None, starts: pd.Series, length: pd.DateOffset | pd.Timedelta,
                      lo: datetime, hi: datetime) -> list[Candidate]:
    """Enough cases of one area (and key) in one time bucket; `starts` gives each case's bucket start."""
    out: list[Candidate] = []
    if cases.empty:
        return out
    keyed = cases.assign(_bucket=starts.to_numpy(), _key=cases[key_col] if key_col else "")
    group = [area_col, "_key", "_bucket"]
    sizes = keyed.groupby(group).size()
    hits = sizes[sizes >= rule.min_cases]
    if hits.empty:
        return out
    keyed = keyed.join(hits.rename("_n"), on=group, how="inner").sort_values("reported_at")
    # Whole-column aggregations rather than one sub-frame per group: a million cases make tens of thousands.
    by = keyed.groupby(group)
    found = pd.DataFrame({"n": by.size(), "kinds": by["kind"].nunique(), "kind": by["kind"].first(skipna=False)})
    found["case_nos"] = keyed[by.cumcount().to_numpy() < MAX_EVIDENCE_CASES].groupby(group)["case_no"].agg(list)
    for (area, key, start), n, kinds, first_kind, case_nos in zip(found.index, found["n"], found["kinds"],
                                                                    found["kind"], found["case_nos"], strict=True):
        start = pd.Timestamp(start).to_pydatetime()
        end = min((pd.Timestamp(start) + length).to_pydatetime(), hi)
        level = level_for(n, rule.min_cases, rule.major_at, rule.critical_at)
        if level is None or end <= lo:
            continue
        evidence = {"count": int(n), "case_nos": list(case_nos)}
        kind = key if key_col == "kind" else (first_kind if kinds == 1 else None)
        category = key if key_col == "category" else None
        out.append(Candidate(rule_name, level, area, kind, category, evidence, start, end,
                             f"{rule_name}:{area}:{key}:{start:%Y-%m-%dT%H}"))
    return out


def month_starts(ts: pd.Series) -> pd.Series:
    return ts.dt.to_period("M").dt.start_time


def block_starts(ts: pd.Series, hours: int) -> pd.Series:
    """Start of each timestamp's block of `hours`, blocks counted from CLUSTER_EPOCH."""
    step = pd.Timedelta(hours=hours)
    return pd.Timestamp(CLUSTER_EPOCH) + ((ts - pd.Timestamp(CLUSTER_EPOCH)) // step) * step


def mass_candidates(rows: pd.DataFrame, rule: MassRule) -> list[Candidate]:
    """One warning per dispute or petition with many people (rows: case_id, case_no, village_code, kind,
    category, reported_at, people)."""
    out = []
    for r in rows.itertuples(index=False):
        level = level_for(r.people, rule.min_people, rule.major_at, rule.critical_at)
        if level is None or r.kind not in rule.kinds:
            continue
        at = pd.Timestamp(r.reported_at).to_pydatetime()
        out.append(Candidate(WarningRule.MASS_DISPUTE, level, r.village_code, r.kind, r.category,
                             {"people": int(r.people), "case_nos": [r.case_no]}, at, at + timedelta(seconds=1),
                             f"mass_dispute:{r.case_id}"))
    return out


def backlog_red_candidates(rows: pd.DataFrame, rule: BacklogRedRule) -> list[Candidate]:
    """One warning per backlog case turning red (rows: change_id, case_no, village_code, category, origin,
    from_color, at)."""
    out = []
    for r in rows.itertuples(index=False):
        level = rule.national_level if r.origin == BacklogOrigin.NATIONAL else rule.level
        at = pd.Timestamp(r.at).to_pydatetime()
        out.append(Candidate(WarningRule.BACKLOG_RED, WarningLevel(level), r.village_code, str(Kind.PETITION),
                             r.category, {"from_color": r.from_color, "origin": r.origin, "case_nos": [r.case_no]},
                             at, at + timedelta(seconds=1), f"backlog_red:{r.change_id}"))
    return out


# --- evaluation over the data ---


def _frame(engine: Engine, stmt, columns: Sequence[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.DataFrame([tuple(r) for r in conn.execute(stmt).all()], columns=list(columns))
    return frame


def _cases_between(engine: Engine, lo: datetime, hi: datetime) -> pd.DataFrame:
    cols = ["id", "case_no", "reported_at", "county_code", "township_code", "village_code", "kind", "category",
            "repeat_visits"]
    stmt = select(*[CASES.c[c] for c in cols]).where(CASES.c.reported_at >= lo, CASES.c.reported_at < hi)
    frame = _frame(engine, stmt, cols)
    frame["reported_at"] = pd.to_datetime(frame["reported_at"])
    return frame


def _mass_rows(engine: Engine, rule: MassRule, lo: datetime, hi: datetime) -> pd.DataFrame:
    parties = CaseParties.__table__
    cols = ["case_id", "case_no", "village_code", "kind", "category", "reported_at", "people"]
    stmt = (select(CASES.c.id, CASES.c.case_no, CASES.c.village_code, CASES.c.kind, CASES.c.category,
                   CASES.c.reported_at, parties.c.people)
            .join(parties, parties.c.case_id == CASES.c.id)
            .where(parties.c.people >= rule.min_people, CASES.c.reported_at >= lo, CASES.c.reported_at < hi,
                   CASES.c.kind.in_(list(rule.kinds))))
    return _frame(engine, stmt, cols)


def _red_rows(engine: Engine, lo: datetime, hi: datetime) -> pd.DataFrame:
    changes = BacklogColorChange.__table__
    cols = ["change_id", "case_no", "village_code", "category", "origin", "from_color", "at"]
    stmt = (select(changes.c.id, CASES.c.case_no, CASES.c.village_code, CASES.c.category, CASES.c.backlog_origin,
                   changes.c.from_color, changes.c.at)
            .join(CASES, CASES.c.id == changes.c.case_id)
            .where(changes.c.to_color == str(BacklogColor.RED), changes.c.from_color.is_not(None),
                   changes.c.at >= lo, changes.c.at < hi))
    return _frame(engine, stmt, cols)


def evaluate(engine: Engine, rules: AlertRules, lo: datetime, hi: datetime,
             data_start: datetime | None = None) -> list[Candidate]:
    """Every candidate whose window ends in (lo, hi], using the data registered before `hi`.

    `data_start` (the first day with data) keeps the surge rule from comparing with weeks before the data
    began, which would look like a surge.
    """
    baseline = timedelta(weeks=rules.surge.baseline_weeks + 1)
    fetch_lo = min(lo - baseline, lo - timedelta(days=32))
    cases = _cases_between(engine, fetch_lo, hi)
    out: list[Candidate] = []
    if rules.surge.enabled:
        col = AREA_COLUMNS[rules.surge.area_level]
        check_from = max(lo, (data_start or fetch_lo) + timedelta(weeks=rules.surge.baseline_weeks))
        check_from = week_start(pd.Series([pd.Timestamp(check_from)])).iloc[0].to_pydatetime()
        weekly = weekly_matrix(cases, col, fetch_lo, hi)
        out += [c for c in surge_candidates(weekly, rules.surge, check_from, hi) if c.window_end > lo]
    petitions = cases[(cases["kind"] == str(Kind.PETITION)) & (cases["repeat_visits"] >= 1)]
    if rules.repeat_group.enabled:
        out += bucket_candidates(petitions, WarningRule.REPEAT_GROUP, rules.repeat_group,
                                 AREA_COLUMNS[rules.repeat_group.area_level], "category",
                                 month_starts(petitions["reported_at"]), pd.DateOffset(months=1), lo, hi)
    sensitive = cases[cases["category"].isin(rules.sensitive.categories)]
    if rules.sensitive.enabled:
        out += bucket_candidates(sensitive, WarningRule.SENSITIVE, rules.sensitive,
                                 AREA_COLUMNS[rules.sensitive.area_level], "category",
                                 week_start(sensitive["reported_at"]), pd.Timedelta(days=7), lo, hi)
    if rules.cluster.enabled:
        out += bucket_candidates(cases, WarningRule.CLUSTER, rules.cluster, AREA_COLUMNS[rules.cluster.area_level],
                                 None, block_starts(cases["reported_at"], rules.cluster.window_hours),
                                 pd.Timedelta(hours=rules.cluster.window_hours), lo, hi)
    if rules.mass_dispute.enabled:
        out += mass_candidates(_mass_rows(engine, rules.mass_dispute, lo, hi), rules.mass_dispute)
    if rules.backlog_red.enabled:
        out += backlog_red_candidates(_red_rows(engine, lo, hi), rules.backlog_red)
    return sorted(out, key=lambda c: (c.window_end, c.dedup_key))


def _area_names(engine: Engine, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Full names ("沭阳县 · 胡集镇 · 某村") and levels of the given area codes and their ancestors."""
    wanted = set(codes)
    ancestors = {c[:6] + "000000" for c in wanted} | {c[:9] + "000" for c in wanted if len(c) >= 12}
    areas = Area.__table__
    names: dict[str, tuple[str, str]] = {}
    with engine.connect() as conn:
        for chunk in _chunks(sorted(wanted | ancestors), 900):
            for code, name, level in conn.execute(select(areas.c.code, areas.c.name, areas.c.level)
                                                  .where(areas.c.code.in_(chunk))):
                names[code] = (name, level)
    return names


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def place_name(code: str, names: dict[str, tuple[str, str]]) -> str:
    """The area's name prefixed by its county (and township for a village): "沭阳县胡集镇某村"."""
    parts = [code[:6] + "000000"]
    if names.get(code, ("", ""))[1] == "village":
        parts.append(code[:9] + "000")
    parts.append(code)
    seen: list[str] = []
    for c in parts:
        if c in names and names[c][0] not in seen:
            seen.append(names[c][0])
    return "".join(seen)


RULE_TITLES = {
    WarningRule.SURGE: "{place}{what}案件激增",
    WarningRule.REPEAT_GROUP: "{place}{what}群体重复信访",
    WarningRule.MASS_DISPUTE: "{place}多人{what}",
    WarningRule.SENSITIVE: "{place}{what}敏感案件集中",
    WarningRule.CLUSTER: "{place}短时间内案件聚集",
    WarningRule.BACKLOG_RED: "{place}信访积案转为红色",
}


def title_of(c: Candidate, names: dict[str, tuple[str, str]]) -> str:
    what = c.category or (KIND_LABELS[Kind(c.kind)] if c.kind else "")
    if c.rule == WarningRule.MASS_DISPUTE:
        what = f"{KIND_LABELS[Kind(c.kind)]}（{c.evidence['people']}人）" if c.kind else "纠纷"
    return RULE_TITLES[c.rule].format(place=place_name(c.area_code, names), what=what)[:120]


def warning_rows(engine: Engine, candidates: list[Candidate], rules: AlertRules) -> pd.DataFrame:
    """Candidates as rows of the warnings table (status issued, deadline from the level)."""
    names = _area_names(engine, {c.area_code for c in candidates})
    rows = []
    for c in candidates:
        code = c.area_code
        level = names.get(code, ("", "village"))[1]
        rows.append({
            "rule": str(c.rule), "level": str(c.level), "base_level": str(c.level), "status": str(WarningStatus.ISSUED),
            "area_code": code, "county_code": code[:6] + "000000",
            "township_code": code[:9] + "000" if level in ("township", "village") else None,
            "village_code": code if level == "village" else None, "grid_code": None,
            "kind": c.kind, "category": c.category, "title": title_of(c, names),
            "evidence": json.dumps(c.evidence, ensure_ascii=False), "window_start": c.window_start,
            "window_end": c.window_end, "raised_at": c.window_end - RAISE_LAG,
            "due_at": c.window_end - RAISE_LAG + rules.ack_delta(c.level),
            "assigned_unit": None, "assigned_at": None, "acknowledged_at": None, "closed_at": None,
            "close_note": None, "dedup_key": c.dedup_key[:120],
        })
    return pd.DataFrame(rows)


def store(engine: Engine, candidates: list[Candidate], rules: AlertRules) -> int:
    """Insert the candidates not stored yet, each with its 'issued' event; returns how many were new.

    A concurrent evaluation by another worker may insert the same keys first: then this one adds nothing.
    """
    if not candidates:
        return 0
    keys = [c.dedup_key[:120] for c in candidates]
    with engine.connect() as conn:
        known = {k for chunk in _chunks(keys, 900)
                 for k in conn.execute(select(WARNINGS.c.dedup_key).where(WARNINGS.c.dedup_key.in_(chunk))).scalars()}
    fresh = [c for c in candidates if c.dedup_key[:120] not in known]
    if not fresh:
        return 0
    rows = warning_rows(engine, fresh, rules).to_dict("records")
    try:
        with engine.begin() as conn:
            for row in rows:
                wid = conn.execute(insert(WARNINGS).values(**row)).inserted_primary_key[0]
                conn.execute(insert(EVENTS).values(warning_id=wid, at=row["raised_at"], action=str(WarningAction.ISSUE),
                                                   actor=SYSTEM_ACTOR, level=row["level"], note=None))
    except IntegrityError:
        return 0
    return len(rows)


def escalate_overdue(engine: Engine, rules: AlertRules, now: datetime) -> int:
    """Raise by one level every unacknowledged warning past its deadline (repeatedly if long overdue).

    The escalation is dated at the deadline it missed; 重大 warnings cannot rise further. Returns the number
    of escalations recorded.
    """
    stmt = select(WARNINGS.c.id, WARNINGS.c.level, WARNINGS.c.due_at).where(
        WARNINGS.c.status.in_([str(s) for s in UNACKNOWLEDGED]), WARNINGS.c.due_at <= now,
        WARNINGS.c.level != str(WarningLevel.CRITICAL))
    done = 0
    with engine.begin() as conn:
        for wid, level, due in conn.execute(stmt).all():
            order = [str(lv) for lv in WARNING_LEVEL_ORDER]
            while due <= now and level != str(WarningLevel.CRITICAL):
                level = order[order.index(level) + 1]
                conn.execute(insert(EVENTS).values(warning_id=wid, at=due, action=str(WarningAction.ESCALATE),
                                                   actor=SYSTEM_ACTOR, level=level, note="逾期未签收，自动升级"))
                due = due + rules.ack_delta(level)
                done += 1
            conn.execute(update(WARNINGS).where(WARNINGS.c.id == wid).values(level=level, due_at=due))
    return done


def as_of_end(engine: Engine) -> datetime | None:
    """The end of the data's as-of day: 'now' for evaluation and escalation."""
    value = get_meta(engine, "as_of")
    return datetime.combine(date.fromisoformat(value) + timedelta(days=1), datetime.min.time()) if value else None


def evaluate_latest(engine: Engine, rules: AlertRules, hi: datetime) -> int:
    """Real-time review: evaluate the weeks and month leading up to `hi`, store new warnings, escalate."""
    lo = min(datetime(hi.year, hi.month, 1) - timedelta(days=1), hi - timedelta(days=14))
    with engine.connect() as conn:
        first = conn.execute(select(func.min(CASES.c.reported_at))).scalar_one()
    added = store(engine, evaluate(engine, rules, lo, hi, first), rules)
    escalate_overdue(engine, rules, hi)
    return added


def evaluate_if_new_data(engine: Engine, rules: AlertRules) -> int:
    """When the data version changed since the last evaluation (an import), evaluate the latest data.

    Cheap when nothing changed (one small read), so the shell's heartbeat can call it.
    """
    with engine.connect() as conn:
        meta = dict(conn.execute(select(Meta.key, Meta.value).where(
            Meta.key.in_(["data_version", ALERTS_VERSION_KEY]))).all())
    version = meta.get("data_version")
    if version is None or meta.get(ALERTS_VERSION_KEY) == version:
        return 0
    hi = as_of_end(engine)
    added = evaluate_latest(engine, rules, hi) if hi else 0
    set_meta(engine, {ALERTS_VERSION_KEY: version})
    return added


# --- workflow ---


class WorkflowError(ValueError):
    """A refused transition, with the reason in Chinese for the user."""


# action → (states it may start from, state it leads to)
TRANSITIONS: dict[WarningAction, tuple[tuple[WarningStatus, ...], WarningStatus]] = {
    WarningAction.ASSIGN: ((WarningStatus.ISSUED, WarningStatus.ASSIGNED), WarningStatus.ASSIGNED),
    WarningAction.ACKNOWLEDGE: ((WarningStatus.ASSIGNED,), WarningStatus.ACKNOWLEDGED),
    WarningAction.CLOSE: ((WarningStatus.ACKNOWLEDGED,), WarningStatus.CLOSED),
}
REFUSALS = {
    WarningAction.ASSIGN: "只有已发布或已交办的预警可以交办",
    WarningAction.ACKNOWLEDGE: "预警须先交办给责任单位，才能签收",
    WarningAction.CLOSE: "预警须先签收，才能办结",
}


def unit_options(engine: Engine, warning_id: int, scope: AreaRef) -> list[str]:
    """The units a warning may be assigned to: the offices of its county and township (empty outside scope)."""
    row = warning_in_scope(engine, warning_id, scope)
    if row is None:
        return []
    names = _area_names(engine, [row["area_code"]])
    county = names.get(row["county_code"], ("",))[0]
    units = [f"{county}{s}" for s in ("政法委", "信访局", "公安局", "司法局", "住建局", "人社局")]
    if row["township_code"]:
        town = names.get(row["township_code"], ("",))[0]
        units = [f"{town}{s}" for s in ("综治中心", "派出所", "司法所")] + units
    return units


def warning_in_scope(engine: Engine, warning_id: int, scope: AreaRef) -> dict[str, Any] | None:
    """The warning's row if it lies inside `scope` (ids come from the browser), else None."""
    with engine.connect() as conn:
        row = conn.execute(select(WARNINGS).where(WARNINGS.c.id == warning_id, scope.clause(WARNINGS))).mappings().first()
    return dict(row) if row else None


def transition(engine: Engine, warning_id: int, action: WarningAction, actor: str, scope: AreaRef,
               now: datetime, unit: str | None = None, note: str | None = None) -> WarningStatus:
    """Apply one workflow step to a warning inside `scope`; raises WorkflowError when it is not allowed.

    The UPDATE itself checks the current state, so a step that another user took a moment earlier is
    refused rather than applied twice.
    """
    if action not in TRANSITIONS:
        raise WorkflowError("不支持的操作")
    if warning_in_scope(engine, warning_id, scope) is None:
        raise WorkflowError("预警不存在或不在本辖区")
    allowed, target = TRANSITIONS[action]
    values: dict[str, Any] = {"status": str(target)}
    if action == WarningAction.ASSIGN:
        if not unit or unit not in unit_options(engine, warning_id, scope):
            raise WorkflowError("请选择该预警所在地区的责任单位")
        values.update(assigned_unit=unit, assigned_at=now)
    elif action == WarningAction.ACKNOWLEDGE:
        values["acknowledged_at"] = now
    else:
        note = (note or "").strip()
        if not note:
            raise WorkflowError("办结须填写处置情况说明")
        values.update(closed_at=now, close_note=note[:NOTE_MAX])
    with engine.begin() as conn:
        done = conn.execute(update(WARNINGS).where(
            WARNINGS.c.id == warning_id, scope.clause(WARNINGS),
            WARNINGS.c.status.in_([str(s) for s in allowed])).values(**values)).rowcount
        if done != 1:
            exists = conn.execute(select(WARNINGS.c.status).where(WARNINGS.c.id == warning_id,
                                                                  scope.clause(WARNINGS))).scalar_one_or_none()
            raise WorkflowError("预警不存在或不在本辖区" if exists is None else REFUSALS[action])
        level = conn.execute(select(WARNINGS.c.level).where(WARNINGS.c.id == warning_id)).scalar_one()
        conn.execute(insert(EVENTS).values(warning_id=warning_id, at=now, action=str(action), actor=actor[:64],
                                           level=level, note=(unit if action == WarningAction.ASSIGN else note)))
    return target


def unacknowledged_critical(engine: Engine, scope: AreaRef) -> pd.DataFrame:
    """重大 warnings inside `scope` not acknowledged yet, newest first (what the banner shows).

    Columns: id, title, raised_at, status.
    """
    stmt = (select(WARNINGS.c.id, WARNINGS.c.title, WARNINGS.c.raised_at, WARNINGS.c.status)
            .where(WARNINGS.c.level == str(WarningLevel.CRITICAL),
                   WARNINGS.c.status.in_([str(s) for s in UNACKNOWLEDGED]), scope.clause(WARNINGS))
            .order_by(WARNINGS.c.raised_at.desc(), WARNINGS.c.id.desc()).limit(5))
    return _frame(engine, stmt, ["id", "title", "raised_at", "status"])


def revision(engine: Engine) -> str:
    """Changes whenever a warning is added or moves: part of the cache key of warning queries.

    Both tables are append-only (a move is a new event; nothing here deletes either), so their newest ids say it
    with two primary-key lookups; a count of the events cost 20 ms per callback at 1M cases.
    """
    with engine.connect() as conn:
        last_event = conn.execute(select(func.max(EVENTS.c.id))).scalar()
        last_warning = conn.execute(select(func.max(WARNINGS.c.id))).scalar()
    return f"{last_warning or 0}-{last_event or 0}"


def in_key_window(day: date, rules: AlertRules) -> KeyDate | None:
    """The key date (重大节点) whose daily-review window contains `day`, if any."""
    for kd in rules.key_dates:
        if kd.start - timedelta(days=rules.key_date_days_before) <= day <= kd.end + timedelta(
                days=rules.key_date_days_after):
            return kd
    return None

