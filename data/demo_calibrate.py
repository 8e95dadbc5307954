"""Calibrate simulated cases so that the app's queries reproduce the published figures exactly.

Every adjustment is a small, local change to cases that already have the right shape (a handful of kinds
flipped at the window's edge, outcomes flipped inside it, flags set on chosen cases), so the weekly,
seasonal and regional rhythm of the simulation survives. Counts scale with the number of cases; rates and
the year-over-year change hold at any size.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data import published
from data.vocab import CATEGORIES, RESOLVED_OUTCOMES, BacklogColor, BacklogOrigin, Kind, Mode, Outcome, Status

DUE_DAYS = {Kind.DISPUTE: 15, Kind.PETITION: 60, Kind.SECURITY: 7, Kind.HAZARD: 10}


def _between(ts: pd.Series, window: tuple[date, date]) -> np.ndarray:
    lo = pd.Timestamp(window[0])
    hi = pd.Timestamp(window[1]) + pd.Timedelta(days=1)
    return ((ts >= lo) & (ts < hi)).to_numpy()


def _pick(rng: np.random.Generator, candidates: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    if k <= 0:
        return np.array([], dtype=int)
    if k > len(candidates):
        raise ValueError(f"calibration needs {k} cases but only {len(candidates)} qualify; raise --cases")
    p = None if weights is None else weights / weights.sum()
    return rng.choice(candidates, size=k, replace=False, p=p)


def calibrate(cases: pd.DataFrame, rng: np.random.Generator, as_of: pd.Timestamp) -> pd.DataFrame:
    """Adjust a simulated case frame in place order: disputes, outcomes, backlog, first petitions, difficult."""
    scale = len(cases) / published.DEFAULT_CASES
    cases = cases.copy()
    _disputes_handled(cases, rng, round(published.DISPUTES_HANDLED * scale))
    _success_rate(cases, rng)
    _backlog(cases, rng, round(published.BACKLOG_RESOLVED_2022 * scale), as_of)
    _first_petitions(cases, rng)
    _difficult(cases, rng, round(published.DIFFICULT_RESOLVED * scale))
    return cases


def _set_kind(cases: pd.DataFrame, idx: np.ndarray, kind: Kind, rng: np.random.Generator) -> None:
    """Turn chosen cases into another kind, with a category, outcome and due date that fit it."""
    cases.loc[idx, "kind"] = str(kind)
    cases.loc[idx, "category"] = rng.choice(list(CATEGORIES[kind]), size=len(idx))
    cases.loc[idx, "due_at"] = cases.loc[idx, "reported_at"] + pd.Timedelta(days=DUE_DAYS[kind])
    closed = idx[cases.loc[idx, "closed_at"].notna().to_numpy()]
    if kind == Kind.DISPUTE:
        cases.loc[closed, "outcome"] = str(Outcome.SUCCESS)
    else:
        cases.loc[closed, "outcome"] = str(Outcome.RESOLVED)
    cases.loc[idx, "is_first_petition"] = False


def _disputes_handled(cases: pd.DataFrame, rng: np.random.Generator, target: int) -> None:
    """Exactly `target` disputes closed in the window: flip kinds with security/hazard cases closed there."""
    in_window = _between(cases["closed_at"], published.DISPUTE_WINDOW)
    kind = cases["kind"].to_numpy()
    disputes = np.flatnonzero(in_window & (kind == Kind.DISPUTE))
    diff = len(disputes) - target
    if diff > 0:
        idx = _pick(rng, disputes, diff)
        _set_kind(cases, idx[: len(idx) // 2], Kind.SECURITY, rng)
        _set_kind(cases, idx[len(idx) // 2 :], Kind.HAZARD, rng)
    elif diff < 0:
        others = np.flatnonzero(in_window & np.isin(kind, [Kind.SECURITY, Kind.HAZARD]))
        _set_kind(cases, _pick(rng, others, -diff), Kind.DISPUTE, rng)


def _success_rate(cases: pd.DataFrame, rng: np.random.Generator) -> None:
    """Mediation success among disputes closed in the window equals the published rate."""
    in_window = _between(cases["closed_at"], published.DISPUTE_WINDOW)
    disputes = np.flatnonzero(in_window & (cases["kind"].to_numpy() == Kind.DISPUTE))
    target = round(published.MEDIATION_SUCCESS_RATE / 100 * len(disputes))
    outcome = cases["outcome"].to_numpy()
    success = disputes[outcome[disputes] == Outcome.SUCCESS]
    other = disputes[outcome[disputes] != Outcome.SUCCESS]
    diff = len(success) - target
    if diff > 0:
        cases.loc[_pick(rng, success, diff), "outcome"] = str(Outcome.FAILURE)
    elif diff < 0:
        cases.loc[_pick(rng, other, -diff), "outcome"] = str(Outcome.SUCCESS)


def _mark_backlog(cases: pd.DataFrame, idx: np.ndarray, rng: np.random.Generator, months: tuple[int, int]) -> None:
    """Make chosen petitions long-standing backlog cases with a difficulty color and an origin."""
    n = len(idx)
    cases.loc[idx, "backlog_color"] = rng.choice(
        [str(BacklogColor.RED), str(BacklogColor.YELLOW), str(BacklogColor.GREEN)], size=n, p=[0.25, 0.4, 0.35]
    )
    cases.loc[idx, "backlog_origin"] = rng.choice(
        [str(BacklogOrigin.NATIONAL), str(BacklogOrigin.PROVINCIAL), str(BacklogOrigin.CITY)],
        size=n,
        p=[0.12, 0.3, 0.58],
    )
    end = cases.loc[idx, "closed_at"].fillna(cases.loc[idx, "reported_at"])
    age = pd.to_timedelta(rng.uniform(months[0] * 30, months[1] * 30, n), unit="D")
    start = pd.Timestamp(published.DATA_START) + pd.to_timedelta(rng.uniform(0, 20, n), unit="D")
    reported = np.minimum(np.maximum((end - age).to_numpy(), start.to_numpy()), cases.loc[idx, "reported_at"].to_numpy())
    cases.loc[idx, "reported_at"] = reported.astype(cases["reported_at"].dtype)
    cases.loc[idx, "due_at"] = cases.loc[idx, "reported_at"] + pd.Timedelta(days=DUE_DAYS[Kind.PETITION])
    cases.loc[idx, "is_first_petition"] = False
    cases.loc[idx, "repeat_visits"] = cases.loc[idx, "repeat_visits"] + rng.integers(1, 4, n)


def _backlog(cases: pd.DataFrame, rng: np.random.Generator, target: int, as_of: pd.Timestamp) -> None:
    """Backlog petitions: exactly `target` resolved in 2022, some resolved in other years, some still open."""
    petition = cases["kind"].to_numpy() == Kind.PETITION
    closed_2022 = np.flatnonzero(petition & _between(cases["closed_at"], published.BACKLOG_WINDOW))
    closed_2021 = np.flatnonzero(petition & (cases["closed_at"] < pd.Timestamp("2022-01-01")).to_numpy())
    late_2023 = np.flatnonzero(
        petition & (cases["closed_at"] > pd.Timestamp(published.DISPUTE_WINDOW[1]) + pd.Timedelta(days=1)).to_numpy()
    )
    _mark_backlog(cases, _pick(rng, closed_2022, target), rng, (4, 18))
    _mark_backlog(cases, _pick(rng, closed_2021, min(len(closed_2021), target // 12)), rng, (1, 6))
    resolved_2023 = _pick(rng, late_2023, min(len(late_2023), target // 6))
    _mark_backlog(cases, resolved_2023, rng, (3, 12))
    still_open = resolved_2023[: len(resolved_2023) // 3]
    cases.loc[still_open, ["closed_at", "outcome"]] = [pd.NaT, None]
    cases.loc[still_open, "status"] = str(Status.OPEN)


def _first_petitions(cases: pd.DataFrame, rng: np.random.Generator) -> None:
    """First-time petitions in the 2023 window fall by the published share against the same dates of 2022."""
    lo, hi = published.DISPUTE_WINDOW
    prev = (lo.replace(year=lo.year - 1), hi.replace(year=hi.year - 1))
    petition = (cases["kind"].to_numpy() == Kind.PETITION) & cases["backlog_color"].isna().to_numpy()

    def flagged_in(window: tuple[date, date]) -> int:
        flags = cases["is_first_petition"].to_numpy().astype(bool)
        return int((petition & flags & _between(cases["reported_at"], window)).sum())

    # Backlog cases are not first-time petitions; restore a gentle decline from 2021 to 2022 first.
    y2021, y2022 = (date(2021, 1, 1), date(2021, 12, 31)), (date(2022, 1, 1), date(2022, 12, 31))
    _set_flag_count(cases, rng, petition & _between(cases["reported_at"], y2022), round(flagged_in(y2021) * 0.92))
    # With small demos the counts are small integers: nudge last year's count so that the ratio can be met.
    ratio = 1 + published.FIRST_PETITIONS_YOY / 100
    natural = flagged_in(prev)
    before = min(range(max(natural - 15, 1), natural + 16), key=lambda q: (abs(round(q * ratio) / q - ratio), abs(q - natural)))
    _set_flag_count(cases, rng, petition & _between(cases["reported_at"], prev), before)
    _set_flag_count(cases, rng, petition & _between(cases["reported_at"], published.DISPUTE_WINDOW), round(before * ratio))


def _set_flag_count(cases: pd.DataFrame, rng: np.random.Generator, rows: np.ndarray, target: int) -> None:
    """Flip first-petition flags among `rows` until exactly `target` of them are set."""
    flagged = cases["is_first_petition"].to_numpy().astype(bool)
    on = np.flatnonzero(rows & flagged)
    off = np.flatnonzero(rows & ~flagged)
    diff = len(on) - target
    if diff > 0:
        cases.loc[_pick(rng, on, diff), "is_first_petition"] = False
    elif diff < 0:
        cases.loc[_pick(rng, off, -diff), "is_first_petition"] = True


def _difficult(cases: pd.DataFrame, rng: np.random.Generator, target: int) -> None:
    """Difficult cases (会办 or 提级) resolved by the centers: exactly `target` in the published window."""
    heavy = np.isin(cases["mode"].to_numpy(), [Mode.JOINT, Mode.ESCALATED])
    resolved = cases["outcome"].isin(RESOLVED_OUTCOMES).to_numpy()
    in_window = _between(cases["closed_at"], published.DIFFICULT_WINDOW)
    duration = (cases["closed_at"] - cases["reported_at"]).dt.total_seconds().fillna(0).to_numpy() + 3600
    pool = np.flatnonzero(heavy & resolved & in_window)
    cases.loc[_pick(rng, pool, target, duration[pool]), "is_difficult"] = True
    outside = np.flatnonzero(heavy & ~in_window)
    share = target / max(int(in_window.sum()), 1)
    k = min(len(outside), round(share * (~in_window).sum()))
    cases.loc[_pick(rng, outside, k, duration[outside]), "is_difficult"] = True
