"""Chinese number and date formatting for the screens: 1.8万, 90.55%, 2023年9月14日."""

from __future__ import annotations

import math
from datetime import date


def count_cn(value: float | int | None) -> str:
    """Group large counts the Chinese way: 18,436 → 1.8万, 123,456,789 → 1.2亿; small ones with separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if abs(v) >= 1e8:
        return f"{v / 1e8:.1f}亿"
    if abs(v) >= 1e5:
        return f"{v / 1e4:.0f}万"
    if abs(v) >= 1e4:
        return f"{v / 1e4:.1f}万"
    return f"{int(round(v)):,}"


def count_full(value: float | int | None) -> str:
    """Exact count with thousands separators (used where the exact figure matters, e.g. 10,667)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(round(float(value))):,}"


def percent(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}%"


def signed_percent(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:+.{digits}f}%"


def date_cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def month_cn(d: date) -> str:
    return f"{d.year}年{d.month}月"


def period_cn(start: date, end: date) -> str:
    return f"{date_cn(start)}至{date_cn(end)}"
