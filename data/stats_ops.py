"""`stats` keys of the governance operations, from the pages' own queries (merged by `data.stats`).

- backlog_resolved: backlog petitions closed in the period (2,124 for 2022 on the default demo);
- difficult_resolved: difficult cases resolved by the centers in the period (1,137 for 2022-08-01…2023-09-14);
- safety_index: the area's index for the period with the configured weights (one decimal, None if undefined);
- warnings_open: warnings raised by the period's end and not closed;
- visit_coverage: key persons visited on time / under supervision at the period's end, percent (two decimals).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine

from data.alert_rules import OpsSettings
from data.filters import AreaRef, Period
from data.queries.alerts import warnings_open
from data.queries.backlog import backlog_resolved
from data.queries.grids import visit_coverage
from data.queries.safety import safety_index
from data.queries.supervision import difficult_resolved


def _round(value: float, digits: int) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def stats_keys(engine: Engine, area: AreaRef, period: Period) -> dict[str, Any]:
    coverage = visit_coverage(engine, area, period.hi, OpsSettings.load()).iloc[0]
    return {
        "backlog_resolved": backlog_resolved(engine, area, period),
        "difficult_resolved": difficult_resolved(engine, area, period),
        "safety_index": _round(safety_index(engine, area, period), 1),
        "warnings_open": warnings_open(engine, area, period),
        "visit_coverage": _round(float(coverage["coverage"]), 2),
    }
