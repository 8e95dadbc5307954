"""Demo data of the governance operations, consistent with the stored cases (run by `data.demo` after them).

- backlog board: every backlog petition is listed with its 包案领导 and a color history ending at its color
  (mostly red → yellow → green progress, a few cases sliding back to red);
- supervision: difficult disputes and petitions listed with three leaders, milestones, notes, task forces;
- micro-grid work: key persons in grids, their visits (on time mostly, some late), silent spells of grids;
- people involved in disputes and petitions (for the many-people rule);
- warnings: the rules of `config/alert_rules.json` evaluated over the whole history, with a workflow history.

Nothing here changes the cases, so the published figures the case calibration reproduces stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from data import published
from data.alert_rules import AlertRules, escalate_overdue, evaluate, warning_rows
from data.db import bulk_insert, get_meta, reset_sequences, set_meta
from data.demo_cases import as_of_datetime
from data.demo_structure import person_names
from data.models import Area, GridWorker
from data.models_ops import (
    WARNING_LEVEL_ORDER,
    KeyGroup,
    VisitMode,
    WarningAction,
    WarningLevel,
    WarningStatus,
)
from data.vocab import BacklogColor, BacklogOrigin, Channel, Kind, Level, Mode, WorkerRole

RED, YELLOW, GREEN = str(BacklogColor.RED), str(BacklogColor.YELLOW), str(BacklogColor.GREEN)
# Color paths ending at each final color, with their probabilities: progress mostly, a few slide back to red.
COLOR_PATHS = {
    RED: (((RED,), 0.86), ((YELLOW, RED), 0.14)),
    YELLOW: (((RED, YELLOW), 0.45), ((YELLOW,), 0.55)),
    GREEN: (((RED, YELLOW, GREEN), 0.25), ((RED, GREEN), 0.15), ((YELLOW, GREEN), 0.3), ((GREEN,), 0.3)),
}
SENSITIVE_DOMAINS = ("非法金融", "民营医院", "征地拆迁")
SUPERVISED_BOOST = {"非法金融": 3.0, "民营医院": 3.0, "征地拆迁": 2.5, "涉法涉诉": 2.0, "劳资纠纷": 1.5, "劳动社保": 1.5}
MILESTONES = (("制定化解方案", 7), ("召开联席会商", 21), ("落实化解措施", 45), ("息访息诉、办结销号", 75))
NOTES = (
    "召开专题推进会，明确化解责任人和时间节点",
    "包案领导带队走访当事人，了解核心诉求",
    "协调{dept}等部门会商，研究化解方案",
    "组织法律顾问参与，释法明理",
    "当事人对化解方案表示基本认可",
    "落实帮扶救助措施，当事人情绪稳定",
    "县区主要负责同志听取专题汇报",
)
PERSONS_AT_FULL_SCALE = {KeyGroup.RELEASED: 1600, KeyGroup.CORRECTION: 1100, KeyGroup.DRUG: 1300,
                         KeyGroup.RENTAL: 2800}
VISIT_DAYS = {KeyGroup.RELEASED: 30, KeyGroup.CORRECTION: 15, KeyGroup.DRUG: 30, KeyGroup.RENTAL: 60}
# 扫楼行动 and 敲门行动: two weeks each, twice a year (month, mode).
SWEEPS = ((3, VisitMode.BUILDING_SWEEP), (6, VisitMode.DOOR_KNOCK), (9, VisitMode.BUILDING_SWEEP),
          (12, VisitMode.DOOR_KNOCK))
SILENT_SPELLS = 2400
UNIT_BY_RULE = {"surge": "综治中心", "repeat_group": "信访局", "mass_dispute": "司法所", "sensitive": "信访局",
                "cluster": "派出所", "backlog_red": "信访局"}
CLOSE_NOTES = ("已组织排查化解，相关当事人情绪稳定", "已协调有关部门落实稳控措施，风险已消除",
               "已逐一走访涉事群众，诉求已纳入化解程序", "经研判为正常波动，已加强巡查")


@dataclass(frozen=True)
class Places:
    """Names and grids of the demo city, read back from the database."""

    names: pd.Series  # code → name
    grids: pd.DataFrame  # code, village_code, township_code, county_code, population
    liaison: pd.Series  # grid code → id of its first liaison


def _places(engine: Engine) -> Places:
    areas = Area.__table__
    workers = GridWorker.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(areas.c.code, areas.c.name, areas.c.level, areas.c.village_code,
                                   areas.c.township_code, areas.c.county_code, areas.c.population)
                            .order_by(areas.c.code)).all()  # same order on every backend: same demo
        first = conn.execute(select(workers.c.grid_code, func.min(workers.c.id))
                             .where(workers.c.role == str(WorkerRole.LIAISON)).group_by(workers.c.grid_code)
                             .order_by(workers.c.grid_code)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["code", "name", "level", "village_code", "township_code",
                                                           "county_code", "population"])
    grids = frame[frame["level"] == str(Level.GRID)].reset_index(drop=True)
    return Places(frame.set_index("code")["name"], grids, pd.Series(dict(first)))


def build(engine: Engine, cases: pd.DataFrame, seed: int, scale: float) -> None:
    """Generate and store every operations table for the stored `cases` (a frame with ids)."""
    rng = np.random.default_rng(seed + 90)
    as_of = as_of_datetime(published.DATA_END)
    places = _places(engine)
    listings, changes = backlog(rng, cases, places, as_of)
    bulk_insert(engine, "backlog_listings", listings)
    bulk_insert(engine, "backlog_color_changes", changes)
    forces, sup, milestones, notes = supervision(rng, cases, places, as_of)
    for table, frame in (("task_forces", forces), ("supervision_listings", sup),
                         ("supervision_milestones", milestones), ("supervision_notes", notes)):
        bulk_insert(engine, table, frame)
    persons, silences = key_persons(rng, places, scale, as_of), silent_spells(rng, places, cases, as_of)
    bulk_insert(engine, "key_persons", persons)
    bulk_insert(engine, "grid_silences", silences)
    bulk_insert(engine, "grid_visits", visits(rng, persons, silences, places, as_of))
    bulk_insert(engine, "case_parties", parties(rng, cases))
    reset_sequences(engine, ["backlog_color_changes", "task_forces", "supervision_listings", "supervision_milestones",
                             "supervision_notes", "key_persons", "grid_silences", "grid_visits"])
    warnings(engine, rng, places, as_of)


# --- backlog ---


def _posts(county: str) -> tuple[str, str, str]:
    head = "县长" if county.endswith("县") else "区长"
    return f"{county}委书记", f"{county}{head}", f"{county}副{head}"


def backlog(rng: np.random.Generator, cases: pd.DataFrame, places: Places,
            as_of: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Listings (包案领导) and color histories of the backlog petitions."""
    bl = cases[cases["backlog_color"].notna()].reset_index(drop=True)
    end = bl["closed_at"].fillna(pd.Timestamp(as_of))
    span = (end - bl["reported_at"]).dt.total_seconds().to_numpy()
    offset = np.minimum(rng.uniform(0.05, 0.3, len(bl)) * span, 120 * 86400)
    listed = bl["reported_at"] + pd.to_timedelta(offset.astype("int64"), unit="s")
    counties = places.names.reindex(bl["county_code"]).to_numpy()
    post_pick = np.where(bl["backlog_origin"] == str(BacklogOrigin.NATIONAL), 0,
                         np.where(bl["backlog_origin"] == str(BacklogOrigin.PROVINCIAL), 1, 2))
    posts = [_posts(c)[p] for c, p in zip(counties, post_pick, strict=True)]
    leaders = _names_for(rng, posts)
    listings = pd.DataFrame({"case_id": bl["id"].to_numpy(), "listed_at": listed.to_numpy(),
                             "leader_name": [leaders[p] for p in posts], "leader_post": posts})
    rows: list[tuple[int, datetime, str | None, str]] = []
    for cid, color, start, stop in zip(bl["id"], bl["backlog_color"], listed, end, strict=True):
        options, weights = zip(*COLOR_PATHS[color], strict=True)
        path = options[rng.choice(len(options), p=np.array(weights))]
        times = sorted(rng.uniform(0.1, 0.95, len(path) - 1))
        prev = None
        for i, c in enumerate(path):
            at = start if i == 0 else start + (stop - start) * times[i - 1]
            rows.append((int(cid), pd.Timestamp(at).floor("s").to_pydatetime(), prev, c))
            prev = c
    changes = pd.DataFrame(rows, columns=["case_id", "at", "from_color", "to_color"])
    codes = bl.set_index("id")[["county_code", "township_code", "village_code", "grid_code"]]
    changes = changes.join(codes, on="case_id")
    changes.insert(0, "id", np.arange(1, len(changes) + 1))
    return listings, changes


def _names_for(rng: np.random.Generator, posts: list[str]) -> dict[str, str]:
    """One synthetic person per post (the same post is the same person everywhere)."""
    unique = sorted(set(posts))
    return dict(zip(unique, person_names(rng, len(unique)), strict=True))


# --- supervision ---


def supervision(rng: np.random.Generator, cases: pd.DataFrame, places: Places,
                as_of: datetime) -> tuple[pd.DataFrame, ...]:
    """Task forces, listings with three leaders, milestones and progress notes."""
    # Difficult cases: flagged so when resolved, or still open under a joint meeting or escalation (the flag
    # comes with the resolution), among disputes and petitions (the stability-related kinds).
    heavy_open = cases["closed_at"].isna() & cases["mode"].isin([str(Mode.JOINT), str(Mode.ESCALATED)])
    pool = cases[(cases["is_difficult"].astype(bool) | heavy_open)
                 & cases["kind"].isin([str(Kind.PETITION), str(Kind.DISPUTE)])]
    weight = pool["category"].map(SUPERVISED_BOOST).fillna(1.0).to_numpy() * np.where(heavy_open[pool.index], 6.0, 1.0)
    k = int(round(len(pool) * 0.28))
    chosen = pool.iloc[np.sort(rng.choice(len(pool), size=k, replace=False, p=weight / weight.sum()))].reset_index(
        drop=True)
    forces = _task_forces(rng, places)
    end = chosen["closed_at"].fillna(pd.Timestamp(as_of))
    span = (end - chosen["reported_at"]).dt.total_seconds().to_numpy()
    listed = chosen["reported_at"] + pd.to_timedelta(np.minimum(rng.uniform(1, 10, k) * 86400, 0.3 * span)
                                                      .astype("int64"), unit="s")
    city_top = [f"市委书记 {n}" for n in person_names(rng, 1)] + [f"市长 {n}" for n in person_names(rng, 1)]
    deputies = [f"{p} {n}" for p, n in zip(("市委副书记", "市委常委、政法委书记", "副市长", "副市长", "副市长",
                                            "市委常委、常务副市长"), person_names(rng, 6), strict=True)]
    handlers = {}
    for code in chosen["county_code"].unique():
        secretary, head, _ = _posts(places.names[code])
        handlers[code] = [f"{secretary} {n}" for n in person_names(rng, 1)] + [f"{head} {n}" for n in
                                                                                 person_names(rng, 1)]
    force_of = {(f.county_code, f.category): f.id for f in forces.itertuples()}
    listings = pd.DataFrame({
        "id": np.arange(1, k + 1),
        "case_id": chosen["id"].to_numpy(),
        "listed_at": listed.dt.floor("s").to_numpy(),
        "coordinator": rng.choice(city_top, k),
        "supervisor": rng.choice(deputies, k),
        "handler": [handlers[c][i] for c, i in zip(chosen["county_code"], rng.integers(0, 2, k), strict=True)],
        "task_force_id": pd.array([force_of.get((c, cat)) for c, cat in zip(chosen["county_code"], chosen["category"],
                                                                           strict=True)], dtype="Int64"),
    })
    milestones = _milestones(rng, listings, chosen, as_of)
    notes = _notes(rng, listings, chosen, as_of)
    return forces, listings, milestones, notes


def _task_forces(rng: np.random.Generator, places: Places) -> pd.DataFrame:
    counties = sorted(places.grids["county_code"].unique())
    rows = []
    for county in counties:
        name = places.names[county]
        for domain in SENSITIVE_DOMAINS:
            leader = f"{name}委副书记 {person_names(rng, 1)[0]}"
            formed = datetime(2021, 1, 4, 9, 30) + timedelta(days=int(rng.integers(0, 60)))
            rows.append((f"{name}{domain}问题化解专班", domain, county, leader, formed))
    frame = pd.DataFrame(rows, columns=["name", "category", "county_code", "leader", "formed_at"])
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


def _milestones(rng: np.random.Generator, listings: pd.DataFrame, cases: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Four milestones per listing; done on time mostly, some late, some still open past due."""
    rows = []
    closed = cases["closed_at"]
    for lid, listed, stop in zip(listings["id"], pd.to_datetime(listings["listed_at"]), closed, strict=True):
        end = as_of if pd.isna(stop) else pd.Timestamp(stop).to_pydatetime()
        for seq, (title, days) in enumerate(MILESTONES, start=1):
            due = listed.to_pydatetime() + timedelta(days=days)
            done: datetime | None
            if seq == len(MILESTONES) and not pd.isna(stop):
                done = end
            else:
                slip = rng.uniform(-5, 2) if rng.random() > 0.18 else rng.uniform(3, 25)
                done = due + timedelta(days=float(slip))
                done = max(done, listed.to_pydatetime() + timedelta(hours=6))
                if done >= end:
                    done = None if pd.isna(stop) else end
                elif pd.isna(stop) and due < as_of and rng.random() < 0.2:
                    done = None
            rows.append((int(lid), seq, title, due, done))
    frame = pd.DataFrame(rows, columns=["listing_id", "seq", "title", "due_at", "done_at"])
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


def _notes(rng: np.random.Generator, listings: pd.DataFrame, cases: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    from data.demo_cases import DEPARTMENT

    rows = []
    for lid, listed, stop, handler, cat in zip(listings["id"], pd.to_datetime(listings["listed_at"]), cases["closed_at"],
                                               listings["handler"], cases["category"], strict=True):
        end = pd.Timestamp(as_of) if pd.isna(stop) else pd.Timestamp(stop)
        n = int(rng.integers(2, 6))
        for frac, template in zip(sorted(rng.uniform(0.05, 0.95, n)), rng.choice(NOTES, n), strict=True):
            at = (listed + (end - listed) * frac).floor("s").to_pydatetime()
            author = handler if rng.random() < 0.6 else "市社会治理现代化指挥中心"
            rows.append((int(lid), at, author, template.format(dept=DEPARTMENT.get(cat, "有关"))))
    frame = pd.DataFrame(rows, columns=["listing_id", "at", "author", "text"])
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


# --- micro-grid work ---


def key_persons(rng: np.random.Generator, places: Places, scale: float, as_of: datetime) -> pd.DataFrame:
    """Key persons placed in grids by population, with when they came under and left supervision."""
    grids = places.grids
    weights = grids["population"].to_numpy(dtype=float)
    parts = []
    start = pd.Timestamp(published.DATA_START)
    for group, full in PERSONS_AT_FULL_SCALE.items():
        n = max(int(round(full * max(scale, 0.1))), 20)
        g = grids.iloc[rng.choice(len(grids), size=n, p=weights / weights.sum())]
        old = rng.random(n) < 0.7
        since = np.where(old, start - pd.to_timedelta(rng.uniform(30, 1100, n), unit="D"),
                         start + pd.to_timedelta(rng.uniform(0, (as_of - start.to_pydatetime()).days - 20, n), unit="D"))
        since = pd.to_datetime(since).floor("D") + pd.to_timedelta(rng.uniform(8.5, 17.5, n) * 3600, unit="s").floor("s")
        stay_days = {KeyGroup.RELEASED: rng.uniform(1500, 2200, n), KeyGroup.CORRECTION: rng.uniform(180, 1100, n),
                     KeyGroup.DRUG: np.full(n, 1095.0), KeyGroup.RENTAL: rng.uniform(90, 900, n)}[group]
        until = since + pd.to_timedelta(stay_days, unit="D")
        until = pd.Series(until).where(until < pd.Timestamp(as_of))
        parts.append(pd.DataFrame({"key_group": str(group), "name": person_names(rng, n), "grid_code": g["code"].to_numpy(),
                                   "village_code": g["village_code"].to_numpy(),
                                   "township_code": g["township_code"].to_numpy(),
                                   "county_code": g["county_code"].to_numpy(), "since": since,
                                   "until": until.dt.floor("s").to_numpy()}))
    persons = pd.concat(parts, ignore_index=True)
    persons = persons[persons["until"].isna() | (persons["until"] > start)].reset_index(drop=True)
    persons.insert(0, "id", np.arange(1, len(persons) + 1))
    return persons


def silent_spells(rng: np.random.Generator, places: Places, cases: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Spells without patrol logs in some grids, cut short by the grid's own first report in them."""
    grids = places.grids
    n = SILENT_SPELLS
    g = grids.iloc[rng.integers(0, len(grids), n)].reset_index(drop=True)
    total = (as_of - datetime.combine(published.DATA_START, datetime.min.time())).days
    start = pd.Series(pd.Timestamp(published.DATA_START) + pd.to_timedelta(rng.uniform(0, total - 5, n), unit="D"))
    end = start + pd.to_timedelta(rng.lognormal(np.log(35), 0.6, n), unit="D")
    spells = pd.DataFrame({"grid_code": g["code"], "village_code": g["village_code"], "township_code": g["township_code"],
                           "county_code": g["county_code"], "start_at": start.dt.floor("s"), "end_at": end.dt.floor("s")})
    reports = cases.loc[cases["channel"] == str(Channel.GRID), ["grid_code", "reported_at"]]
    hits = spells.reset_index().merge(reports, on="grid_code")
    hits = hits[(hits["reported_at"] >= hits["start_at"]) & (hits["reported_at"] < hits["end_at"])]
    first = hits.groupby("index")["reported_at"].min()
    spells.loc[first.index, "end_at"] = first.dt.floor("s")
    spells = spells[(spells["end_at"] - spells["start_at"]) >= pd.Timedelta(days=7)].copy()
    running = spells["end_at"] >= pd.Timestamp(as_of)
    spells["end_at"] = spells["end_at"].where(~running)
    spells = spells.sort_values(["grid_code", "start_at"]).drop_duplicates("grid_code", keep="first").reset_index(drop=True)
    spells.insert(0, "id", np.arange(1, len(spells) + 1))
    return spells


def _sweep_windows(years: range) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    return [(pd.Timestamp(y, m, 1), pd.Timestamp(y, m, 15), str(mode)) for y in years for m, mode in SWEEPS]


def visits(rng: np.random.Generator, persons: pd.DataFrame, silences: pd.DataFrame, places: Places,
           as_of: datetime) -> pd.DataFrame:
    """Visits at roughly each person's frequency (a few late), sweep visits, none in a silent spell."""
    start = pd.Timestamp(published.DATA_START)
    stop = pd.Timestamp(as_of)
    parts = []
    for group, days in VISIT_DAYS.items():
        who = persons[persons["key_group"] == str(group)]
        lo = who["since"].where(who["since"] > start, start).to_numpy().astype("datetime64[s]")
        hi = who["until"].fillna(stop).to_numpy().astype("datetime64[s]")
        k = int(np.ceil(((stop - start).days + 60) / (0.55 * days))) + 1
        gaps = np.where(rng.random((len(who), k)) < 0.07, rng.uniform(1.1, 2.2, (len(who), k)),
                        rng.uniform(0.55, 1.0, (len(who), k))) * days
        gaps[:, 0] = rng.uniform(0, days, len(who))
        at = lo[:, None] + (np.cumsum(gaps, axis=1) * 86400).astype("timedelta64[s]")
        at = at + (rng.normal(10.5, 2.5, at.shape).clip(7, 20) * 3600).astype("timedelta64[s]")
        mask = at < hi[:, None]
        rows = np.nonzero(mask)
        parts.append(pd.DataFrame({"person_id": who["id"].to_numpy()[rows[0]], "at": at[rows]}))
    out = pd.concat(parts, ignore_index=True)
    out["mode"] = str(VisitMode.ROUTINE)
    sweep_rows = []
    for lo_s, hi_s, mode in _sweep_windows(range(published.DATA_START.year, published.DATA_END.year + 1)):
        in_sweep = (out["at"] >= lo_s) & (out["at"] < hi_s)
        out.loc[in_sweep, "mode"] = mode
        active = persons[(persons["since"] < lo_s) & (persons["until"].isna() | (persons["until"] > hi_s))]
        extra = active[rng.random(len(active)) < 0.5]
        sweep_rows.append(pd.DataFrame({"person_id": extra["id"].to_numpy(), "mode": mode,
                                        "at": lo_s + pd.to_timedelta(rng.uniform(0.3, 14, len(extra)), unit="D")}))
    out = pd.concat([out, *sweep_rows], ignore_index=True)
    out = out.merge(persons[["id", "grid_code", "village_code", "township_code", "county_code"]],
                    left_on="person_id", right_on="id").drop(columns="id")
    out = _outside_silences(out, silences, stop)
    out["worker_id"] = pd.array(places.liaison.reindex(out["grid_code"]).to_numpy(), dtype="Int64")
    out["at"] = pd.to_datetime(out["at"]).dt.floor("s")
    out = out.sort_values(["at", "person_id"], kind="stable").reset_index(drop=True)
    out.insert(0, "id", np.arange(1, len(out) + 1))
    return out[["id", "person_id", "worker_id", "grid_code", "village_code", "township_code", "county_code", "at",
                "mode"]]


def _outside_silences(out: pd.DataFrame, silences: pd.DataFrame, stop: pd.Timestamp) -> pd.DataFrame:
    """Drop the visits that fall in a silent spell of their grid (a silent grid logs nothing)."""
    spells = silences[["grid_code", "start_at", "end_at"]].assign(end_at=silences["end_at"].fillna(stop))
    joined = out.reset_index().merge(spells, on="grid_code", how="inner")
    inside = joined[(joined["at"] >= joined["start_at"]) & (joined["at"] < joined["end_at"])]["index"]
    return out.drop(index=inside.unique())


def parties(rng: np.random.Generator, cases: pd.DataFrame) -> pd.DataFrame:
    """People involved in disputes and petitions, stored when three or more."""
    pool = cases[cases["kind"].isin([str(Kind.DISPUTE), str(Kind.PETITION)])]
    n = len(pool)
    boost = pool["category"].isin(["劳资纠纷", "征地拆迁", "非法金融", "劳动社保", "物业纠纷"]).to_numpy()
    u = rng.random(n) / np.where(boost, 2.0, 1.0)
    people = np.select([u < 0.00005, u < 0.0003, u < 0.001, u < 0.008, u < 0.08],
                       [rng.integers(80, 151, n), rng.integers(40, 80, n), rng.integers(20, 40, n),
                        rng.integers(10, 20, n), rng.integers(3, 10, n)], default=0)
    keep = people >= 3
    return pd.DataFrame({"case_id": pool["id"].to_numpy()[keep], "people": people[keep]})


# --- warnings ---


def warnings(engine: Engine, rng: np.random.Generator, places: Places, as_of: datetime) -> None:
    """Evaluate the rules over the whole history and give each warning a believable workflow."""
    rules = AlertRules.load()
    start = datetime.combine(published.DATA_START, datetime.min.time())
    candidates = evaluate(engine, rules, start, as_of, start)
    rows = warning_rows(engine, candidates, rules)
    if rows.empty:
        return
    rows.insert(0, "id", np.arange(1, len(rows) + 1))
    flow = _Flow.of(rows)
    names = places.names.to_dict()
    events: list[tuple] = []
    for i in range(len(rows)):
        events += _workflow(rng, flow, i, rules, names, as_of)
    flow.write_to(rows)
    for col in ("window_start", "window_end", "raised_at", "due_at", "assigned_at", "acknowledged_at", "closed_at"):
        rows[col] = pd.to_datetime(rows[col]).dt.floor("s")
    bulk_insert(engine, "risk_warnings", rows)
    ev = pd.DataFrame(events, columns=["warning_id", "at", "action", "actor", "level", "note"])
    ev["at"] = pd.to_datetime(ev["at"]).dt.floor("s")
    ev.insert(0, "id", np.arange(1, len(ev) + 1))
    bulk_insert(engine, "risk_warning_events", ev)
    reset_sequences(engine, ["risk_warnings", "risk_warning_events"])
    escalate_overdue(engine, rules, as_of)
    set_meta(engine, {"alerts_version": get_meta(engine, "data_version") or "0"})


@dataclass
class _Flow:
    """The warning rows' columns the workflow reads and writes, as plain lists (one pandas `.loc` write per
    step cost about a millisecond, which made the demo's warnings the slowest part of a large build)."""

    id: list
    raised_at: list
    level: list
    rule: list
    township_code: list
    county_code: list
    due_at: list
    status: list
    assigned_unit: list
    assigned_at: list
    acknowledged_at: list
    closed_at: list
    close_note: list

    READ = ("id", "raised_at", "level", "rule", "township_code", "county_code", "due_at", "status")
    WRITTEN = ("level", "due_at", "status", "assigned_unit", "assigned_at", "acknowledged_at", "closed_at",
               "close_note")

    @classmethod
    def of(cls, rows: pd.DataFrame) -> _Flow:
        n = len(rows)
        read = {col: rows[col].tolist() for col in cls.READ}
        return cls(**read, **{col: [None] * n for col in cls.WRITTEN if col not in read})

    def write_to(self, rows: pd.DataFrame) -> None:
        for col in self.WRITTEN:
            rows[col] = pd.Series(getattr(self, col), index=rows.index, dtype=object)


def _hours(h: float) -> timedelta:
    return timedelta(hours=float(h))


def _workflow(rng: np.random.Generator, rows: _Flow, i: int, rules: AlertRules, names: dict[str, str],
              as_of: datetime) -> list[tuple]:
    """Assign, acknowledge (sometimes late, escalating first) and close one warning; updates its row.

    Steps after the data's end do not happen, except that every 重大 warning is acknowledged: the demo
    starts with no banner up.
    """
    wid, raised, level = int(rows.id[i]), rows.raised_at[i], str(rows.level[i])
    events: list[tuple] = [(wid, raised, str(WarningAction.ISSUE), "系统", level, None)]
    order = [str(lv) for lv in WARNING_LEVEL_ORDER]
    due = raised + rules.ack_delta(level)
    assigned = raised + _hours(rng.uniform(0.3, 6) if level != str(WarningLevel.CRITICAL) else rng.uniform(0.1, 0.5))
    late = rng.random() < 0.1 and level != str(WarningLevel.CRITICAL)
    since = assigned
    ack = assigned + (due - assigned) * rng.uniform(0.1, 0.8)
    if late and due < as_of:
        level = order[order.index(level) + 1]
        events.append((wid, due, str(WarningAction.ESCALATE), "系统", level, "逾期未签收，自动升级"))
        since = due
        ack = due + rules.ack_delta(level) * rng.uniform(0.1, 0.8)
        due = due + rules.ack_delta(level)
    if ack >= as_of and due <= as_of:  # would go overdue at the data's end: acknowledged in time instead
        ack = since + (due - since) * rng.uniform(0.2, 0.9)
    critical = level == str(WarningLevel.CRITICAL)
    if assigned >= as_of and not critical:
        return _finish(rows, i, events, level, due, WarningStatus.ISSUED)
    township = rows.township_code[i]
    code = township if township else rows.county_code[i]
    suffix = UNIT_BY_RULE[rows.rule[i]] if township else "政法委"
    if suffix in ("信访局", "政法委"):
        code = rows.county_code[i]
    unit = f"{names.get(code, '')}{suffix}"
    rows.assigned_unit[i], rows.assigned_at[i] = unit, assigned
    events.append((wid, assigned, str(WarningAction.ASSIGN), "市社会治理现代化指挥中心", level, unit))
    if ack >= as_of and not critical:
        return _finish(rows, i, events, level, due, WarningStatus.ASSIGNED)
    rows.acknowledged_at[i] = ack
    events.append((wid, ack, str(WarningAction.ACKNOWLEDGE), unit, level, None))
    closed = ack + timedelta(days=float(rng.uniform(1, 20)))
    if closed >= as_of:
        return _finish(rows, i, events, level, due, WarningStatus.ACKNOWLEDGED)
    note = str(rng.choice(CLOSE_NOTES))
    rows.closed_at[i], rows.close_note[i] = closed, note
    events.append((wid, closed, str(WarningAction.CLOSE), unit, level, note))
    return _finish(rows, i, events, level, due, WarningStatus.CLOSED)


def _finish(rows: _Flow, i: int, events: list[tuple], level: str, due: datetime,
            status: WarningStatus) -> list[tuple]:
    """Record the warning's final level, deadline and status; its events' times are floored to the second
    by the caller, all at once."""
    rows.level[i], rows.due_at[i], rows.status[i] = level, due, str(status)
    return events
