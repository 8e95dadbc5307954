"""Supervision-card rule (督办牌): when an open case past its due date gets a blue, yellow or red card.

One rule object holds every threshold; the demo generator (vectorised) and imports (per case) both evaluate
it, and a test checks that the two agree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from data.vocab import CardColor


@dataclass(frozen=True)
class CardRule:
    """Days after the due date at which each card is issued; a repeat visit while overdue means red at once."""

    blue_after_days: float = 0.0
    yellow_after_days: float = 3.0
    red_after_days: float = 7.0
    red_on_repeat_visit: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.blue_after_days <= self.yellow_after_days <= self.red_after_days:
            raise ValueError("card thresholds must satisfy 0 ≤ blue ≤ yellow ≤ red (days after due date)")

    @classmethod
    def from_file(cls, path: str | Path) -> CardRule:
        """Load thresholds from a JSON file with the dataclass' field names."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, float | bool]:
        return asdict(self)


DEFAULT_RULE = CardRule()


def cards_for(
    rule: CardRule,
    due_at: datetime,
    closed_at: datetime | None,
    as_of: datetime,
    repeat_visits_at: list[datetime] | tuple[datetime, ...] = (),
) -> list[tuple[CardColor, datetime]]:
    """Cards a case received, in order, as (color, issued_at); a card is issued only while the case is open."""
    end = closed_at if closed_at is not None else as_of
    red_at = due_at + timedelta(days=rule.red_after_days)
    if rule.red_on_repeat_visit:
        late_visits = [v for v in repeat_visits_at if v >= due_at]
        if late_visits:
            red_at = min(red_at, min(late_visits))
    issued: list[tuple[CardColor, datetime]] = []
    for color, at in (
        (CardColor.BLUE, due_at + timedelta(days=rule.blue_after_days)),
        (CardColor.YELLOW, due_at + timedelta(days=rule.yellow_after_days)),
    ):
        if at < red_at and at < end:
            issued.append((color, at))
    if red_at < end:
        issued.append((CardColor.RED, red_at))
    return issued


def cards_frame(
    rule: CardRule,
    case_id: np.ndarray,
    due_at: pd.Series,
    closed_at: pd.Series,
    as_of: datetime,
    first_late_visit: pd.Series,
) -> pd.DataFrame:
    """Vectorised `cards_for` over many cases; `first_late_visit` is the first repeat visit on/after due (or NaT).

    Returns columns case_id, color, issued_at.
    """
    due = pd.to_datetime(due_at).to_numpy()
    end = pd.to_datetime(closed_at).fillna(pd.Timestamp(as_of)).to_numpy()
    red = due + np.timedelta64(int(rule.red_after_days * 86400), "s")
    if rule.red_on_repeat_visit:
        visit = pd.to_datetime(first_late_visit).to_numpy()
        has = ~pd.isna(visit)
        red = np.where(has & (visit < red), visit, red)
    parts = []
    for color, offset in ((CardColor.BLUE, rule.blue_after_days), (CardColor.YELLOW, rule.yellow_after_days)):
        at = due + np.timedelta64(int(offset * 86400), "s")
        mask = (at < red) & (at < end)
        parts.append(pd.DataFrame({"case_id": case_id[mask], "color": str(color), "issued_at": at[mask]}))
    mask = red < end
    parts.append(pd.DataFrame({"case_id": case_id[mask], "color": str(CardColor.RED), "issued_at": red[mask]}))
    return pd.concat(parts, ignore_index=True).sort_values(["case_id", "issued_at"], kind="stable")


def highest(colors: list[str]) -> str | None:
    """The most severe card among those given."""
    rank = {str(c): i for i, c in enumerate((CardColor.BLUE, CardColor.YELLOW, CardColor.RED))}
    return max(colors, key=rank.__getitem__) if colors else None
