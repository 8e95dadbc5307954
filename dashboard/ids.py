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
    PAGE = "shell-page"
    TITLES = "shell-titles"
    TITLE_SINK = "shell-title-sink"


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


class Filters(StrEnum):
    """The filter bar shared by all pages (breadcrumb, period, kinds)."""

    BAR = "filters-bar"
    BREADCRUMB = "filters-breadcrumb"
    QUICK = "filters-quick"
    DATES = "filters-dates"
    KINDS = "filters-kinds"


# Page IDs: one class per page, each page adds its members only to its own class.


class MapPage(StrEnum):
    """地图 /map."""

    GRAPH = "map-graph"


class FlowPage(StrEnum):
    """案件流转 /flow."""

    SANKEY = "flow-sankey"


class ResolutionPage(StrEnum):
    """化解率 /resolution."""

    TREND = "resolution-trend"


class OverduePage(StrEnum):
    """逾期督办 /overdue."""

    TABLE = "overdue-table"


class ScreenPage(StrEnum):
    """大屏 /screen."""

    CANVAS = "screen-canvas"
