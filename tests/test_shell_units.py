"""Pure pieces of the shell: Chinese formatting, quick-pick periods, URL view state, config."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.config import Config, ConfigError
from dashboard.formatting import count_cn, count_full, date_cn, month_cn, percent
from dashboard.periods import quick_period
from dashboard.urlstate import parse_view, with_params
from data.filters import Period
from data.vocab import Kind


def test_chinese_number_and_date_formats() -> None:
    assert count_cn(18_436) == "1.8万"
    assert count_cn(956) == "956"
    assert count_cn(4_980_000) == "498万"
    assert count_cn(123_456_789) == "1.2亿"
    assert count_full(10_667) == "10,667"
    assert percent(90.5512) == "90.55%"
    assert percent(float("nan")) == "—"
    assert date_cn(date(2023, 9, 14)) == "2023年9月14日"
    assert month_cn(date(2023, 9, 14)) == "2023年9月"


def test_quick_picks_relative_to_data_date() -> None:
    today = date(2023, 9, 14)  # a Thursday
    assert quick_period("week", today) == Period(date(2023, 9, 11), today)
    assert quick_period("month", today) == Period(date(2023, 9, 1), today)
    assert quick_period("quarter", today) == Period(date(2023, 7, 1), today)
    assert quick_period("year", today) == Period(date(2023, 1, 1), today)
    assert quick_period("last12", today) == Period(date(2022, 10, 1), today)
    with pytest.raises(ValueError):
        quick_period("decade", today)


def test_period_year_before_handles_leap_day() -> None:
    assert Period(date(2024, 2, 29), date(2024, 3, 1)).year_before() == Period(date(2023, 2, 28), date(2023, 3, 1))


def test_url_state_round_trip_and_fallbacks(small_sqlite) -> None:
    today = date(2023, 12, 31)
    state = parse_view("?area=321322&from=2023-01-01&to=2023-09-14&kind=dispute&kind=petition", small_sqlite, today)
    assert state.area.name == "沭阳县" and state.kinds == (Kind.DISPUTE, Kind.PETITION) and not state.notices
    assert parse_view(state.query(), small_sqlite, today) == state

    bad = parse_view("?area=999999&from=2023-09-14&to=2023-01-01&kind=%3Bdrop", small_sqlite, today)
    assert bad.area.name == "宿迁市"
    assert bad.period == quick_period("year", today)
    assert len(bad.notices) == 3
    hostile = parse_view("?area=' OR 1=1 --&from=" + "9" * 5000, small_sqlite, today)
    assert hostile.area.name == "宿迁市" and hostile.notices


def test_with_params_keeps_other_parameters() -> None:
    assert with_params("?area=321322&metric=red_cards", area="321311") == "?area=321311&metric=red_cards"
    assert with_params("?area=321322&kind=dispute", kind=None) == "?area=321322"


def test_production_config_refuses_unsafe_settings() -> None:
    with pytest.raises(ConfigError):
        Config.from_env({"DASHBOARD_ENV": "production"})
    with pytest.raises(ConfigError):
        Config.from_env({"DASHBOARD_ENV": "production", "SECRET_KEY": "x" * 32, "DASHBOARD_DEBUG": "1"})
    cfg = Config.from_env({"DASHBOARD_ENV": "production", "SECRET_KEY": "x" * 32})
    assert cfg.debug is False and cfg.database_url.startswith("sqlite:///")
    assert "x" * 32 not in repr(cfg)
