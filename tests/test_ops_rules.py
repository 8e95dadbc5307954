"""Warning rules on synthetic series, the rules' configuration, the safety-index formula on a hand-computed
fixture, and warnings whose evidence must equal the case counts (raw SQL)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from data.alert_rules import (
    RAISE_LAG,
    AlertRules,
    CountRule,
    OpsSettings,
    SurgeRule,
    bucket_candidates,
    evaluate,
    level_for,
    robust_z,
    surge_candidates,
    weekly_matrix,
)
from data.models_ops import WarningLevel, WarningRule
from data.queries import safety as qs

MONDAY = datetime(2023, 1, 2)
RULE = SurgeRule(baseline_weeks=8, min_count=6, min_scale=1.0, z_general=4.0, z_major=6.0, z_critical=9.0)


def weekly(series: list[int], area: str = "321322101000", kind: str = "dispute") -> pd.DataFrame:
    weeks = [pd.Timestamp(MONDAY + timedelta(weeks=i)) for i in range(len(series))]
    return pd.DataFrame([series], index=pd.MultiIndex.from_tuples([(area, kind)], names=["area_code", "kind"]),
                        columns=weeks)


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


# --- the surge rule on synthetic series ---


def test_flat_series_raises_nothing() -> None:
    for level in (0, 3, 10, 40):
        assert surge_candidates(weekly([level] * 20), RULE, MONDAY, MONDAY + timedelta(weeks=20)) == []


def test_noisy_flat_series_raises_nothing() -> None:
    rng = np.random.default_rng(1)
    series = list(rng.poisson(12, 60))
    assert surge_candidates(weekly(series), RULE, MONDAY, MONDAY + timedelta(weeks=60)) == []


def test_a_step_raises_one_warning_with_its_evidence() -> None:
    series = [5, 6, 5, 4, 6, 5, 5, 6, 5, 5, 18, 5, 6]
    got = surge_candidates(weekly(series), RULE, MONDAY, MONDAY + timedelta(weeks=len(series)))
    assert len(got) == 1
    c = got[0]
    assert c.rule == WarningRule.SURGE and c.window_start == MONDAY + timedelta(weeks=10)
    assert c.window_end == c.window_start + timedelta(days=7)
    assert c.evidence["count"] == 18 and c.evidence["baseline"] == series[2:10]
    # baseline 5 4 6 5 5 6 5 5: median 5, deviations 0 1 1 0 0 1 0 0 → MAD 0, so the floor 1.0 scales: z = 13
    assert c.evidence["median"] == 5.0 and c.evidence["mad"] == 0.0 and c.evidence["z"] == 13.0
    assert c.level == WarningLevel.CRITICAL  # z = 13 ≥ 9
    assert c.dedup_key == "surge:321322101000:dispute:2023-03-13"


def test_small_counts_and_moderate_steps() -> None:
    # a jump from 1 to 5 is large relative to the baseline but below the minimum count: no warning
    assert surge_candidates(weekly([1] * 10 + [5]), RULE, MONDAY, MONDAY + timedelta(weeks=11)) == []
    # a step to 10 over a baseline of 4 (z = 6) is 较大
    (c,) = surge_candidates(weekly([4] * 10 + [10]), RULE, MONDAY, MONDAY + timedelta(weeks=11))
    assert c.level == WarningLevel.MAJOR and c.evidence["z"] == 6.0


def test_weeks_without_a_full_baseline_or_before_check_from_are_skipped() -> None:
    series = [5] * 5 + [30] + [5] * 10 + [30]
    got = surge_candidates(weekly(series), RULE, MONDAY + timedelta(weeks=12), MONDAY + timedelta(weeks=17))
    assert [c.window_start for c in got] == [MONDAY + timedelta(weeks=16)]


def test_a_running_week_is_judged_on_the_cases_so_far() -> None:
    hi = MONDAY + timedelta(weeks=10, days=3)
    (c,) = surge_candidates(weekly([5] * 10 + [20]), RULE, MONDAY, hi)
    assert c.window_end == hi


def test_robust_z_floor() -> None:
    base = np.array([[3, 3, 3, 3, 3, 3, 3, 3]])
    assert robust_z(np.array([4.0]), base, 1.0)[0] == 1.0  # one more case than a flat baseline is not a surge
    assert math.isclose(robust_z(np.array([10.0]), np.array([[2, 4, 6, 8, 10, 12, 14, 16]]), 1.0)[0],
                        (10 - 9) / (1.4826 * 4))


def test_weekly_matrix_counts_zero_weeks() -> None:
    cases = pd.DataFrame({"township_code": ["t1", "t1", "t2"], "kind": ["dispute"] * 3,
                          "reported_at": pd.to_datetime(["2023-01-03 10:00", "2023-01-20 09:00", "2023-01-04 08:00"])})
    got = weekly_matrix(cases, "township_code", MONDAY, MONDAY + timedelta(weeks=4))
    assert list(got.columns) == [pd.Timestamp(MONDAY + timedelta(weeks=i)) for i in range(4)]
    assert list(got.loc[("t1", "dispute")]) == [1, 0, 1, 0] and list(got.loc[("t2", "dispute")]) == [1, 0, 0, 0]


def test_bucket_rule_thresholds() -> None:
    rule = CountRule(min_cases=3, major_at=4, critical_at=6)
    times = pd.to_datetime(["2023-03-01 08:00", "2023-03-05 09:00", "2023-03-20 10:00", "2023-04-02 11:00"])
    cases = pd.DataFrame({"village_code": ["v1"] * 4, "category": ["征地拆迁"] * 4, "kind": ["petition"] * 4,
                          "case_no": ["A", "B", "C", "D"], "reported_at": times})
    months = times.to_series().dt.to_period("M").dt.start_time.reset_index(drop=True)
    got = bucket_candidates(cases, WarningRule.REPEAT_GROUP, rule, "village_code", "category", months,
                            pd.DateOffset(months=1), datetime(2023, 1, 1), datetime(2024, 1, 1))
    assert len(got) == 1 and got[0].evidence == {"count": 3, "case_nos": ["A", "B", "C"]}
    assert got[0].level == WarningLevel.GENERAL and got[0].window_start == datetime(2023, 3, 1)
    assert got[0].window_end == datetime(2023, 4, 1)
    assert [level_for(v, 3, 4, 6) for v in (2, 3, 4, 5, 6, 9)] == [None, "general", "major", "major", "critical",
                                                                    "critical"]


# --- configuration ---


def test_rules_file_loads_and_bad_values_are_refused(tmp_path: Path) -> None:
    rules = AlertRules.load()
    assert rules.surge.baseline_weeks == 8 and rules.key_dates and rules.sensitive.categories
    raw = json.loads(Path("config/alert_rules.json").read_text(encoding="utf-8"))
    raw["cluster"]["major_at"] = 1  # below min_cases
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="min_cases"):
        AlertRules.load(bad)
    with pytest.raises(ValueError, match="无法读取"):
        AlertRules.load(tmp_path / "missing.json")
    with pytest.raises(ValueError):
        OpsSettings(silent_days=0)


def test_changing_the_rules_changes_the_warnings(small_db: Engine, tmp_path: Path) -> None:
    lo, hi = datetime(2021, 1, 1), datetime(2024, 1, 1)
    base = evaluate(small_db, AlertRules.load(), lo, hi, lo)
    raw = json.loads(Path("config/alert_rules.json").read_text(encoding="utf-8"))
    raw["mass_dispute"]["min_people"] = 10
    looser = tmp_path / "rules.json"
    looser.write_text(json.dumps(raw), encoding="utf-8")
    more = evaluate(small_db, AlertRules.load(looser), lo, hi, lo)
    count = sum(1 for c in base if c.rule == WarningRule.MASS_DISPUTE)
    assert sum(1 for c in more if c.rule == WarningRule.MASS_DISPUTE) > count > 0


# --- warnings in the demo: evidence equals the case counts ---


def test_stored_warnings_are_what_the_rules_say(small_db: Engine) -> None:
    """The demo stored exactly what the rules raise over the history (same keys, same evidence)."""
    lo, hi = datetime(2021, 1, 1), datetime(2024, 1, 1)
    expected = {c.dedup_key: c for c in evaluate(small_db, AlertRules.load(), lo, hi, lo)}
    with small_db.connect() as conn:
        stored = conn.execute(text("SELECT dedup_key, evidence, base_level, raised_at, window_end FROM risk_warnings"))
        stored = stored.all()
    assert {r[0] for r in stored} == set(expected) and stored
    for key, evidence, level, raised, end in stored:
        assert json.loads(evidence) == expected[key].evidence and level == expected[key].level
        assert pd.Timestamp(raised) == pd.Timestamp(end) - RAISE_LAG


def test_count_evidence_matches_cases(small_db: Engine) -> None:
    with small_db.connect() as conn:
        warnings = conn.execute(text("SELECT rule, area_code, village_code, township_code, category, evidence, "
                                     "window_start, window_end FROM risk_warnings "
                                     "WHERE rule IN ('repeat_group', 'sensitive', 'cluster')")).all()
        assert warnings
        for rule, area, village, township, category, evidence, start, end in warnings:
            col = "village_code" if village else ("township_code" if township else "county_code")
            where = {"repeat_group": " AND kind = 'petition' AND repeat_visits >= 1 AND category = :cat",
                     "sensitive": " AND category = :cat", "cluster": ""}[rule]
            got = conn.execute(text(f"SELECT case_no FROM cases WHERE {col} = :a AND reported_at >= :lo AND "
                                    f"reported_at < :hi{where} ORDER BY reported_at"),
                               {"a": area, "lo": ts(pd.Timestamp(start)), "hi": ts(pd.Timestamp(end)), "cat": category}
                               ).scalars().all()
            ev = json.loads(evidence)
            assert ev["count"] == len(got) and ev["case_nos"] == got[:20], (rule, area, start)


def test_mass_and_backlog_red_evidence(small_db: Engine) -> None:
    with small_db.connect() as conn:
        mass = conn.execute(text("SELECT evidence FROM risk_warnings WHERE rule = 'mass_dispute'")).scalars().all()
        red = conn.execute(text("SELECT evidence, raised_at FROM risk_warnings WHERE rule = 'backlog_red'")).all()
        assert mass and red
        for evidence in mass:
            ev = json.loads(evidence)
            people = conn.execute(text("SELECT p.people FROM case_parties p JOIN cases c ON c.id = p.case_id "
                                       "WHERE c.case_no = :n"), {"n": ev["case_nos"][0]}).scalar_one()
            assert people == ev["people"] >= AlertRules.load().mass_dispute.min_people
        for evidence, raised in red:
            ev = json.loads(evidence)
            change = conn.execute(text("SELECT ch.from_color, ch.to_color FROM backlog_color_changes ch JOIN cases c "
                                       "ON c.id = ch.case_id WHERE c.case_no = :n AND ch.at = :at"),
                                  {"n": ev["case_nos"][0], "at": ts(pd.Timestamp(raised))}).one()
            assert change == (ev["from_color"], "red")


def test_surge_evidence_matches_cases(demo_engine: Engine) -> None:
    """On the full demo, every surge warning's week and baseline are the case counts of its area and kind."""
    with demo_engine.connect() as conn:
        surges = conn.execute(text("SELECT area_code, kind, evidence, window_start FROM risk_warnings "
                                   "WHERE rule = 'surge'")).all()
        assert surges
        for area, kind, evidence, start in surges[:25]:
            ev = json.loads(evidence)
            start = pd.Timestamp(start).to_pydatetime()
            weeks = [start - timedelta(weeks=8 - i) for i in range(8)] + [start]
            counts = [conn.execute(text("SELECT count(*) FROM cases WHERE township_code = :a AND kind = :k AND "
                                        "reported_at >= :lo AND reported_at < :hi"),
                                   {"a": area, "k": kind, "lo": ts(w), "hi": ts(w + timedelta(days=7))}).scalar_one()
                      for w in weeks]
            assert counts[:8] == ev["baseline"] and counts[8] == ev["count"], (area, kind, start)


def test_demo_starts_without_a_banner(small_db: Engine) -> None:
    with small_db.connect() as conn:
        waiting = conn.execute(text("SELECT count(*) FROM risk_warnings WHERE level = 'critical' "
                                    "AND status IN ('issued', 'assigned')")).scalar_one()
        escalated = conn.execute(text("SELECT count(*) FROM risk_warning_events WHERE action = 'escalate'")).scalar_one()
        overdue = conn.execute(text("SELECT count(*) FROM risk_warnings WHERE status IN ('issued', 'assigned') "
                                    "AND due_at <= :t"), {"t": "2024-01-01 00:00:00"}).scalar_one()
    assert waiting == 0 and overdue == 0
    assert escalated >= 0


# --- the safety index formula on a hand-computed fixture ---


def fixture_config(weights: tuple[float, float, float] = (2, 1, 1)) -> qs.SafetyConfig:
    return qs.SafetyConfig((
        qs.Indicator("dispute_rate", "纠纷", "件", "lower_better", weights[0], good=10, bad=110),
        qs.Indicator("resolution_rate", "化解", "%", "higher_better", weights[1], good=100, bad=80),
        qs.Indicator("visit_coverage", "走访", "%", "higher_better", weights[2], good=100, bad=50),
    ))


def test_index_formula_by_hand() -> None:
    values = pd.DataFrame({"dispute_rate": [60.0, 5.0, 200.0], "resolution_rate": [90.0, 100.0, float("nan")],
                           "visit_coverage": [75.0, 40.0, 100.0]})
    got = qs.index_scores(values, fixture_config())
    # area 0: scores 50, 50, 50 → index 50; points 25, 12.5, 12.5
    assert list(got.loc[0, ["score_dispute_rate", "score_resolution_rate", "score_visit_coverage"]]) == [50, 50, 50]
    assert got.loc[0, "index"] == 50 and got.loc[0, "points_dispute_rate"] == 25
    # area 1: 100 (beyond good, clamped), 100, 0 (beyond bad) → (2·100 + 1·100 + 1·0) / 4 = 75
    assert got.loc[1, "index"] == 75
    # area 2: no resolution rate → weights 2 and 1 share: (2·0 + 1·100) / 3
    assert math.isclose(got.loc[2, "index"], 100 / 3) and got.loc[2, "points_resolution_rate"] == 0
    for i in range(3):
        assert math.isclose(sum(got.loc[i, f"points_{k}"] for k in ("dispute_rate", "resolution_rate",
                                                                     "visit_coverage")), got.loc[i, "index"])


def test_index_scores_agree_with_the_scalar_score_on_random_values() -> None:
    """The vectorised scores are `score` value by value (NaN kept, clamped at both ends, either direction)."""
    import numpy as np

    rng = np.random.default_rng(3)
    config = fixture_config()
    values = pd.DataFrame({i.key: rng.uniform(-50, 250, 40) for i in config.indicators})
    values = values.mask(rng.random(values.shape) < 0.2)
    got = qs.index_scores(values, config)
    for ind in config.indicators:
        want = [qs.score(v, ind) for v in values[ind.key]]
        assert np.allclose(got[f"score_{ind.key}"], want, equal_nan=True)
    assert list(got.columns[: len(values.columns)]) == list(values.columns)


def test_changing_weights_in_the_file_changes_the_index(small_db: Engine, tmp_path: Path, monkeypatch) -> None:
    from data.filters import Period, city

    period = Period(datetime(2023, 1, 1).date(), datetime(2023, 12, 31).date())
    before = qs.safety_index(small_db, city(small_db), period)
    raw = json.loads(Path("config/safety_index.json").read_text(encoding="utf-8"))
    for ind in raw["indicators"]:
        ind["weight"] = 1 if ind["key"] == "visit_coverage" else 0
    path = tmp_path / "safety.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("SAFETY_INDEX_FILE", str(path))
    coverage = qs.indicator_values(small_db, city(small_db), period, OpsSettings(), qs.SafetyConfig.load(),
                                   by_child=False)["visit_coverage"].iloc[0]
    after = qs.safety_index(small_db, city(small_db), period)
    assert after != before
    assert math.isclose(after, 100 * min(max((coverage - 80) / 20, 0), 1))


def test_inconsistent_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        qs.SafetyConfig((qs.Indicator("dispute_rate", "纠纷", "件", "higher_better", 1, good=10, bad=110),))
    with pytest.raises(ValueError, match="未知指标"):
        qs.SafetyConfig((qs.Indicator("nonsense", "x", "", "lower_better", 1, good=1, bad=2),))
