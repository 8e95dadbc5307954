"""Every Dash component ID, in one module: pages import these, never type ID strings themselves."""

from __future__ import annotations

from enum import StrEnum


class Shell(StrEnum):
    """The frame around every page."""

    URL = "shell-url"
    DATA_DATE = "shell-data-date"
    NAV = "shell-nav"
    NOTICE = "shell-notice"
    CLOCK = "shell-clock"
    CLOCK_TICK = "shell-clock-tick"


class Home(StrEnum):
    """总览 home page."""

    KPIS = "home-kpis"
    STRUCTURE = "home-structure"
    PERIOD_LABEL = "home-period-label"
    AREA_LABEL = "home-area-label"


class Kpi(StrEnum):
    """Value slots of KPI tiles, addressed by the metric key (e.g. `kpi-value-disputes_handled`)."""

    VALUE = "kpi-value"

    def of(self, key: str) -> str:
        return f"{self.value}-{key}"
