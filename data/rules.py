"""Business rules the pages share (the card thresholds live in `data.cards`)."""

from __future__ import annotations

# A rate computed from fewer cases than this is greyed out and flagged as a small sample.
SMALL_SAMPLE_MIN = 30

# Overdue aging buckets in days past due: (label, lower bound exclusive, upper bound inclusive).
AGING_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("≤3天", 0.0, 3.0),
    ("3–7天", 3.0, 7.0),
    ("7–15天", 7.0, 15.0),
    ("15–30天", 15.0, 30.0),
    (">30天", 30.0, float("inf")),
)

# Cases falling due within these many hours are listed as "due soon".
DUE_SOON_HOURS = (24, 48)
