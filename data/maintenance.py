"""What must happen after cases change (demo build, import): one entry point so nothing is forgotten.

It rebuilds the summary tables (`data.summaries`) so that every page's figures stay exactly in step with the
cases, then bumps the data version, which every cache key includes, so all workers see new data on their next
request. The order matters: a worker that sees the new version must also see the new summaries.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine

from data.db import set_meta
from data.summaries import rebuild


def after_cases_changed(engine: Engine) -> str:
    """Rebuild the summaries and record that the case data changed; returns the new data version."""
    rebuild(engine)
    return after_data_changed(engine)


def after_data_changed(engine: Engine) -> str:
    """Record that data other than cases changed (indicators, media items): a new version empties every cache.

    The summaries are derived from cases, events and cards only, so rebuilding them here would cost tens of
    seconds on a large database for nothing.
    """
    version = str(time.time_ns())
    set_meta(engine, {"data_version": version})
    return version
