"""Spreadsheet output that is safe to open: formulas neutralised, codes kept as text, dates as dates.

Every file starts with what it shows: title, area, period, filters, source and generation time.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS_HINT = ("code", "case_no", "编码", "编号")
SOURCE = "宿迁市社会治理现代化指挥中心（数据库查询）"


@dataclass(frozen=True)
class ExportMeta:
    """What a file states about itself."""

    title: str
    area: str
    period: str
    filters: str
    generated_at: datetime

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("标题", self.title),
            ("区域", self.area),
            ("时段", self.period),
            ("筛选", self.filters or "全部案件类型"),
            ("数据来源", SOURCE),
            ("生成时间", self.generated_at.strftime("%Y-%m-%d %H:%M:%S")),
        ]


def neutralize(text: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _is_text_column(name: str) -> bool:
    return any(hint in name for hint in TEXT_COLUMNS_HINT)


def cell_value(value: object, text_column: bool = False) -> object:
    """A value as a spreadsheet should hold it: numbers stay numbers, codes text, dates dates."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return "是" if value else "否"
    if text_column:
        return neutralize(str(value))
    if isinstance(value, str):
        return neutralize(value)
    return value


def rename(frame: pd.DataFrame, columns: dict[str, str] | None) -> pd.DataFrame:
    """Keep and order the listed columns under their Chinese headers (all columns when none listed)."""
    if not columns:
        return frame
    keep = [c for c in columns if c in frame.columns]
    return frame[keep].rename(columns=columns)


def csv_chunks(meta: ExportMeta, header: list[str], rows: Iterable[Iterable[object]],
               text_columns: set[int]) -> Iterator[bytes]:
    """CSV in UTF-8 with BOM (Excel opens Chinese correctly), streamed row by row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for key, value in meta.rows():
        writer.writerow([f"# {key}", neutralize(value)])
    writer.writerow(header)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for i, row in enumerate(rows, 1):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(v, j in text_columns) for j, v in enumerate(row)])
        yield buffer.getvalue().encode("utf-8")
        if i % 10_000 == 0:
            buffer = io.StringIO()
            writer = csv.writer(buffer)


def _csv_value(value: object, text_column: bool) -> object:
    v = cell_value(value, text_column)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour, v.minute, v.second) != (0, 0, 0) else v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.isoformat()
    return "" if v is None else v


def text_column_indexes(columns: list[str]) -> set[int]:
    return {i for i, c in enumerate(columns) if _is_text_column(c)}


def add_sheet(workbook: Workbook, title: str, meta: ExportMeta, header: list[str],
              rows: Iterable[Iterable[object]], text_columns: set[int]) -> int:
    """Append one sheet (write-only, streamed) with the meta block, a header and the rows; returns rows written."""
    sheet = workbook.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)
    for key, value in meta.rows():
        label = WriteOnlyCell(sheet, value=key)
        label.font = bold
        sheet.append([label, neutralize(value)])
    sheet.append([])
    head = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in rows:
        out: list[object] = []
        for j, value in enumerate(row):
            v = cell_value(value, j in text_columns)
            if j in text_columns:
                cell = WriteOnlyCell(sheet, value=v)
                cell.number_format = "@"
            elif isinstance(v, datetime):
                cell = WriteOnlyCell(sheet, value=v)
                cell.number_format = "yyyy-mm-dd hh:mm" if (v.hour, v.minute) != (0, 0) else "yyyy-mm-dd"
            else:  # plain values need no cell object: a third faster on large sheets
                cell = v
            out.append(cell)
        sheet.append(out)
        count += 1
    return count


def cover_sheet(workbook: Workbook, meta: ExportMeta, contents: list[str]) -> None:
    sheet = workbook.create_sheet(title="封面")
    for key, value in meta.rows():
        sheet.append([key, neutralize(value)])
    sheet.append([])
    sheet.append(["内容"])
    for name in contents:
        sheet.append([neutralize(name)])


def _sheet_title(title: str) -> str:
    """Excel sheet names: ≤ 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "数据"
