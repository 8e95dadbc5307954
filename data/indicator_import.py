"""Indicator values: the catalog of the seed's indicators, period parsing, and the import from CSV/xlsx/JSON lines.

An import follows the case import's rules (and reuses its file checks, reader, run log, quarantine table and
report): the file is checked as a whole first (size, format, xlsx safety, encoding); then every row is
validated and a bad row is quarantined with its row number, field, value and reason — never half-loaded; the
good rows are upserted by (indicator, area, period) in one transaction, so a re-import of the same file
changes nothing. Every value keeps who entered it and when, and every entry is appended to a log.

The plumbing in the "shared" section (reading JSON lines, header aliases, the run log) is also used by
`data.opinion_import`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from data.accounts import audit
from data.db import create_schema
from data.importer.faults import FileRefused, inspect_file, max_bytes
from data.importer.reading import ROW_COL, open_table
from data.importer.report import Counts, ImportReport, RejectsWriter, write_report
from data.importer.runs import create_run, end_run, finish_run
from data.maintenance import after_data_changed
from data.models import Area, QuarantineRow
from data.models_strategy import (
    CaseMetric,
    Direction,
    EntrySource,
    Indicator,
    IndicatorGroup,
    IndicatorValue,
    IndicatorValueLog,
    PeriodType,
)
from data.vocab import Level

# --- the catalog ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator the command center knows; values for anything else are refused."""

    code: str
    name: str
    unit: str
    direction: Direction
    category: IndicatorGroup
    source: str
    target: float | None = None
    case_metric: CaseMetric | None = None
    rank_note: str | None = None


SURVEY_SOURCE = "江苏省公众安全感和政法队伍满意度调查"
CATALOG: tuple[IndicatorDef, ...] = (
    IndicatorDef("safety_sense", "群众安全感", "%", Direction.HIGHER, IndicatorGroup.SURVEY, SURVEY_SOURCE, 98.5),
    IndicatorDef("workforce_satisfaction", "政法队伍满意度", "%", Direction.HIGHER, IndicatorGroup.SURVEY,
                 SURVEY_SOURCE, 96.0),
    IndicatorDef("mediation_rate", "矛盾纠纷调解率", "%", Direction.HIGHER, IndicatorGroup.SURVEY, SURVEY_SOURCE, 95.0,
                 CaseMetric.MEDIATION),
    IndicatorDef("dispute_resolution", "矛盾纠纷化解率", "%", Direction.HIGHER, IndicatorGroup.SURVEY, SURVEY_SOURCE,
                 94.0, CaseMetric.DISPUTE_RESOLUTION),
    IndicatorDef("security_resolution", "治安问题解决率", "%", Direction.HIGHER, IndicatorGroup.SURVEY,
                 SURVEY_SOURCE, 93.0, CaseMetric.SECURITY_RESOLUTION),
    IndicatorDef("fraud_awareness", "反诈知晓率", "%", Direction.HIGHER, IndicatorGroup.FRAUD, SURVEY_SOURCE, 80.0,
                 rank_note="在全省三类地区中的名次"),
    IndicatorDef("crime_rate", "刑事案件发案率", "件/万人", Direction.LOWER, IndicatorGroup.CRIME, "市公安局", 7.0),
    IndicatorDef("crime_total", "刑事案件发案总量", "件", Direction.LOWER, IndicatorGroup.CRIME, "市公安局",
                 rank_note="全省13个设区市按发案总量由多到少排序，名次越靠后发案越少"),
    IndicatorDef("juvenile_crime", "未成年人犯罪人数", "人", Direction.LOWER, IndicatorGroup.JUVENILE, "市人民检察院",
                 rank_note="全省13个设区市排名，口径以省通报为准"),
    IndicatorDef("school_bullying_change", "校园欺凌案件同比变化", "%", Direction.LOWER, IndicatorGroup.JUVENILE,
                 "市教育局", -10.0),
)


def ensure_catalog(engine: Engine) -> int:
    """Insert the catalog's indicators that are missing (existing ones are left as they are); returns inserted."""
    create_schema(engine)
    with engine.begin() as conn:
        have = set(conn.execute(select(Indicator.code)).scalars())
        rows = [{"code": d.code, "name": d.name, "unit": d.unit, "direction": str(d.direction),
                 "category": str(d.category), "source": d.source, "target": d.target,
                 "case_metric": str(d.case_metric) if d.case_metric else None, "rank_note": d.rank_note,
                 "sort_order": i} for i, d in enumerate(CATALOG) if d.code not in have]
        if rows:
            conn.execute(insert(Indicator), rows)
    return len(rows)


# --- periods --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSpec:
    """A reporting period: its type, canonical key (2023, 2023H1, 2023Q3, 2023-07) and its days."""

    type: PeriodType
    key: str
    start: date
    end: date

    @property
    def label(self) -> str:
        """The period in Chinese, e.g. 2023年上半年."""
        year = self.start.year
        if self.type == PeriodType.YEAR:
            return f"{year}年"
        if self.type == PeriodType.HALF:
            return f"{year}年{'上' if self.start.month == 1 else '下'}半年"
        if self.type == PeriodType.QUARTER:
            return f"{year}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        return f"{year}年{self.start.month}月"


_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR = re.compile(r"^(\d{4})\s*年?度?$")
_HALF = re.compile(r"^(\d{4})\s*(?:年)?\s*(?:-?\s*[Hh]\s*([12])|([上下])\s*半\s*年)$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:年)?\s*(?:-?\s*[Qq]\s*([1-4])|第?\s*([一二三四1-4])\s*季\s*度?)$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?$")
MIN_YEAR, MAX_YEAR = 2000, 2100


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _spec(kind: PeriodType, year: int, first_month: int, months: int, key: str) -> PeriodSpec:
    return PeriodSpec(kind, key, date(year, first_month, 1), _month_end(year, first_month + months - 1))


def parse_period(text: str) -> PeriodSpec:
    """2022 / 2022年 / 2023H1 / 2023年上半年 / 2023Q3 / 2023年第三季度 / 2023-07 / 2023年7月; ValueError otherwise."""
    raw = str(text or "").strip()
    period: PeriodSpec | None = None
    if m := _YEAR.match(raw):
        year = int(m.group(1))
        period = _spec(PeriodType.YEAR, year, 1, 12, f"{year}")
    elif m := _HALF.match(raw):
        year, half = int(m.group(1)), 1 if (m.group(2) == "1" or m.group(3) == "上") else 2
        period = _spec(PeriodType.HALF, year, 1 + 6 * (half - 1), 6, f"{year}H{half}")
    elif m := _QUARTER.match(raw):
        year, quarter = int(m.group(1)), _CN_DIGIT[m.group(2) or m.group(3)]
        period = _spec(PeriodType.QUARTER, year, 3 * quarter - 2, 3, f"{year}Q{quarter}")
    elif (m := _MONTH.match(raw)) and 1 <= int(m.group(2)) <= 12:
        year, month = int(m.group(1)), int(m.group(2))
        period = _spec(PeriodType.MONTH, year, month, 1, f"{year}-{month:02d}")
    if period is None:
        raise ValueError("期间格式无法识别（示例: 2022、2023H1、2023年上半年、2023Q3、2023-07）")
    if not MIN_YEAR <= period.start.year <= MAX_YEAR:
        raise ValueError(f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间")
    return period


# --- shared import plumbing (also used by data.opinion_import) -----------------------------------------

MAX_LINE_BYTES = 1 << 20  # a JSON line longer than this is not a record, it is an attack or a broken export
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Problem:
    """One reason one row was refused."""

    row_no: int
    field: str
    value: str
    reason: str


@dataclass
class RowSource:
    """The file's column names and its rows as (row number, {column: text}) — numbered as the user sees them."""

    header: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]


def is_json_lines(path: Path) -> bool:
    """JSON lines by extension or by content (first non-blank character is `{`)."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return True
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def read_rows(path: Path, sheet: str | None = None, encoding: str | None = None) -> RowSource:
    """Rows of a CSV, xlsx (checked like the case import) or JSON-lines file; refuses the file when unreadable."""
    if is_json_lines(path):
        return _json_lines(path)
    info = inspect_file(path, encoding)
    table = open_table(path, info, sheet)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for chunk in table.chunks:
            for record in chunk.to_dict("records"):
                row_no = int(record.pop(ROW_COL))
                yield row_no, {k: "" if v is None else str(v) for k, v in record.items()}

    return RowSource(table.header, rows())


def _json_lines(path: Path) -> RowSource:
    """JSON lines: one object per line; a line that is not an object becomes a row with a `_json` problem."""
    size = path.stat().st_size if path.is_file() else -1
    if size < 0:
        raise FileRefused(f"找不到文件: {path.name}")
    if size == 0:
        raise FileRefused("文件为空")
    if size > max_bytes():
        raise FileRefused(f"文件 {size / 1048576:.1f} MB，超过上限（IMPORT_MAX_MB）")
    header: list[str] = []

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with path.open("rb") as fh:
            for no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                yield no, _json_record(line)

    return RowSource(header, rows())


def _json_record(line: bytes) -> dict[str, str]:
    """One JSON line as text cells; a broken line is kept as `{"_json": reason, "_raw": text}` so it is quarantined."""
    raw = line[:2000].decode("utf-8", "replace").strip()
    if len(line) > MAX_LINE_BYTES:
        return {"_json": "该行超过 1 MB", "_raw": raw}
    try:
        obj = json.loads(line.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"_json": "不是有效的 JSON（须为 UTF-8 编码、每行一个对象）", "_raw": raw}
    if not isinstance(obj, dict):
        return {"_json": "每行须为一个 JSON 对象", "_raw": raw}
    return {str(k): "" if v is None else str(v) for k, v in obj.items()}


def field_map(header: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """File column → field name, by the aliases (case-insensitive, spaces ignored); unknown columns are dropped."""
    lookup = {re.sub(r"\s+", "", a).lower(): name for name, names in aliases.items() for a in (name, *names)}
    return {col: lookup[key] for col in header if (key := re.sub(r"\s+", "", col).lower()) in lookup}


def check_required(mapped: dict[str, str], required: tuple[str, ...], labels: dict[str, str]) -> None:
    """Refuse a CSV/xlsx file whose header lacks a required column (nothing could be imported from it)."""
    missing = [labels[f] for f in required if f not in mapped.values()]
    if missing:
        raise FileRefused(f"缺少必填列: {'、'.join(missing)}")


def fields_of(cells: dict[str, str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """A row's cells by field name, trimmed and without control characters (JSON keys are mapped per row)."""
    mapped = field_map(list(cells), aliases)
    out = {name: _CONTROL.sub("", cells[col]).strip() for col, name in mapped.items()}
    if "_json" in cells:
        out["_json"] = cells["_json"]
    return out


@dataclass
class RunLog:
    """The import's entry in the shared import log, its quarantine rows and its rejects file."""

    engine: Engine
    kind: str
    file_name: str
    actor: str
    dry_run: bool
    address: str | None = None
    import_id: int = 0
    problems: list[tuple[Problem, str]] = field(default_factory=list)

    def start(self) -> RunLog:
        self.import_id = create_run(self.engine, self.kind, self.file_name, self.actor, self.dry_run)
        return self

    def refuse(self, exc: FileRefused) -> None:
        end_run(self.engine, self.import_id, "refused", str(exc))
        audit(self.engine, self.actor, "import", {"id": self.import_id, "kind": self.kind, "file": self.file_name,
                                                  "status": "refused", "message": str(exc)}, self.address)

    def reject(self, problems: list[Problem], cells: dict[str, str]) -> None:
        raw = json.dumps(cells, ensure_ascii=False)[:20000]
        self.problems.extend((p, raw) for p in problems)

    def finish(self, conn: Connection, counts: Counts) -> str | None:
        """Quarantine rows, the rejects CSV and the final counts, inside the caller's transaction."""
        if self.problems:
            conn.execute(insert(QuarantineRow), [
                {"import_id": self.import_id, "row_no": p.row_no, "field": p.field[:64], "value": p.value[:2000],
                 "reason": p.reason[:200], "raw": raw} for p, raw in self.problems])
        rejects = self._write_rejects()
        finish_run(conn, self.import_id, counts, rejects)
        return rejects

    def _write_rejects(self) -> str | None:
        import pandas as pd

        if not self.problems:
            return None
        writer = RejectsWriter(self.import_id)
        writer.write(pd.DataFrame([{"row_no": p.row_no, "field": p.field, "value": p.value, "reason": p.reason,
                                    "raw": raw} for p, raw in self.problems]))
        return writer.close()

    def report(self, counts: Counts, rejects: str | None) -> ImportReport:
        report = ImportReport(self.import_id, self.kind, self.file_name, counts, rejects, self.dry_run)
        write_report(report)
        audit(self.engine, self.actor, "import", {"id": self.import_id, "kind": self.kind, "file": self.file_name,
                                                  "dry_run": self.dry_run, **report.as_json()}, self.address)
        return report


# --- validation -----------------------------------------------------------------------------------------

FIELD_LABELS = {"indicator": "指标", "area": "区域", "period": "期间", "value": "数值", "target": "目标值",
                "province_rank": "全省排名", "rank_total": "排名总数", "rank_group": "排名范围", "tier": "梯队",
                "note": "备注"}
ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("指标", "指标名称", "指标代码", "指标编码"),
    "area": ("区域", "区域编码", "地区", "行政区划"),
    "period": ("期间", "统计期间", "时期", "周期"),
    "value": ("数值", "值", "指标值"),
    "target": ("目标值", "目标"),
    "province_rank": ("全省排名", "排名", "名次"),
    "rank_total": ("排名总数", "参评数", "参与排名数"),
    "rank_group": ("排名范围", "排名口径", "比较范围"),
    "tier": ("梯队", "方阵", "等次"),
    "note": ("备注", "说明"),
}
REQUIRED = ("indicator", "area", "period", "value")
TEXT_LIMITS = {"rank_group": 32, "tier": 32, "note": 200}


@dataclass(frozen=True)
class ValueRecord:
    """A validated value, ready to store."""

    indicator_code: str
    area_code: str
    period: PeriodSpec
    value: float
    target: float | None = None
    province_rank: int | None = None
    rank_total: int | None = None
    rank_group: str | None = None
    tier: str | None = None
    note: str | None = None
    is_demo: bool = False
    rank_is_demo: bool = False

    def key(self) -> tuple[str, str, str]:
        return self.indicator_code, self.area_code, self.period.key


class Lookup:
    """Indicators and areas known to the database, looked up once per import (or form submission)."""

    def __init__(self, engine: Engine) -> None:
        with engine.connect() as conn:
            rows = conn.execute(select(Indicator.code, Indicator.name, Indicator.unit)).all()
            named = conn.execute(select(Area.code, Area.name).where(
                Area.level.in_([str(Level.CITY), str(Level.COUNTY)]))).all()
        self.indicators = {r.code: r.code for r in rows} | {r.name: r.code for r in rows}
        self.units = {r.code: r.unit for r in rows}
        self.area_names = {r.name: r.code for r in named}
        self._engine = engine
        self._areas: dict[str, str | None] = {}

    def area(self, text: str) -> str | None:
        """The full code of an area given by code (6/9/12/15 digits) or by city/county name; None if unknown."""
        if text in self.area_names:
            return self.area_names[text]
        if text not in self._areas:
            from data.filters import find_area

            found = find_area(self._engine, text) if text.isdigit() else None
            self._areas[text] = found.code if found else None
        return self._areas[text]


def _number(text: str) -> float:
    value = float(text.replace(",", "").rstrip("%").strip())
    if not math.isfinite(value):
        raise ValueError
    return value


def _whole(text: str) -> int:
    value = _number(text)
    if value != int(value) or value < 1:
        raise ValueError
    return int(value)


def validate_row(cells: dict[str, str], lookup: Lookup, row_no: int = 0) -> tuple[ValueRecord | None, list[Problem]]:
    """The record for one row, or every problem of the row (a row with any problem is refused whole)."""
    problems: list[Problem] = []

    def bad(name: str, reason: str) -> None:
        problems.append(Problem(row_no, FIELD_LABELS.get(name, name), cells.get(name, ""), reason))

    if "_json" in cells:
        return None, [Problem(row_no, "整行", "", cells["_json"])]
    for name in REQUIRED:
        if not cells.get(name):
            bad(name, "必填项为空")
    code = lookup.indicators.get(cells.get("indicator", ""))
    if cells.get("indicator") and code is None:
        bad("indicator", "未知指标（须为已登记的指标名称或代码）")
    area = lookup.area(cells["area"]) if cells.get("area") else None
    if cells.get("area") and area is None:
        bad("area", "未知区域（须为区域编码，或市、县区名称）")
    period = _checked(cells, "period", parse_period, bad)
    value = _checked(cells, "value", _number, bad, "数值须为数字")
    if value is not None and code and lookup.units.get(code) == "%" and not -100 <= value <= 100:
        bad("value", "百分比须在 −100 与 100 之间")
    target = _checked(cells, "target", _number, bad, "目标值须为数字")
    rank = _checked(cells, "province_rank", _whole, bad, "排名须为正整数")
    total = _checked(cells, "rank_total", _whole, bad, "排名总数须为正整数")
    if rank is not None and total is not None and rank > total:
        bad("province_rank", f"排名大于排名总数 {total}")
    for name, limit in TEXT_LIMITS.items():
        if len(cells.get(name, "")) > limit:
            bad(name, f"超过 {limit} 个字")
    if problems or code is None or area is None or period is None or value is None:
        return None, problems
    return ValueRecord(code, area, period, value, target, rank, total, cells.get("rank_group") or None,
                       cells.get("tier") or None, cells.get("note") or None), []


def _checked(cells: dict[str, str], name: str, parse: Any, bad: Any, reason: str | None = None) -> Any:
    """parse(cell) for a filled optional cell; None (and a problem) when it does not parse."""
    text = cells.get(name, "")
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        bad(name, reason or str(exc))
        return None


# --- storing --------------------------------------------------------------------------------------------

COMPARED = ("value", "target", "province_rank", "rank_total", "rank_group", "tier", "note", "is_demo", "rank_is_demo")


def _row_values(record: ValueRecord) -> dict[str, Any]:
    return {"value": record.value, "target": record.target, "province_rank": record.province_rank,
            "rank_total": record.rank_total, "rank_group": record.rank_group, "tier": record.tier,
            "note": record.note, "is_demo": record.is_demo, "rank_is_demo": record.rank_is_demo}


def store_values(conn: Connection, records: list[ValueRecord], actor: str, source: EntrySource,
                 import_id: int | None = None, at: datetime | None = None) -> Counts:
    """Upsert by (indicator, area, period): new → inserted, same → unchanged, different → updated (and logged)."""
    at = at or datetime.now()
    counts = Counts()
    table = IndicatorValue.__table__
    for record in records:
        code, area, key = record.key()
        existing = conn.execute(select(table).where(table.c.indicator_code == code, table.c.area_code == area,
                                                    table.c.period_key == key)).first()
        values = _row_values(record)
        stamp = {"entered_by": actor[:64], "entered_at": at, "entry_source": str(source), "import_id": import_id}
        if existing is None:
            value_id = conn.execute(insert(table).values(
                indicator_code=code, area_code=area, period_type=str(record.period.type), period_key=key,
                period_start=record.period.start, period_end=record.period.end, **values, **stamp,
            )).inserted_primary_key[0]
            counts.inserted += 1
        elif all(_same(getattr(existing, k), v) for k, v in values.items()):
            counts.unchanged += 1
            continue
        else:
            value_id = existing.id
            conn.execute(update(table).where(table.c.id == value_id).values(**values, **stamp))
            counts.updated += 1
        conn.execute(insert(IndicatorValueLog).values(
            value_id=value_id, value=record.value, target=record.target, province_rank=record.province_rank,
            tier=record.tier, **stamp))
    return counts


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and math.isclose(float(old), float(new), abs_tol=1e-9)
    return old == new


def enter_value(engine: Engine, record: ValueRecord, actor: str, address: str | None = None) -> Counts:
    """One value typed into the admin form: stored like an imported one, audited, caches refreshed."""
    with engine.begin() as conn:
        counts = store_values(conn, [record], actor, EntrySource.FORM)
    audit(engine, actor, "indicator_entry", {"indicator": record.indicator_code, "area": record.area_code,
                                             "period": record.period.key, "value": record.value}, address)
    if counts.inserted or counts.updated:
        after_data_changed(engine)
    return counts


# --- the import -----------------------------------------------------------------------------------------


def import_indicators(engine: Engine, path: Path, actor: str = "cli", dry_run: bool = False, sheet: str | None = None,
                      encoding: str | None = None, address: str | None = None) -> ImportReport:
    """Import one file of indicator values; raises FileRefused when the file as a whole cannot be read."""
    ensure_catalog(engine)
    log = RunLog(engine, "indicators", path.name, actor, dry_run, address).start()
    try:
        source = read_rows(path, sheet, encoding)
        if source.header:
            check_required(field_map(source.header, ALIASES), REQUIRED, FIELD_LABELS)
        records = _validated(source, Lookup(engine), log)
    except FileRefused as exc:
        log.refuse(exc)
        raise
    counts = replace(_stored(engine, records, actor, log.import_id, dry_run),
                     rejected=len({p.row_no for p, _ in log.problems}))
    with engine.begin() as conn:
        rejects = log.finish(conn, counts)
    if not dry_run and (counts.inserted or counts.updated):
        after_data_changed(engine)
    return log.report(counts, rejects)


def _stored(engine: Engine, records: list[ValueRecord], actor: str, import_id: int, dry_run: bool) -> Counts:
    """Store the records in one transaction; a dry run does the same work and rolls it back (true counts)."""
    with engine.connect() as conn:
        trans = conn.begin()
        counts = store_values(conn, records, actor, EntrySource.IMPORT, import_id)
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    return counts


def _validated(source: RowSource, lookup: Lookup, log: RunLog) -> list[ValueRecord]:
    """Good records in file order; bad rows and second occurrences of a key go to the quarantine."""
    records: dict[tuple[str, str, str], tuple[int, ValueRecord]] = {}
    for row_no, cells in source.rows:
        fields = fields_of(cells, ALIASES)
        record, problems = validate_row(fields, lookup, row_no)
        if record is not None and record.key() in records:
            first = records[record.key()][0]
            problems = [Problem(row_no, "指标+区域+期间", "/".join(record.key()), f"与第 {first} 行重复")]
        if problems:
            log.reject(problems, cells)
            continue
        assert record is not None
        records[record.key()] = (row_no, record)
    return [r for _, r in records.values()]
