"""Quick-pick periods (本周, 本月, 本季度, 今年, 近12个月) relative to the data's as-of date."""

from __future__ import annotations

from datetime import date, timedelta

from data.filters import Period

QUICK_PICKS: dict[str, str] = {
    "week": "本周",
    "month": "本月",
    "quarter": "本季度",
    "year": "今年",
    "last12": "近12个月",
}
DEFAULT_PICK = "year"


def quick_period(pick: str, today: date) -> Period:
    """The period a quick pick means on `today` (the data's as-of date, not the wall clock)."""
    if pick == "week":
        return Period(today - timedelta(days=today.weekday()), today)
    if pick == "month":
        return Period(today.replace(day=1), today)
    if pick == "quarter":
        return Period(today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1), today)
    if pick == "year":
        return Period(today.replace(month=1, day=1), today)
    if pick == "last12":
        start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        for _ in range(10):
            start = (start - timedelta(days=1)).replace(day=1)
        return Period(start, today)
    raise ValueError(f"unknown quick pick: {pick!r}")
