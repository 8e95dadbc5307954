"""Demo case simulation: when and where cases arise, how they are handled, escalated and closed.

Vectorised with numpy so that 1,000,000 cases build in minutes. The raw simulation has a realistic shape
(weekly and seasonal rhythm, growth, county and township differences, long tails that become overdue);
`data.demo_calibrate` then adjusts it so that the published figures hold exactly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from data import published
from data.vocab import (
    CATEGORIES,
    HANDLING_ORDER,
    Channel,
    Kind,
    Mode,
    Outcome,
    Status,
)

KIND_SHARE = {Kind.DISPUTE: 0.58, Kind.PETITION: 0.22, Kind.SECURITY: 0.12, Kind.HAZARD: 0.08}
# Relative daily rate per year (disputes get their 2023 window from the published figure instead).
YEAR_RATE = {
    Kind.DISPUTE: {2021: 0.80, 2022: 0.95, 2023: 1.35},
    Kind.PETITION: {2021: 1.05, 2022: 1.0, 2023: 0.85},
    Kind.SECURITY: {2021: 1.1, 2022: 1.0, 2023: 0.9},
    Kind.HAZARD: {2021: 0.9, 2022: 1.0, 2023: 1.1},
}
# Month factors: disputes and wage claims peak before the Spring Festival; neighbour quarrels in summer.
MONTH_RATE = {
    Kind.DISPUTE: (1.3, 1.1, 0.95, 0.95, 1.0, 1.05, 1.1, 1.05, 0.95, 0.9, 0.95, 1.2),
    Kind.PETITION: (1.1, 0.8, 1.05, 1.05, 1.0, 1.0, 0.95, 0.95, 1.0, 1.0, 1.05, 1.1),
    Kind.SECURITY: (0.9, 1.0, 0.9, 0.95, 1.05, 1.15, 1.2, 1.2, 1.0, 0.95, 0.9, 0.9),
    Kind.HAZARD: (1.0, 0.9, 1.0, 1.05, 1.1, 1.2, 1.2, 1.1, 1.0, 0.95, 0.9, 1.0),
}
WEEKDAY_RATE = (1.15, 1.12, 1.1, 1.1, 1.08, 0.75, 0.6)
DUE_DAYS = {Kind.DISPUTE: 15, Kind.PETITION: 60, Kind.SECURITY: 7, Kind.HAZARD: 10}
# Median days to close by final handling level (village, township, county, city).
MEDIAN_DAYS = {
    Kind.DISPUTE: (2.0, 4.5, 8.0, 12.0),
    Kind.PETITION: (12.0, 18.0, 25.0, 32.0),
    Kind.SECURITY: (0.8, 1.5, 2.5, 3.5),
    Kind.HAZARD: (2.0, 3.5, 5.0, 7.0),
}
CHANNEL_P = {
    Kind.DISPUTE: {Channel.GRID: 0.45, Channel.VISIT: 0.25, Channel.HOTLINE: 0.18, Channel.TRANSFER: 0.07,
                   Channel.POLICE: 0.05},
    Kind.PETITION: {Channel.VISIT: 0.45, Channel.ONLINE: 0.35, Channel.HOTLINE: 0.12, Channel.TRANSFER: 0.08},
    Kind.SECURITY: {Channel.POLICE: 0.55, Channel.GRID: 0.25, Channel.HOTLINE: 0.15, Channel.VISIT: 0.05},
    Kind.HAZARD: {Channel.GRID: 0.70, Channel.HOTLINE: 0.15, Channel.TRANSFER: 0.15},
}
# Probability of the first handling level (village, township, county, city) by channel.
FIRST_LEVEL_P = {
    Channel.GRID: (0.78, 0.20, 0.02, 0.0),
    Channel.VISIT: (0.45, 0.40, 0.13, 0.02),
    Channel.HOTLINE: (0.30, 0.45, 0.22, 0.03),
    Channel.ONLINE: (0.10, 0.45, 0.38, 0.07),
    Channel.POLICE: (0.20, 0.70, 0.10, 0.0),
    Channel.TRANSFER: (0.15, 0.45, 0.33, 0.07),
}
DEPARTMENT = {
    "婚姻家庭": "司法局", "邻里纠纷": "司法局", "土地纠纷": "自然资源局", "劳资纠纷": "人社局",
    "物业纠纷": "住建局", "医疗纠纷": "卫健委", "合同纠纷": "司法局", "损害赔偿": "司法局",
    "征地拆迁": "自然资源局", "劳动社保": "人社局", "涉法涉诉": "政法委", "城乡建设": "住建局",
    "非法金融": "地方金融监管局", "民营医院": "卫健委", "农村农业": "农业农村局", "电信诈骗": "公安局",
    "盗窃": "公安局", "打架斗殴": "公安局", "噪音扰民": "公安局", "黄赌毒": "公安局", "交通秩序": "公安局",
    "安全生产": "应急管理局", "消防隐患": "消防救援大队", "道路交通": "交通运输局", "群租房": "住建局",
    "重点人员": "政法委", "食品药品": "市场监管局",
}
TOWNSHIP_UNIT = {"公安局": "派出所", "司法局": "司法所"}
CONTENT = "{place}群众反映{category}问题，请求协调处理。"


def _day_weights(kind: Kind, days: pd.DatetimeIndex) -> np.ndarray:
    month = np.array(MONTH_RATE[kind])[days.month - 1]
    week = np.array(WEEKDAY_RATE)[days.day_of_week]
    year = np.array([YEAR_RATE[kind][y] for y in days.year])
    return month * week * year


def _sample_days(rng: np.random.Generator, kind: Kind, days: pd.DatetimeIndex, n: int) -> np.ndarray:
    w = _day_weights(kind, days)
    return days.to_numpy()[rng.choice(len(days), size=n, p=w / w.sum())]


def reported_times(rng: np.random.Generator, counts: dict[Kind, int]) -> tuple[np.ndarray, np.ndarray]:
    """Registration times per kind; disputes put the published share into the 2023 window."""
    all_days = pd.date_range(published.DATA_START, published.DATA_END, freq="D")
    lo, hi = (pd.Timestamp(d) for d in published.DISPUTE_WINDOW)
    kinds: list[np.ndarray] = []
    times: list[np.ndarray] = []
    scale = sum(counts.values()) / published.DEFAULT_CASES
    for kind, n in counts.items():
        if kind == Kind.DISPUTE:
            inside = min(int(round(published.DISPUTES_HANDLED * scale * 0.995)), n)
            window = all_days[(all_days >= lo) & (all_days <= hi)]
            rest = all_days[(all_days < lo) | (all_days > hi)]
            days = np.concatenate(
                [_sample_days(rng, kind, window, inside), _sample_days(rng, kind, rest, n - inside)]
            )
        else:
            days = _sample_days(rng, kind, all_days, n)
        # Office hours mostly; police calls around the clock.
        hours = np.clip(rng.normal(11.5, 3.2, n), 0, 23.99)
        if kind == Kind.SECURITY:
            hours = rng.uniform(0, 24, n)
        times.append(days + (hours * 3600).astype("timedelta64[s]"))
        kinds.append(np.full(n, str(kind), dtype=object))
    order = np.argsort(np.concatenate(times), kind="stable")
    return np.concatenate(kinds)[order], np.concatenate(times)[order]


def _choice_by_group(rng: np.random.Generator, keys: np.ndarray, table: dict) -> np.ndarray:
    """For each key, draw one option from table[key] (a dict option → probability)."""
    out = np.empty(len(keys), dtype=object)
    for key, probs in table.items():
        idx = np.flatnonzero(keys == str(key))
        options = [str(o) for o in probs]
        p = np.array(list(probs.values()), dtype=float)
        out[idx] = rng.choice(options, size=len(idx), p=p / p.sum())
    return out


def simulate_cases(
    rng: np.random.Generator, grids: pd.DataFrame, n: int, as_of: datetime
) -> pd.DataFrame:
    """Simulate n cases over the demo period; returns one row per case with every `cases` column but id."""
    counts = {k: int(round(n * s)) for k, s in KIND_SHARE.items()}
    counts[Kind.DISPUTE] += n - sum(counts.values())
    kind, reported = reported_times(rng, counts)

    # Where: grids weighted by population, with lasting township and county differences.
    towns = grids["township_code"].unique()
    tf = dict(zip(towns, rng.lognormal(0.0, 0.35, len(towns)), strict=True))
    county_rate = {"321302": 1.15, "321311": 0.9, "321322": 1.05, "321323": 0.95, "321324": 1.0}
    cf = grids["county_code"].str[:6].map(county_rate).to_numpy()
    town_factor = grids["township_code"].map(tf).to_numpy() * cf
    w = grids["population"].to_numpy() * town_factor * rng.lognormal(0, 0.3, len(grids))
    gi = rng.choice(len(grids), size=n, p=w / w.sum())
    g = grids.iloc[gi]

    category = np.empty(n, dtype=object)
    for k, cats in CATEGORIES.items():
        idx = np.flatnonzero(kind == str(k))
        p = rng.dirichlet(np.ones(len(cats)) * 4) * 0.5 + 0.5 / len(cats)
        category[idx] = rng.choice(list(cats), size=len(idx), p=p / p.sum())
    channel = _choice_by_group(rng, kind, CHANNEL_P)

    first = np.zeros(n, dtype=int)
    for ch, p in FIRST_LEVEL_P.items():
        idx = np.flatnonzero(channel == str(ch))
        first[idx] = rng.choice(4, size=len(idx), p=np.array(p) / sum(p))
    u = rng.random(n)
    steps = np.where(u < 0.035, 2, np.where(u < 0.155, 1, 0))
    final = np.minimum(first + steps, 3)
    escalated = final > first
    mode = rng.choice([str(Mode.ONSITE), str(Mode.ONLINE), str(Mode.JOINT)], size=n, p=[0.58, 0.27, 0.15])
    mode = np.where(escalated, str(Mode.ESCALATED), mode)

    # How long: lognormal around a median by kind and final level, with a stuck tail that goes overdue.
    median = np.zeros(n)
    due_days = np.zeros(n)
    for k in Kind:
        idx = kind == str(k)
        median[idx] = np.array(MEDIAN_DAYS[k])[final[idx]]
        due_days[idx] = DUE_DAYS[k]
    median *= np.where(mode == str(Mode.JOINT), 1.4, 1.0)
    days = median * rng.lognormal(0.0, 0.75, n)
    # Some cases are worked right up to the deadline (a few slip past it); a few get stuck for weeks.
    rush = rng.random(n) < 0.10
    days = np.where(rush, due_days * rng.uniform(0.75, 1.35, n), days)
    stuck = rng.random(n) < 0.012
    days = np.where(stuck, days * rng.uniform(2, 5, n), days)
    reported_ts = pd.to_datetime(reported)
    closed = reported_ts + pd.to_timedelta(days * 86400, unit="s")
    due = reported_ts + pd.to_timedelta(due_days, unit="D")
    is_open = closed > pd.Timestamp(as_of)

    outcome = _outcomes(rng, kind, g["county_code"].to_numpy())
    first_pet = (kind == str(Kind.PETITION)) & (rng.random(n) < 0.55)
    lam = np.where(kind == str(Kind.PETITION), np.where(first_pet, 0.25, 0.8), 0.04)
    repeat = rng.poisson(lam * np.minimum(days / 20 + 0.5, 3))

    frame = pd.DataFrame(
        {
            "kind": kind,
            "category": category,
            "channel": channel,
            "grid_code": g["code"].to_numpy(),
            "village_code": g["village_code"].to_numpy(),
            "township_code": g["township_code"].to_numpy(),
            "county_code": g["county_code"].to_numpy(),
            "reported_at": reported_ts.to_numpy(),
            "first_level": np.array([str(x) for x in HANDLING_ORDER], dtype=object)[first],
            "final_level": np.array([str(x) for x in HANDLING_ORDER], dtype=object)[final],
            "mode": mode,
            "due_at": due.to_numpy(),
            "closed_at": closed.to_numpy(),
            "outcome": outcome,
            "is_first_petition": first_pet,
            "repeat_visits": repeat.astype(int),
            "backlog_color": None,
            "backlog_origin": None,
            "is_difficult": False,
        }
    )
    for col in ("reported_at", "due_at", "closed_at"):
        frame[col] = frame[col].astype("datetime64[s]")
    frame.loc[is_open, "closed_at"] = pd.NaT
    frame.loc[is_open, "outcome"] = None
    frame["status"] = np.where(is_open, str(Status.OPEN), str(Status.CLOSED))
    frame["responsible_unit"] = responsible_units(frame, grids)
    frame["content"] = [
        CONTENT.format(place=p, category=c) for p, c in zip(g["name"].to_numpy(), category, strict=True)
    ]
    return frame


def _outcomes(rng: np.random.Generator, kind: np.ndarray, county: np.ndarray) -> np.ndarray:
    """Outcome once closed: disputes mediate with a county-dependent success rate; others are resolved."""
    n = len(kind)
    success_p = pd.Series(county).str[:6].map(
        {"321302": 0.915, "321311": 0.90, "321322": 0.905, "321323": 0.895, "321324": 0.91}
    ).to_numpy()
    u = rng.random(n)
    dispute = np.where(
        u < success_p, str(Outcome.SUCCESS), np.where(u < success_p + 0.065, str(Outcome.FAILURE), str(Outcome.TERMINATED))
    )
    other = np.where(u < 0.9, str(Outcome.RESOLVED), np.where(u < 0.96, str(Outcome.REFERRED), str(Outcome.TERMINATED)))
    return np.where(kind == str(Kind.DISPUTE), dispute, other)


def responsible_units(frame: pd.DataFrame, grids: pd.DataFrame) -> np.ndarray:
    """事权单位: the village committee, the township office or the county/city department, by final level."""
    names = pd.concat(
        [
            grids.drop_duplicates("village_code").set_index("village_code")["village_name"],
            grids.drop_duplicates("township_code").set_index("township_code")["township_name"],
            grids.drop_duplicates("county_code").set_index("county_code")["county_name"],
        ]
    )
    dept = frame["category"].map(DEPARTMENT).to_numpy()
    level = frame["final_level"].to_numpy()
    village = frame["village_code"].map(names).to_numpy()
    town = frame["township_code"].map(names).to_numpy()
    county = frame["county_code"].map(names).to_numpy()
    town_dept = np.array([TOWNSHIP_UNIT.get(d, "综治中心") for d in dept], dtype=object)
    return np.select(
        [level == "village", level == "township", level == "county"],
        [village + "调委会", town + town_dept, county + dept],
        default="宿迁市" + dept,
    )


def simulate_events(
    rng: np.random.Generator, cases: pd.DataFrame, as_of: datetime
) -> tuple[pd.DataFrame, pd.Series]:
    """Events for each case (ids in `cases.id`) and the first repeat visit on or after the due date.

    Returns (events with columns case_id, step, at, level; first_late_visit indexed like `cases`).
    """
    n = len(cases)
    end_ts = cases["closed_at"].fillna(pd.Timestamp(as_of))
    reported = cases["reported_at"]
    span = (end_ts - reported).dt.total_seconds().to_numpy()
    d1 = np.minimum(rng.lognormal(np.log(1.5 * 3600), 0.7, n), 0.15 * span)
    d2 = np.minimum(rng.lognormal(np.log(5 * 3600), 0.7, n), 0.35 * span)
    dispatched = reported + pd.to_timedelta(d1, unit="s")
    accepted = dispatched + pd.to_timedelta(d2, unit="s")
    ids = cases["id"].to_numpy()
    first = cases["first_level"].to_numpy()
    final = cases["final_level"].to_numpy()
    parts = [
        pd.DataFrame({"case_id": ids, "step": "registered", "at": reported.to_numpy(), "level": first}),
        pd.DataFrame({"case_id": ids, "step": "dispatched", "at": dispatched.to_numpy(), "level": first}),
        pd.DataFrame({"case_id": ids, "step": "accepted", "at": accepted.to_numpy(), "level": first}),
    ]
    order = [str(x) for x in HANDLING_ORDER]
    fi = pd.Series(first).map(order.index).to_numpy()
    li = pd.Series(final).map(order.index).to_numpy()
    rest = (end_ts - accepted).dt.total_seconds().to_numpy()
    for step in (1, 2, 3):
        idx = np.flatnonzero(li - fi >= step)
        at = accepted.iloc[idx] + pd.to_timedelta(rest[idx] * step / (li[idx] - fi[idx] + 1), unit="s")
        parts.append(
            pd.DataFrame(
                {"case_id": ids[idx], "step": "escalated", "at": at.to_numpy(),
                 "level": np.array(order, dtype=object)[fi[idx] + step]}
            )
        )
    joint = np.flatnonzero(cases["mode"].to_numpy() == str(Mode.JOINT))
    at = accepted.iloc[joint] + pd.to_timedelta(rest[joint] * 0.6, unit="s")
    parts.append(pd.DataFrame({"case_id": ids[joint], "step": "joint_meeting", "at": at.to_numpy(),
                               "level": final[joint]}))
    repeat = cases["repeat_visits"].to_numpy()
    rv = np.repeat(np.arange(n), repeat)
    rv_at = reported.iloc[rv].to_numpy() + pd.to_timedelta(span[rv] * rng.uniform(0.05, 0.98, len(rv)), unit="s")
    parts.append(pd.DataFrame({"case_id": ids[rv], "step": "repeat_visit", "at": rv_at, "level": final[rv]}))
    closed = np.flatnonzero(cases["closed_at"].notna().to_numpy())
    parts.append(pd.DataFrame({"case_id": ids[closed], "step": "closed",
                               "at": cases["closed_at"].iloc[closed].to_numpy(), "level": final[closed]}))
    events = pd.concat(parts, ignore_index=True)
    events["at"] = events["at"].astype("datetime64[s]")
    events = events.sort_values(["case_id", "at"], kind="stable").reset_index(drop=True)

    due = pd.Series(cases["due_at"].to_numpy()[rv], index=rv)
    late = pd.Series(rv_at, index=rv)
    late = late[late.to_numpy() >= due.to_numpy()]
    first_late = late.groupby(level=0).min().reindex(np.arange(n))
    first_late.index = cases.index
    return events, first_late


def as_of_datetime(day: date) -> datetime:
    """The instant the demo data runs up to: the end of its last day."""
    return datetime.combine(day, datetime.min.time()) + timedelta(days=1)
