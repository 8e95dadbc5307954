"""`stats` keys of the governance operations on the default demo: the published 2,124 and 1,137 reproduced."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from data.filters import Period, city, find_area
from data.stats import stats

BACKLOG_2022 = Period(date(2022, 1, 1), date(2022, 12, 31))
DIFFICULT_WINDOW = Period(date(2022, 8, 1), date(2023, 9, 14))
KEYS = ("backlog_resolved", "difficult_resolved", "safety_index", "warnings_open", "visit_coverage")


def scale_of(engine: Engine) -> float:
    from data.db import get_meta

    return int(get_meta(engine, "cases") or 60_000) / 60_000


def test_backlog_resolved_2022(demo_engine: Engine) -> None:
    got = stats(demo_engine, city(demo_engine), BACKLOG_2022)
    assert got["backlog_resolved"] == round(2_124 * scale_of(demo_engine))
    assert all(key in got for key in KEYS)


def test_difficult_resolved_in_the_published_window(demo_engine: Engine) -> None:
    got = stats(demo_engine, city(demo_engine), DIFFICULT_WINDOW)
    assert got["difficult_resolved"] == round(1_137 * scale_of(demo_engine))


@pytest.mark.parametrize("code", [None, "321322"])
def test_other_keys_are_sensible(demo_engine: Engine, code: str | None) -> None:
    area = city(demo_engine) if code is None else find_area(demo_engine, code)
    got = stats(demo_engine, area, Period(date(2023, 1, 1), date(2023, 12, 31)))
    assert 40 < got["safety_index"] < 100
    assert 80 < got["visit_coverage"] <= 100
    assert got["warnings_open"] >= 0 and isinstance(got["warnings_open"], int)
    if code:
        whole = stats(demo_engine, city(demo_engine), Period(date(2023, 1, 1), date(2023, 12, 31)))
        assert got["backlog_resolved"] < whole["backlog_resolved"]
        assert got["warnings_open"] <= whole["warnings_open"]
