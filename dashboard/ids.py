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
    MAP_SIGNATURE = "screen-map-signature"
    RANKING = "screen-ranking"
    TREND = "screen-trend"
    FLOW = "screen-flow"
    FLOW_NOTE = "screen-flow-note"
    RED_LIST = "screen-red-list"
    EXIT = "screen-exit"
    KIOSK_TICK = "screen-kiosk-tick"
    BODY_CLASS_SINK = "screen-body-class-sink"


class IndicatorsPage(StrEnum):
    """指标与调查 /indicators."""

    CONTEXT = "ind-context"
    SCREEN_LINK = "ind-screen-link"
    TILES = "ind-tiles"
    TABLE = "ind-table"
    ROW = "ind-row"  # pattern-matching: {"type": ROW, "code": <indicator code>}
    SERIES = "ind-series"
    SERIES_TITLE = "ind-series-title"
    RANKS = "ind-ranks"
    SURVEY = "ind-survey"


class CampaignsPage(StrEnum):
    """专项行动 /campaigns."""

    CONTEXT = "camp-context"
    LIST = "camp-list"
    ROW = "camp-row"  # pattern-matching: {"type": ROW, "code": <campaign code>}
    TITLE = "camp-title"
    META = "camp-meta"
    TARGETS = "camp-targets"
    TIMELINE = "camp-timeline"
    BEFORE_AFTER = "camp-before-after"


class PlanPage(StrEnum):
    """三年计划 /plan."""

    CONTEXT = "plan-context"
    TILES = "plan-tiles"
    DOMAINS = "plan-domains"
    TIMELINE = "plan-timeline"
    LATE = "plan-late"
    TABLE = "plan-table"
    CHIP = "plan-chip"
    CHIP_LABEL = "plan-chip-label"
    CHIP_CLEAR = "plan-chip-clear"


class OpinionPage(StrEnum):
    """舆情监测 /opinion."""

    CONTEXT = "op-context"
    TILES = "op-tiles"
    SURGE_TILE = "op-surge-tile"  # the surge count: filled with the surge list, by the surge query alone
    GRAIN = "op-grain"  # pattern-matching: {"type": GRAIN, "value": <Grain>}
    VOLUME = "op-volume"
    VS_CASES = "op-vs-cases"
    TOPICS = "op-topics"
    AREAS = "op-areas"
    SOURCES = "op-sources"
    ACCOUNTS = "op-accounts"
    NEGATIVE = "op-negative"
    SURGES = "op-surges"


class ScreenIndicatorsPage(StrEnum):
    """指标大屏 /screen-indicators."""

    CANVAS = "sind-canvas"
    AREA_LABEL = "sind-area-label"
    PERIOD_LABEL = "sind-period-label"
    DATA_DATE = "sind-data-date"
    CLOCK = "sind-clock"
    CLOCK_TICK = "sind-clock-tick"
    REFRESH = "sind-refresh"
    EXIT = "sind-exit"
    TILES_INDICATORS = "sind-tiles-indicators"
    TILES_PLAN = "sind-tiles-plan"
    TILES_OPINION = "sind-tiles-opinion"
    CRIME = "sind-crime"
    FRAUD = "sind-fraud"
    RANKS = "sind-ranks"
    PLAN = "sind-plan"
    OPINION = "sind-opinion"
    TIERS = "sind-tiers"


class BacklogPage(StrEnum):
    """信访积案 /backlog (with the 挂牌督办 supervision list)."""

    CONTEXT = "backlog-context"
    BY_ORIGIN = "backlog-by-origin"
    BY_AREA = "backlog-by-area"
    ASSESSMENT = "backlog-assessment"
    RESOLVED = "backlog-resolved"
    COLOR_TREND = "backlog-color-trend"
    MOVES = "backlog-moves"
    TABLE = "backlog-table"
    TABLE_TOTAL = "backlog-table-total"
    SUP_TABLE = "backlog-sup-table"
    SUP_TOTAL = "backlog-sup-total"
    FORCES = "backlog-forces"
    SELECTED = "backlog-selected"  # store: {"case": id} of the case whose detail is shown
    DETAIL = "backlog-detail"


class GridsPage(StrEnum):
    """精网微格 /grids."""

    CONTEXT = "grids-context"
    COVERAGE = "grids-coverage"
    GROUPS = "grids-groups"
    VISITS = "grids-visits"
    STRUCTURE = "grids-structure"
    SILENT = "grids-silent"
    SILENT_TOTAL = "grids-silent-total"
    PEOPLE = "grids-people"
    PEOPLE_NOTE = "grids-people-note"


class SafetyPage(StrEnum):
    """平安指数 /safety."""

    CONTEXT = "safety-context"
    MAP = "safety-map"
    RANKING = "safety-ranking"
    TREND = "safety-trend"
    BREAKDOWN = "safety-breakdown"
    CHANGES = "safety-changes"
    TABLE = "safety-table"
    FORMULA = "safety-formula"


class AlertsPage(StrEnum):
    """风险预警 /alerts, and the 重大 warning banner the shell shows on every page."""

    CONTEXT = "alerts-context"
    BY_WEEK = "alerts-by-week"
    BY_RULE = "alerts-by-rule"
    WEEKLY = "alerts-weekly"
    KEY_DATES = "alerts-key-dates"
    KEY_DATES_TITLE = "alerts-key-dates-title"
    KEY_DATES_LIST = "alerts-key-dates-list"
    TABLE = "alerts-table"
    TABLE_TOTAL = "alerts-table-total"
    SELECTED = "alerts-selected"  # store: {"warning": id}
    DETAIL = "alerts-detail"
    UNIT = "alerts-unit"
    NOTE = "alerts-note"
    ASSIGN = "alerts-assign"
    ACKNOWLEDGE = "alerts-acknowledge"
    CLOSE = "alerts-close"
    ACTIONS = "alerts-actions"
    MESSAGE = "alerts-message"
    CHANGED = "alerts-changed"  # store bumped after a workflow step, so lists and tiles refresh
    BANNER = "alerts-banner"
    BANNER_TEXT = "alerts-banner-text"
    BANNER_LINK = "alerts-banner-link"
    BANNER_STATE = "alerts-banner-state"  # store: truthy while an unacknowledged 重大 warning exists
    BANNER_TICK = "alerts-banner-tick"


class ScreenOpsPage(StrEnum):
    """治理大屏 /screen-ops."""

    CANVAS = "sops-canvas"
    AREA_LABEL = "sops-area-label"
    PERIOD_LABEL = "sops-period-label"
    DATA_DATE = "sops-data-date"
    CLOCK = "sops-clock"
    CLOCK_TICK = "sops-clock-tick"
    REFRESH = "sops-refresh"
    EXIT = "sops-exit"
    BACKLOG = "sops-backlog"
    TREND = "sops-trend"
    COVERAGE = "sops-coverage"
    GROUPS = "sops-groups"
    WARNINGS = "sops-warnings"
    BODY_CLASS_SINK = "sops-body-class-sink"
