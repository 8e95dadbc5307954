"""Import of media items (public-opinion monitoring) from CSV, xlsx or JSON lines, with the case import's safety.

The file is checked as a whole first (size, format, xlsx safety, encoding — the case importer's checks); each
row is validated and a bad row is quarantined with row number, field, value and reason (kept in the import
log's quarantine table and a rejects CSV); good rows are upserted by their id (编号, or a hash of source, time
and title when the file has none), so importing the same file twice changes nothing. Sentiment and topic are
computed on import by the offline method of `data.sentiment`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update

from data.importer.faults import FileRefused
from data.importer.parsing import parse_dates
from data.importer.report import Counts, ImportReport
from data.indicator_import import (
    Lookup,
    Problem,
    RowSource,
    RunLog,
    check_required,
    field_map,
    fields_of,
    read_rows,
)
from data.maintenance import after_data_changed
from data.models_strategy import MEDIA_SOURCE_LABELS, MediaItem, MediaSource, ancestor_codes
from data.sentiment import analyse, topic_of

FIELD_LABELS = {"source": "来源", "published_at": "发布时间", "title": "标题", "text": "正文", "area": "区域",
                "reach": "传播量", "external_id": "编号"}
ALIASES: dict[str, tuple[str, ...]] = {
    "source": ("来源", "平台", "媒体类型", "渠道"),
    "published_at": ("发布时间", "时间", "发布日期", "日期", "time"),
    "title": ("标题", "题目"),
    "text": ("正文", "内容", "摘要", "content"),
    "area": ("区域", "区域编码", "地区", "属地"),
    "reach": ("传播量", "阅读量", "浏览量", "热度"),
    "external_id": ("编号", "id", "链接", "url", "原文链接"),
}
REQUIRED = ("source", "published_at", "title")
SOURCE_NAMES = {**{label: str(code) for code, label in MEDIA_SOURCE_LABELS.items()},
                **{str(code): str(code) for code in MediaSource},
                "微信公众号": "wechat", "公众号": "wechat", "抖音": "video", "快手": "video", "视频号": "video",
                "新闻": "news", "网站": "news", "贴吧": "forum", "社区论坛": "forum"}
TITLE_MAX, TEXT_MAX, ID_MAX = 200, 20_000, 64
COMPARED = ("source", "published_at", "title", "text", "area_code", "reach")


@dataclass(frozen=True)
class MediaRecord:
    """A validated item, before sentiment is computed."""

    external_id: str
    source: str
    published_at: datetime
    title: str
    text: str | None
    area_code: str | None
    reach: int


def _when(text: str) -> datetime:
    """A publication time by the case importer's date rules (ISO, 2023/9/14, 2023年9月14日 12:30, serials)."""
    values, bad = parse_dates(pd.Series([text], dtype=object))
    if bool(bad.iloc[0]) or pd.isna(values.iloc[0]):
        raise ValueError
    return values.iloc[0].to_pydatetime()


def _reach(text: str) -> int:
    value = float(text.replace(",", ""))
    if value < 0 or value != int(value) or value > 2_000_000_000:
        raise ValueError
    return int(value)


def validate_item(cells: dict[str, str], lookup: Lookup, row_no: int = 0) -> tuple[MediaRecord | None, list[Problem]]:
    """The record of one row, or every problem of the row (a bad row is refused whole)."""
    problems: list[Problem] = []

    def bad(name: str, reason: str) -> None:
        problems.append(Problem(row_no, FIELD_LABELS.get(name, name), cells.get(name, "")[:200], reason))

    if "_json" in cells:
        return None, [Problem(row_no, "整行", "", cells["_json"])]
    for name in REQUIRED:
        if not cells.get(name):
            bad(name, "必填项为空")
    source = SOURCE_NAMES.get(cells.get("source", ""))
    if cells.get("source") and source is None:
        bad("source", "未知来源（可选: 微博、微信、新闻网站、短视频、论坛）")
    when = _parsed(cells, "published_at", _when, bad, "时间格式无法识别")
    reach = _parsed(cells, "reach", _reach, bad, "传播量须为非负整数") or 0
    area = lookup.area(cells["area"]) if cells.get("area") else None
    if cells.get("area") and area is None:
        bad("area", "未知区域（须为区域编码，或市、县区名称）")
    for name, limit in (("title", TITLE_MAX), ("text", TEXT_MAX)):
        if len(cells.get(name, "")) > limit:
            bad(name, f"超过 {limit} 个字")
    if problems or source is None or when is None:
        return None, problems
    title, text = cells["title"], cells.get("text") or None
    return MediaRecord(_external_id(cells.get("external_id", ""), source, when, title), source, when, title, text,
                       area, reach), []


def _parsed(cells: dict[str, str], name: str, parse: Any, bad: Any, reason: str) -> Any:
    text = cells.get(name, "")
    if not text:
        return None
    try:
        return parse(text)
    except (ValueError, OverflowError):
        bad(name, reason)
        return None


def _external_id(given: str, source: str, when: datetime, title: str) -> str:
    """The file's id when short enough, else a stable hash (of the id, or of source, time and title)."""
    if given and len(given) <= ID_MAX:
        return given
    basis = given or f"{source}|{when.isoformat()}|{title}"
    return "h:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:40]


def _row(record: MediaRecord, import_id: int | None) -> dict[str, Any]:
    """The table row of a record: sentiment, topic and ancestor codes computed here, as for every item."""
    body = record.title + ("。" + record.text if record.text else "")
    tone = analyse(body)
    topic = topic_of(body)
    return {"external_id": record.external_id, "source": record.source, "published_at": record.published_at,
            "title": record.title, "text": record.text, "area_code": record.area_code,
            **ancestor_codes(record.area_code), "reach": record.reach, "sentiment": str(tone.label),
            "sentiment_score": tone.score, "topic": topic.code if topic else None,
            "kind": topic.kind if topic else None, "is_demo": False, "import_id": import_id}


def store_items(conn: Connection, records: list[MediaRecord], import_id: int | None) -> Counts:
    """Upsert by external id: new → inserted, identical → unchanged, changed → updated (sentiment recomputed)."""
    table = MediaItem.__table__
    existing: dict[str, Any] = {}
    ids = [r.external_id for r in records]
    for start in range(0, len(ids), 500):
        rows = conn.execute(select(table.c.id, table.c.external_id, *[table.c[c] for c in COMPARED])
                            .where(table.c.external_id.in_(ids[start:start + 500]))).all()
        existing.update({r.external_id: r for r in rows})
    counts, new_rows = Counts(), []
    for record in records:
        old = existing.get(record.external_id)
        if old is None:
            new_rows.append(_row(record, import_id))
            counts.inserted += 1
        elif all(getattr(old, c) == getattr(record, c) for c in COMPARED):
            counts.unchanged += 1
        else:
            conn.execute(update(table).where(table.c.id == old.id).values(**_row(record, import_id)))
            counts.updated += 1
    if new_rows:
        conn.execute(insert(table), new_rows)
    return counts


def import_opinion(engine: Engine, path: Path, actor: str = "cli", dry_run: bool = False, sheet: str | None = None,
                   encoding: str | None = None, address: str | None = None) -> ImportReport:
    """Import one file of media items; raises FileRefused when the file as a whole cannot be read."""
    log = RunLog(engine, "opinion", path.name, actor, dry_run, address).start()
    try:
        source = read_rows(path, sheet, encoding)
        if source.header:
            check_required(field_map(source.header, ALIASES), REQUIRED, FIELD_LABELS)
        records = _validated(source, Lookup(engine), log)
    except FileRefused as exc:
        log.refuse(exc)
        raise
    with engine.connect() as conn:
        trans = conn.begin()
        counts = store_items(conn, records, log.import_id)
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    counts = replace(counts, rejected=len({p.row_no for p, _ in log.problems}))
    with engine.begin() as conn:
        rejects = log.finish(conn, counts)
    if not dry_run and (counts.inserted or counts.updated):
        after_data_changed(engine)
    return log.report(counts, rejects)


def _validated(source: RowSource, lookup: Lookup, log: RunLog) -> list[MediaRecord]:
    """Good records in file order; bad rows and repeated ids go to the quarantine."""
    seen: dict[str, int] = {}
    records: list[MediaRecord] = []
    for row_no, cells in source.rows:
        record, problems = validate_item(fields_of(cells, ALIASES), lookup, row_no)
        if record is not None and record.external_id in seen:
            problems = [Problem(row_no, "编号", record.external_id, f"与第 {seen[record.external_id]} 行重复")]
        if problems:
            log.reject(problems, cells)
            continue
        assert record is not None
        seen[record.external_id] = row_no
        records.append(record)
    return records
