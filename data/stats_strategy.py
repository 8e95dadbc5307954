"""`stats` keys of the strategic pages, from the same queries as the pages (merged by `data.stats`).

- opinion_items: media items published in the period in the area (unknown areas only for the city);
- opinion_negative_share: their negative share in percent, two decimals (None when there is none);
- opinion_surges: negative surges (see `data.queries.opinion.opinion_surges`) in the period;
- plan_items, plan_done, plan_late: items of the three-year plan that apply to the area and their status as of
  the period's last day.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine

from data.filters import AreaRef, Period
from data.models_strategy import PlanStatus
from data.queries.opinion import opinion_kpis, opinion_surges
from data.queries.plan import plan_items


def stats_keys(engine: Engine, area: AreaRef, period: Period) -> dict[str, Any]:
    """The strategic keys for one area and period."""
    kpis = opinion_kpis(engine, area, period).iloc[0]
    share = float(kpis["negative_share"])
    items = plan_items(engine, area, period.end)
    return {
        "opinion_items": int(kpis["volume"]),
        "opinion_negative_share": None if math.isnan(share) else round(share, 2),
        "opinion_surges": len(opinion_surges(engine, area, period)),
        "plan_items": len(items),
        "plan_done": int((items["status"] == str(PlanStatus.DONE)).sum()),
        "plan_late": int((items["status"] == str(PlanStatus.LATE)).sum()),
    }
