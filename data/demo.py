"""Build the demo database: real Suqian geography, synthetic structure and cases calibrated to published figures.

Deterministic for a seed; `--cases` scales the case volume while the structure stays the same.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from data import published
from data.cards import DEFAULT_RULE, CardRule, cards_frame
from data.db import bulk_insert, create_schema, drop_schema, make_engine, reset_sequences, set_meta
from data.demo_calibrate import calibrate
from data.demo_cases import as_of_datetime, simulate_cases, simulate_events
from data.demo_structure import build_structure
from data.demo_users import create_demo_users
from data.migrate import stamp
from data.summaries import rebuild as rebuild_summaries
from data.vocab import CARD_ORDER, Level
from geo.hierarchy import build_areas

GENERATOR_VERSION = "1"
# Later systems (backlog board, supervision, grid work, indicators …) add their demo data here: each module has
# build(engine, cases, seed, scale), and runs after the cases are stored.
DEMO_EXTENSIONS = ("data.demo_ops", "data.demo_strategy")


def extension_modules(names: tuple[str, ...]) -> list:
    """The extension modules that exist (a system not built yet is simply absent)."""
    import importlib

    found = []
    for name in names:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found


def grids_with_names(areas: pd.DataFrame) -> pd.DataFrame:
    """Grid rows with the names of their village, township and county (for unit names and case texts)."""
    names = areas.set_index("code")["name"]
    grids = areas[areas["level"] == Level.GRID].reset_index(drop=True)
    for col in ("village", "township", "county"):
        grids[f"{col}_name"] = grids[f"{col}_code"].map(names)
    grids["name"] = grids["township_name"] + grids["village_name"]
    return grids


def build_demo(
    database_url: str,
    cases: int = published.DEFAULT_CASES,
    seed: int = 2023,
    rule: CardRule = DEFAULT_RULE,
    log=print,
) -> dict[str, float]:
    """Drop and rebuild every table at `database_url`; returns timings in seconds per phase."""
    if cases < 5_000:
        raise ValueError("演示数据至少需要 5,000 件案件才能复现公开数据（--cases ≥ 5000）")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    engine = make_engine(database_url)
    drop_schema(engine)
    create_schema(engine)
    stamp(database_url)

    records = build_areas(seed)
    structure = build_structure(records, rng)
    timings["structure"] = time.perf_counter() - t0
    log(f"结构: {len(records):,} 个区域, {len(structure.centers):,} 个中心, {len(structure.workers):,} 名网格人员")

    t1 = time.perf_counter()
    as_of = as_of_datetime(published.DATA_END)
    frame = simulate_cases(rng, grids_with_names(structure.areas), cases, as_of)
    frame = calibrate(frame, rng, pd.Timestamp(as_of))
    frame = frame.sort_values("reported_at", kind="stable").reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame.insert(1, "case_no", _case_numbers(frame))
    events, first_late = simulate_events(rng, frame, as_of)
    cards = cards_frame(rule, frame["id"].to_numpy(), frame["due_at"], frame["closed_at"], as_of, first_late)
    frame["card"] = _highest_card(frame["id"], cards)
    timings["simulate"] = time.perf_counter() - t1
    log(f"案件: {len(frame):,} 件, 事件 {len(events):,} 条, 督办牌 {len(cards):,} 张")

    t2 = time.perf_counter()
    bulk_insert(engine, "areas", _area_rows(structure.areas))
    bulk_insert(engine, "service_centers", structure.centers)
    bulk_insert(engine, "institutions", structure.institutions)
    bulk_insert(engine, "center_staff", structure.staff)
    bulk_insert(engine, "grid_workers", structure.workers)
    bulk_insert(engine, "cases", frame)
    events.insert(0, "id", np.arange(1, len(events) + 1))
    bulk_insert(engine, "case_events", events)
    cards.insert(0, "id", np.arange(1, len(cards) + 1))
    bulk_insert(engine, "case_cards", cards)
    reset_sequences(
        engine, ["service_centers", "institutions", "center_staff", "grid_workers", "cases", "case_events", "case_cards"]
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    set_meta(
        engine,
        {
            "as_of": published.DATA_END.isoformat(),
            "seed": str(seed),
            "cases": str(cases),
            "generator_version": GENERATOR_VERSION,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_version": str(time.time_ns()),
        },
    )
    create_demo_users(engine)
    timings["insert"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    for module in extension_modules(DEMO_EXTENSIONS):
        module.build(engine, frame, seed, cases / published.DEFAULT_CASES)
    if engine.dialect.name == "postgresql":  # the extensions' tables too: without statistics the planner guesses;
        with engine.connect() as conn:  # VACUUM sets the visibility map the index-only scans need
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM (ANALYZE)")
    timings["extensions"] = time.perf_counter() - t3
    timings["summaries"] = sum(rebuild_summaries(engine).values())
    timings["total"] = time.perf_counter() - t0
    engine.dispose()
    log(f"完成: 用时 {timings['total']:.1f} 秒")
    return timings


def _case_numbers(frame: pd.DataFrame) -> list[str]:
    """Case numbers like SQ2023321322000123: year, county and a running sequence per year."""
    year = frame["reported_at"].dt.year.astype(str).to_numpy()
    seq = frame.groupby(frame["reported_at"].dt.year).cumcount().to_numpy() + 1
    county = frame["county_code"].str[:6].to_numpy()
    return [f"SQ{y}{c}{s:07d}" for y, c, s in zip(year, county, seq, strict=True)]


def _highest_card(case_id: pd.Series, cards: pd.DataFrame) -> pd.Series:
    rank = {str(c): i for i, c in enumerate(CARD_ORDER)}
    if cards.empty:
        return pd.Series([None] * len(case_id))
    top = cards.assign(r=cards["color"].map(rank)).groupby("case_id")["r"].max()
    colors = np.array([str(c) for c in CARD_ORDER], dtype=object)
    mapped = case_id.map(top)
    return pd.Series([None if pd.isna(v) else colors[int(v)] for v in mapped], index=case_id.index)


def _area_rows(areas: pd.DataFrame) -> pd.DataFrame:
    """Areas ordered parents first so that the self-referencing foreign key holds during insert."""
    order = {str(lv): i for i, lv in enumerate((Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GRID))}
    return areas.sort_values("level", key=lambda s: s.map(order), kind="stable")
