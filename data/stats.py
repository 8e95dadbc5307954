"""The `stats` report: the published headline figures for an area and period, from the pages' own queries."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine

from data.filters import AreaRef, Period
from data.queries.summary import disputes_handled, first_petitions, open_cases_and_cards, structure_counts
from data.vocab import CARD_ORDER


def _round(value: float, digits: int = 2) -> float | None:
    return None if math.isnan(value) else round(value, digits)


# Later systems add keys here: each module has stats_keys(engine, area, period) -> dict.
STATS_EXTENSIONS = ("data.stats_ops", "data.stats_strategy")


def stats(engine: Engine, area: AreaRef, period: Period) -> dict[str, Any]:
    """One JSON-ready dict; rates are percents rounded to two decimals (None when undefined)."""
    result = core_stats(engine, area, period)
    from data.demo import extension_modules

    for module in extension_modules(STATS_EXTENSIONS):
        result.update(module.stats_keys(engine, area, period))
    return result


def core_stats(engine: Engine, area: AreaRef, period: Period) -> dict[str, Any]:
    """The foundation's keys (see the README)."""
    disputes = disputes_handled(engine, area, period).iloc[0]
    petitions = first_petitions(engine, area, period).iloc[0]
    standing = open_cases_and_cards(engine, area, period.hi).iloc[0]
    structure = structure_counts(engine, area).iloc[0]
    return {
        "area": {"code": area.code, "name": area.name, "level": str(area.level)},
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "disputes_handled": int(disputes["handled"]),
        "disputes_mediated": int(disputes["mediated"]),
        "mediation_success_rate": _round(float(disputes["success_rate"])),
        "first_petitions": int(petitions["current"]),
        "first_petitions_previous": int(petitions["previous"]),
        "first_petitions_yoy": _round(float(petitions["yoy"]), 1),
        "institutions": int(structure["institutions"]),
        "center_staff": int(structure["center_staff"]),
        "counties": int(structure["counties"]),
        "townships": int(structure["townships"]),
        "villages": int(structure["villages"]),
        "grids": int(structure["grids"]),
        "demo_grids": int(structure["demo_grids"]),
        "grid_liaisons": int(structure["grid_liaisons"]),
        "grid_staff": int(structure["grid_staff"]),
        "cases_open": int(standing["open"]),
        "cards": {str(c): int(standing[str(c)]) for c in CARD_ORDER},
    }
