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
    USER = "shell-user"
    HEARTBEAT = "shell-heartbeat"
    DATA_VERSION = "shell-data-version"
    STALE = "shell-stale"


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


class Export(StrEnum):
    """Export menus beside charts (pattern-matching IDs: {"type": LINK, "chart": name, "fmt": fmt})."""

    LINK = "export-link"
    REPORT = "export-report"  # {"type": REPORT, "page": name, "fmt": fmt}


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
    TITLE = "map-title"
    AREA_NAME = "map-area-name"
    SUBTITLE = "map-subtitle"
    METRIC = "map-metric"
    CENTERS = "map-centers"
    SIDE = "map-side"
    RANKING = "map-ranking"
    GRID_PANEL = "map-grid-panel"
    GRID_WORKERS = "map-grid-workers"
    GRID_CASES = "map-grid-cases"


class FlowPage(StrEnum):
    """案件流转 /flow."""

    SANKEY = "flow-sankey"
    CONTEXT = "flow-context"  # area · period · intake line
    CHIP = "flow-chip"  # the active node filter, hidden when none
    CHIP_LABEL = "flow-chip-label"
    CHIP_CLEAR = "flow-chip-clear"
    STAGES = "flow-stages"
    ESCALATIONS = "flow-escalations"
    MODES = "flow-modes"
    WEEKLY = "flow-weekly"


class ResolutionPage(StrEnum):
    """化解率 /resolution."""

    TREND = "resolution-trend"
    CONTEXT = "resolution-context"  # area · period line
    KPIS = "resolution-kpis"
    GRAIN = "resolution-grain"  # pattern-matching: {"type": GRAIN, "value": <Grain>}
    CATEGORIES = "resolution-categories"
    RANKING = "resolution-ranking"
    RANK_METRIC = "resolution-rank-metric"  # pattern-matching: {"type": RANK_METRIC, "value": <RankMetric>}
    PETITIONS = "resolution-petitions"
    REPEATS = "resolution-repeats"


class OverduePage(StrEnum):
    """逾期督办 /overdue."""

    TABLE = "overdue-table"
    TABLE_TOTAL = "overdue-table-total"
    TABLE_NOTICE = "overdue-table-notice"
    AREA_LABEL = "overdue-area-label"
    AS_OF_LABEL = "overdue-as-of-label"
    BY_AREA = "overdue-by-area"
    BY_UNIT = "overdue-by-unit"
    AGING = "overdue-aging"
    CARDS_BY_AREA = "overdue-cards-by-area"
    CARDS_TREND = "overdue-cards-trend"
    DUE_SOON_LIST = "overdue-due-soon-list"
    TIMELINE = "overdue-timeline"
    TIMELINE_TITLE = "overdue-timeline-title"


class ScreenPage(StrEnum):
    """大屏 /screen."""

    CANVAS = "screen-canvas"
    AREA_LABEL = "screen-area-label"
    PERIOD_LABEL = "screen-period-label"
    DATA_DATE = "screen-data-date"
    CLOCK = "screen-clock"
    CLOCK_TICK = "screen-clock-tick"
    REFRESH = "screen-refresh"
    MAP = "screen-map"
    RANKING = "screen-ranking"
    TREND = "screen-trend"
    FLOW = "screen-flow"
    FLOW_NOTE = "screen-flow-note"
    RED_LIST = "screen-red-list"
    EXIT = "screen-exit"
    KIOSK_TICK = "screen-kiosk-tick"
    BODY_CLASS_SINK = "screen-body-class-sink"
