"""What must happen after cases change (demo build, import): one entry point so nothing is forgotten.

It rebuilds the summary tables (`data.summaries`) so that every page's figures stay exactly in step with the
cases, then bumps the data version, which every cache key includes, so all workers see new data on their next
request. The order matters: a worker that sees the new version must also see the new summaries.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, select

from data.alert_rules import AlertRules, OpsSettings, evaluate_if_new_data
from data.db import set_meta
from data.models import Case
from data.summaries import coverage_days, rebuild, summaries_fresh


def after_cases_changed(engine: Engine) -> str:
    """Rebuild the summaries and record that the case data changed; returns the new data version."""
    rebuild(engine)
    return after_data_changed(engine)


def after_data_changed(engine: Engine) -> str:
    """Record that data other than cases changed (indicators, media items): a new version empties every cache,
    and the warning rules evaluate the latest data.

    The summaries are derived from cases, events and cards only, so rebuilding them here would cost tens of
    seconds on a large database for nothing.
    """
    version = str(time.time_ns())
    set_meta(engine, {"data_version": version})
    # The warning rules look at the new data here, in the importing process, rather than in the first page
    # request after it (the banner's fallback), which would wait a second or more at a million cases.
    evaluate_if_new_data(engine, AlertRules.load())
    return version


def rebuild_if_stale(engine: Engine) -> bool:
    """Rebuild the summaries when there are cases but the summaries do not match them, or the visit-coverage
    snapshot does not match the key persons, their visits or the configured visit frequencies; True if it did.

    A migration that adds summary columns marks the summaries stale (they would lack the new values): every
    city and county page then reads the case table, correct but slow, until they are rebuilt. `migrate` calls
    this so that an upgrade does not leave them so until the next import — nor the coverage figures on the
    slow query after the visit frequencies in config/operations.json changed.
    """
    with engine.connect() as conn:
        has_cases = conn.execute(select(Case.__table__.c.id).limit(1)).first() is not None
    if not has_cases or (summaries_fresh(engine)
                         and coverage_days(engine, [], OpsSettings.load().visit_days) is not None):
        return False
    after_cases_changed(engine)
    return True
