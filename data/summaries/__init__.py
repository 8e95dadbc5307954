"""Summary tables (data/models_summary.py): rebuilding them, and what the page queries need to read them.

`rebuild(engine)` is called by `data.maintenance.after_cases_changed` and at the end of the demo build; the
queries read a city or a county from the summaries only while `summaries_fresh(engine)` holds.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Engine, case, func, literal, select

from data.db import get_meta
from data.models import Case, Meta
from data.models_summary import SumCase
from data.summaries.build import (
    BACKLOG_KEY,
    BACKLOG_LAST_DAY_KEY,
    COVERAGE_KEY,
    COVERAGE_LAST_DAY_KEY,
    LAST_DAY_KEY,
    LISTINGS_KEY,
    MAX_SPAN_CLASS,
    SOURCE_KEY,
    VISITS_KEY,
    coverage_mark,
    rebuild,
    source_mark,
    source_probes,
)
from data.summaries.cube import AGING_DAYS, OPEN_KEY
from data.summaries.days import (
    Split,
    day_number,
    from_day_number,
    monday_number,
    split_months,
    split_weeks,
)

__all__ = ["AGING_DAYS", "MAX_SPAN_CLASS", "Split", "backlog_days", "coverage_days", "day_number", "flow_outcome",
           "from_day_number", "listings_fresh", "monday_number", "rebuild", "split_months", "split_weeks", "standing_day",
           "summaries_fresh", "visits_fresh"]


def standing_day(engine: Engine, at_day: int) -> int:
    """The snapshot day to read for midnight `at_day`: after the last stored day nothing changes any more."""
    last = get_meta(engine, LAST_DAY_KEY)
    return min(at_day, int(last)) if last is not None else at_day


def summaries_fresh(engine: Engine) -> bool:
    """Whether the summaries were built from the cases as they are: built, and no case added since.

    The newest case id is checked (one index probe), so rows inserted without `after_cases_changed` make the
    pages fall back to the case table instead of showing stale figures; in-place updates must call it.
    """
    return _built_from_newest(engine, (SOURCE_KEY, Case.__table__.c.id))


def listings_fresh(engine: Engine) -> bool:
    """Whether `sum_listings` and `sum_listing_late` match the cases and the supervision listings (no case and
    no listing added since the rebuild; one read). Milestones are only written with their listing."""
    from data.models_ops import SupervisionListing

    return _built_from_newest(engine, (SOURCE_KEY, Case.__table__.c.id),
                              (LISTINGS_KEY, SupervisionListing.__table__.c.id))


def _built_from_newest(engine: Engine, *marks: tuple[str, ColumnElement[int]]) -> bool:
    """Whether each meta key names the newest id of its column (what the rebuild recorded with `source_mark`),
    all read in one statement."""
    probes = [probe for key, column in marks
              for probe in (_meta_value(key), select(func.max(column)).scalar_subquery())]
    with engine.connect() as conn:
        values = conn.execute(select(*probes)).one()
    return all(mark is not None and mark == source_mark(top) for mark, top in zip(values[::2], values[1::2], strict=True))


def _meta_value(key: str):
    """Scalar subquery: the meta value under `key` (so several keys and probes are read in one query)."""
    meta = Meta.__table__
    return select(meta.c.value).where(meta.c.key == key).scalar_subquery()


def coverage_days(engine: Engine, days: list[int], visit_days: dict[str, int]) -> list[int] | None:
    """The coverage snapshot's days to read for the midnights `days` (after the last stored day nothing
    changes any more), or None when the snapshot cannot be trusted: built with other visit frequencies, or
    from other key persons or visits than there are now (their count and newest ids, one read).

    Like the case summaries, only inserts are noticed: code that changes or deletes key persons or visits in
    place must call `rebuild` (`data.maintenance.after_cases_changed`).
    """
    with engine.connect() as conn:
        mark, last, *probes = conn.execute(select(_meta_value(COVERAGE_KEY), _meta_value(COVERAGE_LAST_DAY_KEY),
                                                  *source_probes())).one()
    if mark is None or mark != coverage_mark(visit_days, *probes):
        return None
    return list(days) if last is None else [min(d, int(last)) for d in days]


def backlog_days(engine: Engine, days: list[int]) -> list[int] | None:
    """The backlog board's days to read for the midnights `days` (after the last stored day nothing changes
    any more), or None when the board cannot be trusted: cases or color changes added since it was built (the
    newest ids, like `summaries_fresh`; one read)."""
    from data.models_ops import BacklogColorChange

    newest = [select(func.max(col)).scalar_subquery() for col in (Case.__table__.c.id,
                                                                   BacklogColorChange.__table__.c.id)]
    with engine.connect() as conn:
        cases_mark, board_mark, last, top_case, top_change = conn.execute(select(
            _meta_value(SOURCE_KEY), _meta_value(BACKLOG_KEY), _meta_value(BACKLOG_LAST_DAY_KEY), *newest)).one()
    if cases_mark != source_mark(top_case) or board_mark != source_mark(top_change):
        return None
    return list(days) if last is None else [min(d, int(last)) for d in days]


def visits_fresh(engine: Engine) -> bool:
    """Whether `sum_visits` was built from the visits as they are (no visit added since; one index probe)."""
    from data.models_ops import GridVisit

    return _built_from_newest(engine, (VISITS_KEY, GridVisit.__table__.c.id))


def flow_outcome(table=SumCase.__table__) -> ColumnElement[str]:
    """The flow diagram's outcome key on `sum_cases`: `open` while being handled, else the outcome ('' if none)."""
    return case((table.c.is_open == 1, literal(OPEN_KEY)), else_=func.coalesce(table.c.outcome, ""))
