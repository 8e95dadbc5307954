"""Vectorised parsing of text cells: controlled vocabularies, dates, yes/no, integers and coordinates.

Each parser returns the parsed values plus a mask of cells that were filled but could not be parsed, so the
validation step can quarantine exactly those rows with the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from data import vocab

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Dates outside this window are typos or a wrongly mapped column, not real cases.
EARLIEST = pd.Timestamp("1990-01-01")
LATEST = pd.Timestamp("2100-01-01")
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]"
_CN_DATE = re.compile(
    r"^\s*(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:时]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2}(?:\.\d+)?)\s*秒?)?)?\s*$"
)
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")


def _codes(labels: dict, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Label → code and code → code (both accepted in files)."""
    table = {str(label): str(code) for code, label in labels.items()}
    table.update({str(code): str(code) for code in labels})
    table.update(extra or {})
    return table


_LEVEL_SHORT = {"村": "village", "社区": "village", "乡镇": "township", "街道": "township", "县": "county",
                "区": "county", "县区": "county", "市": "city", "乡镇街道级": "township", "村社区级": "village"}
VOCABS: dict[str, dict[str, str]] = {
    "kind": _codes(vocab.KIND_LABELS),
    "channel": _codes(vocab.CHANNEL_LABELS),
    "first_level": _codes(vocab.HANDLING_LABELS, _LEVEL_SHORT),
    "final_level": _codes(vocab.HANDLING_LABELS, _LEVEL_SHORT),
    "mode": _codes(vocab.MODE_LABELS),
    "status": _codes(vocab.STATUS_LABELS),
    "outcome": _codes(vocab.OUTCOME_LABELS),
    "backlog_color": _codes(vocab.BACKLOG_COLOR_LABELS, {"红": "red", "黄": "yellow", "绿": "green"}),
    "backlog_origin": _codes(vocab.BACKLOG_ORIGIN_LABELS),
}
_YES = {"是", "1", "true", "yes", "y", "√", "有"}
_NO = {"否", "0", "false", "no", "n", "×", "无"}


def lookup(values: pd.Series, table: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Codes for labels or codes; returns (codes with None for blanks, mask of unknown non-blank values)."""
    codes = values.map(table)
    bad = codes.isna() & (values != "")
    return codes.where(codes.notna(), None), bad


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否, 1/0, true/false, yes/no; blanks are None."""
    low = values.str.lower()
    yes, no = low.isin(_YES), low.isin(_NO)
    out = pd.Series(np.where(yes, True, np.where(no, False, None)), index=values.index, dtype=object)
    return out, ~(yes | no) & (values != "")


def parse_int(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (also "3.0"); returns floats with NaN for blanks and a mask of unparseable cells."""
    num = pd.to_numeric(values.where(values != ""), errors="coerce")
    bad = (num.isna() & (values != "")) | (num.notna() & (num % 1 != 0))
    return num.where(~bad), bad


def parse_float(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    num = pd.to_numeric(values.where(values != ""), errors="coerce")
    return num, num.isna() & (values != "")


def has_control_chars(values: pd.Series) -> pd.Series:
    """Cells holding control characters or U+FFFD (a decoding accident): never real case text."""
    return values.str.contains(CONTROL_CHARS, regex=True, na=False)


def parse_dates(values: pd.Series, formats: Sequence[str] = ()) -> tuple[pd.Series, pd.Series]:
    """Dates and times: ISO, 2023/9/14, 2023年9月14日 (with times), Excel serial numbers, mapping formats.

    Returns datetime64[s] with NaT for blanks, and a mask of filled cells that are not a plausible date.
    """
    filled = values != ""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    todo = filled.copy()
    for fmt in (*formats, "ISO8601"):
        if not todo.any():
            break
        got = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        ok = got.notna()
        out.loc[ok[ok].index] = got[ok].dt.floor("s").astype("datetime64[s]")
        todo.loc[ok[ok].index] = False
    if todo.any():
        rest = values[todo].map(_parse_one)
        ok = rest.notna()
        out.loc[ok[ok].index] = pd.to_datetime(rest[ok]).dt.floor("s").astype("datetime64[s]")
    bad = filled & (out.isna() | (out < EARLIEST) | (out >= LATEST))
    return out.where(~bad), bad


def _parse_one(text: str) -> pd.Timestamp | None:
    """Slow path for one cell: Chinese or slash dates, or an Excel serial day number."""
    m = _CN_DATE.match(text)
    if m:
        y, mo, d, h, mi, s = m.groups()
        try:
            return pd.Timestamp(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(float(s or 0)))
        except ValueError:
            return None
    if _SERIAL.match(text):
        serial = float(text)
        if 20_000 <= serial <= 80_000:  # 1954 … 2119: anything else is not a date serial
            return (EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")).round("s")
    return None
