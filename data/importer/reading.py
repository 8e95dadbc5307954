"""Read CSV and xlsx files in chunks of text cells, numbering rows as a spreadsheet would (header = row 1).

Every cell is read as text (codes keep their leading digits, nothing is guessed); the mapping and validation
steps parse them. Files of hundreds of MB stream through pandas' chunked reader or openpyxl's read-only
iterator, so memory stays bounded by the chunk size.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from data.importer.faults import FileInfo, FileRefused

CHUNK_ROWS = 50_000
ROW_COL = "_row"
EXTRA_COL = "_extra"  # cells beyond the header's width, joined; a row with any is quarantined
_SPARE = 16  # overflow slots read per row; a row wider than header + spare refuses the file
_DELIMITERS = (",", "\t", ";", "|")


@dataclass
class Table:
    """A file's header and a one-shot iterator over its data chunks (each with a `_row` column)."""

    header: list[str]
    chunks: Iterator[pd.DataFrame]


def open_table(path: Path, info: FileInfo, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS) -> Table:
    """Header and chunk iterator for a sniffed CSV or xlsx file; refuses header-only files."""
    table = _open_xlsx(path, sheet, chunk_rows) if info.fmt == "xlsx" else _open_csv(path, info, chunk_rows)
    first = next(table.chunks, None)
    if first is None:
        raise FileRefused("文件只有表头，没有数据行")
    return Table(table.header, _prepend(first, table.chunks))


def _prepend(first: pd.DataFrame, rest: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    yield first
    yield from rest


def clean_header(names: list[Any]) -> list[str]:
    """Trim cells and refuse blank or repeated column names, which would make the mapping ambiguous."""
    header = ["" if n is None else str(n).strip().lstrip("\ufeff").strip() for n in names]
    while header and header[-1] == "":
        header.pop()
    if not header or all(h == "" for h in header):
        raise FileRefused("文件为空（没有表头）")
    if "" in header:
        raise FileRefused(f"第 {header.index('') + 1} 列没有列名")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise FileRefused(f"列名重复: {name}")
        seen.add(name)
    return header


def _read_header_line(path: Path, encoding: str) -> tuple[list[str], str, int]:
    """The first CSV record, the delimiter that splits it best and how many lines precede the data."""
    consumed = 1
    try:
        with path.open(encoding=encoding, newline="") as fh:
            line = fh.readline()
            while line and not line.strip():
                line = fh.readline()
                consumed += 1
    except UnicodeDecodeError as exc:
        raise FileRefused(f"文件编码不是 {encoding}，请用 --encoding 指定") from exc
    delimiter = max(_DELIMITERS, key=line.count)
    record = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    return clean_header(record), delimiter, consumed


def _open_csv(path: Path, info: FileInfo, chunk_rows: int) -> Table:
    encoding = info.encoding or "utf-8-sig"
    try:
        "".encode(encoding)
    except LookupError as exc:
        raise FileRefused(f"未知编码: {encoding}") from exc
    header, delimiter, skip = _read_header_line(path, encoding)
    return Table(header, _csv_chunks(path, encoding, delimiter, header, skip, chunk_rows))


def _csv_chunks(path: Path, encoding: str, delimiter: str, header: list[str], skip: int,
                chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of text cells; blank lines are kept while numbering and dropped afterwards."""
    next_row = skip + 1
    try:
        spare = [f"{EXTRA_COL}{i}" for i in range(_SPARE)]
        reader = pd.read_csv(path, sep=delimiter, encoding=encoding, dtype=str, keep_default_na=False,
                             skip_blank_lines=False, chunksize=chunk_rows, header=None, skiprows=skip, engine="c",
                             names=[*header, *spare])
        for chunk in reader:
            chunk = _fold_overflow(chunk, spare)
            chunk.insert(0, ROW_COL, range(next_row, next_row + len(chunk)))
            next_row += len(chunk)
            chunk = _drop_blank(chunk)
            if len(chunk):
                yield chunk.reset_index(drop=True)
    except UnicodeDecodeError as exc:
        raise FileRefused(f"第 {next_row} 行附近的字节不是 {encoding} 编码，请检查文件或用 --encoding 指定") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileRefused(f"CSV 格式错误（第 {next_row} 行之后）: {str(exc).strip()[:200]}") from exc


def _fold_overflow(chunk: pd.DataFrame, spare: list[str]) -> pd.DataFrame:
    """Join cells beyond the header into one `_extra` text column (empty for well-formed rows)."""
    extra = chunk[spare].fillna("")
    chunk = chunk.drop(columns=spare)
    if (extra != "").to_numpy().any():
        chunk[EXTRA_COL] = extra.apply(lambda row: ",".join(v for v in row if v), axis=1)
    else:
        chunk[EXTRA_COL] = ""
    return chunk


def _drop_blank(chunk: pd.DataFrame) -> pd.DataFrame:
    """Drop rows with no content; only rows whose first cell is blank need the full (slower) look."""
    cells = chunk.drop(columns=ROW_COL).fillna("")
    maybe = cells.iloc[:, 0].str.strip() == ""
    if not maybe.any():
        return chunk
    blank = (cells[maybe].apply(lambda s: s.str.strip()) == "").all(axis=1)
    return chunk.drop(index=blank[blank].index)


def cell_text(value: Any) -> str:
    """An xlsx cell as the text a CSV export would hold (dates ISO, integral floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _open_xlsx(path: Path, sheet: str | None, chunk_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise FileRefused(f"无法读取 xlsx 文件: {exc.__class__.__name__}") from exc
    if sheet is not None and sheet not in workbook.sheetnames:
        raise FileRefused(f"没有名为 {sheet} 的工作表（可选: {', '.join(workbook.sheetnames)}）")
    ws = workbook[sheet] if sheet is not None else workbook.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        raise FileRefused("工作表为空")
    header = clean_header(list(first))
    return Table(header, _xlsx_chunks(rows, header, chunk_rows, workbook))


def _xlsx_chunks(rows: Iterator[tuple], header: list[str], chunk_rows: int, workbook: Any) -> Iterator[pd.DataFrame]:
    width = len(header)
    buffer: list[list[Any]] = []
    row_no = 1
    try:
        for values in rows:
            row_no += 1
            cells = [cell_text(v) for v in values[:width]]
            extra = ",".join(t for t in (cell_text(v).strip() for v in values[width:]) if t)
            if not extra and not any(c.strip() for c in cells):
                continue
            buffer.append([row_no, *cells, *[""] * (width - len(cells)), extra])
            if len(buffer) >= chunk_rows:
                yield pd.DataFrame(buffer, columns=[ROW_COL, *header, EXTRA_COL])
                buffer = []
        if buffer:
            yield pd.DataFrame(buffer, columns=[ROW_COL, *header, EXTRA_COL])
    finally:
        workbook.close()
