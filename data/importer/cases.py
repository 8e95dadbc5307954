"""The case import: read in chunks, map, validate, stage, then apply in one transaction.

Memory stays bounded by one chunk (plus 8 bytes per case number, to catch duplicates across chunks);
progress goes to the import log after every chunk so that any worker can show it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from data.db import as_of_date
from data.importer.dbio import RawDB
from data.importer.faults import FileRefused
from data.importer.mapping import Mapping
from data.importer.options import ImportOptions
from data.importer.reading import Table
from data.importer.report import Counts, RejectsWriter
from data.importer.runs import finish_raw, set_progress
from data.importer.spatial import GridIndex
from data.importer.upsert import CaseStage, as_of_end
from data.importer.validation import CaseValidator

Log = Callable[[str], None]


def import_cases(engine: Engine, table: Table, mapping: Mapping, opts: ImportOptions,
                 import_id: int) -> tuple[Counts, str | None, bool]:
    """Run the case import on an opened table; returns (counts, rejects file, whether data changed)."""
    log = opts.log
    grids = GridIndex(engine)
    if grids.grids.empty:
        raise FileRefused("数据库中还没有网格，请先导入区域边界（import areas）或生成演示数据")
    meta_day = as_of_date(engine)
    validator = CaseValidator(
        grids, mapping.sources(table.header),
        coords=opts.coords or mapping.coords or "wgs84", date_formats=mapping.date_formats,
        as_of=as_of_end(meta_day) if meta_day else None,
    )
    db = RawDB(engine)
    try:
        stage = CaseStage(db, mapping.provided(table.header))
        counts, rejects_file, last_day = _stage_all(engine, table, mapping, validator, stage, import_id, log)
        if opts.dry_run:
            _finish_dry_run(db, stage, import_id, counts, rejects_file)
            return counts, rejects_file, False
        set_progress(engine, import_id, counts.received, "写入数据库")
        log("写入数据库…")
        _apply(db, stage, import_id, counts, rejects_file, meta_day, last_day, opts, log)
        return counts, rejects_file, counts.inserted + counts.updated > 0
    finally:
        db.close()


def _stage_all(engine: Engine, table: Table, mapping: Mapping, validator: CaseValidator, stage: CaseStage,
               import_id: int, log: Log) -> tuple[Counts, str | None, date | None]:
    """Phase 1: every chunk validated and staged; nothing in the real tables changes."""
    counts = Counts()
    rejects = RejectsWriter(import_id)
    last_day: date | None = None
    try:
        for chunk in table.chunks:
            good, problems = validator.validate(mapping.apply(chunk, table.header), chunk)
            new, changed, same = stage.add(good)
            stage.add_problems(problems)
            rejects.write(problems)
            counts.inserted += new
            counts.updated += changed
            counts.unchanged += same
            counts.rejected += int(problems["row_no"].nunique())
            last_day = _latest(last_day, good)
            set_progress(engine, import_id, counts.received, f"已读取 {counts.received:,} 行")
            log(f"已读取 {counts.received:,} 行（拒收 {counts.rejected:,}）")
    finally:
        rejects_file = rejects.close()
    return counts, rejects_file, last_day


def _latest(current: date | None, good: pd.DataFrame) -> date | None:
    """The latest registration or closing day seen so far: the data's own 'now'."""
    stamps = pd.concat([good["reported_at"], good["closed_at"]]).dropna()
    if stamps.empty:
        return current
    day = stamps.max().date()
    return day if current is None or day > current else current


def _finish_dry_run(db: RawDB, stage: CaseStage, import_id: int, counts: Counts, rejects_file: str | None) -> None:
    """A dry run keeps its log and quarantine (that is its report) but no case data."""
    db.begin_write()
    stage.store_problems(import_id)
    finish_raw(db, import_id, counts, rejects_file, "试运行：未写入数据")
    db.commit()


def _apply(db: RawDB, stage: CaseStage, import_id: int, counts: Counts, rejects_file: str | None,
           meta_day: date | None, last_day: date | None, opts: ImportOptions, log: Log) -> None:
    """Phase 2: one transaction for cases, events, cards, quarantine, the data date and the log entry."""
    advanced = last_day is not None and (meta_day is None or last_day > meta_day)
    day = last_day if advanced else meta_day
    db.begin_write()
    touched = stage.apply(as_of_end(day or date.today()), advanced, opts.rule, log)
    stage.store_problems(import_id)
    if advanced and day is not None:
        _set_as_of(db, day)
    finish_raw(db, import_id, counts, rejects_file)
    db.commit()
    log(f"已提交事务（{touched:,} 件案件有变化）")


def _set_as_of(db: RawDB, day: date) -> None:
    """Newer data moves the dashboards' 'today' forward with it."""
    if db.execute("UPDATE meta SET value = ? WHERE key = 'as_of'", (day.isoformat(),)) == 0:
        db.execute("INSERT INTO meta (key, value) VALUES ('as_of', ?)", (day.isoformat(),))
