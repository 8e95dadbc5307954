"""What must happen after cases change (demo build, import): one entry point so nothing is forgotten.

Today it bumps the data version, which every cache key includes, so all workers see new data on their next
request.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine

from data.db import set_meta


def after_cases_changed(engine: Engine) -> str:
    """Record that the case data changed; returns the new data version."""
    version = str(time.time_ns())
    set_meta(engine, {"data_version": version})
    return version
