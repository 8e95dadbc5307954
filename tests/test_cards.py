"""The supervision-card rule: thresholds, repeat visits, and the vectorised version agreeing with the scalar one."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from data.cards import DEFAULT_RULE, CardRule, cards_for, cards_frame
from data.vocab import CardColor

DUE = datetime(2023, 5, 1, 12, 0)
AS_OF = datetime(2024, 1, 1)


def colors(cards) -> list[str]:
    return [str(c) for c, _ in cards]


def test_closed_on_time_gets_nothing() -> None:
    assert cards_for(DEFAULT_RULE, DUE, DUE - timedelta(hours=1), AS_OF) == []


@pytest.mark.parametrize(
    ("late_days", "expected"),
    [(0.5, ["blue"]), (3.5, ["blue", "yellow"]), (7.5, ["blue", "yellow", "red"]), (40, ["blue", "yellow", "red"])],
)
def test_cards_escalate_with_lateness(late_days: float, expected: list[str]) -> None:
    cards = cards_for(DEFAULT_RULE, DUE, DUE + timedelta(days=late_days), AS_OF)
    assert colors(cards) == expected
    assert [at for _, at in cards] == sorted(at for _, at in cards)


def test_open_case_is_judged_at_as_of() -> None:
    assert colors(cards_for(DEFAULT_RULE, DUE, None, DUE + timedelta(days=4))) == ["blue", "yellow"]


def test_repeat_visit_after_due_means_red_at_once() -> None:
    visit = DUE + timedelta(days=1)
    cards = cards_for(DEFAULT_RULE, DUE, DUE + timedelta(days=2), AS_OF, [visit])
    assert cards == [(CardColor.BLUE, DUE), (CardColor.RED, visit)]
    # A visit before the due date does not count.
    early = cards_for(DEFAULT_RULE, DUE, DUE + timedelta(days=2), AS_OF, [DUE - timedelta(days=1)])
    assert colors(early) == ["blue"]


def test_thresholds_are_configurable_and_validated(tmp_path) -> None:
    strict = CardRule(blue_after_days=0, yellow_after_days=1, red_after_days=2)
    assert colors(cards_for(strict, DUE, DUE + timedelta(days=2.5), AS_OF)) == ["blue", "yellow", "red"]
    path = tmp_path / "rule.json"
    path.write_text('{"blue_after_days": 1, "yellow_after_days": 5, "red_after_days": 10}', encoding="utf-8")
    assert CardRule.from_file(path).yellow_after_days == 5
    with pytest.raises(ValueError):
        CardRule(blue_after_days=5, yellow_after_days=3, red_after_days=7)


def test_vectorised_rule_equals_scalar_rule() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    reported = (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.uniform(0, 360, n), unit="D")).floor("s")
    due = reported + pd.Timedelta(days=15)
    closed = (reported + pd.to_timedelta(rng.uniform(0, 60, n), unit="D")).floor("s")
    closed = closed.where(rng.random(n) < 0.8, pd.NaT)
    visit = (due + pd.to_timedelta(rng.uniform(-5, 20, n), unit="D")).floor("s")
    visit = visit.where(rng.random(n) < 0.2, pd.NaT)
    late_visit = visit.where(visit >= due, pd.NaT)
    as_of = datetime(2024, 1, 1)
    frame = cards_frame(DEFAULT_RULE, np.arange(n), pd.Series(due), pd.Series(closed), as_of, pd.Series(late_visit))
    expected = []
    for i in range(n):
        c = None if pd.isna(closed[i]) else closed[i].to_pydatetime()
        visits = [] if pd.isna(visit[i]) else [visit[i].to_pydatetime()]
        for color, at in cards_for(DEFAULT_RULE, due[i].to_pydatetime(), c, as_of, visits):
            expected.append((i, str(color), pd.Timestamp(at)))
    got = [(int(r.case_id), r.color, pd.Timestamp(r.issued_at)) for r in frame.itertuples()]
    assert sorted(got) == sorted(expected)
    assert len(expected) > 100
