"""Per-app services (engine, config, query cache) reachable from callbacks without module globals.

The app factory stores one `Services` object in the Flask app's `extensions`; several apps (tests) and
several gunicorn workers each have their own.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from dashboard.config import Config
from data.cache import QueryCache
from data.db import reader
from data.models import Meta

EXTENSION_KEY = "command_center"
_FACTS_KEY = "facts"


@dataclass(frozen=True)
class Facts:
    """What every request needs to know about the data: its version (cache keys) and its as-of date."""

    version: str | None
    as_of: date | None
    reachable: bool
    checked_at: float = 0.0  # when the database last answered (epoch seconds)


@dataclass(frozen=True)
class Services:
    """`engine` for writes (imports, accounts, audit); `reader` for what every request reads."""

    config: Config
    engine: Engine
    cache: QueryCache

    @cached_property
    def reader(self) -> Engine:
        """The engine on the same pool without transaction round trips (`data.db.reader`): the principal, the
        facts, the view and the page's queries read through it."""
        return reader(self.engine)

    def facts(self) -> Facts:
        """Read once per request; when the database is down, the last facts seen (marked unreachable)."""
        if has_request_context() and "cc_facts" in g:
            return g.cc_facts
        try:
            with self.reader.connect() as conn:
                meta = dict(conn.execute(select(Meta.key, Meta.value).where(
                    Meta.key.in_(["data_version", "as_of"]))).all())
            facts = Facts(meta.get("data_version", "0"), _date(meta.get("as_of")), True, time.time())
            self.cache.backend.set(self.cache.entry(_FACTS_KEY), pickle.dumps(facts), 7 * 24 * 3600)
        except SQLAlchemyError:
            blob = self.cache.backend.get(self.cache.entry(_FACTS_KEY))
            last = pickle.loads(blob) if blob else Facts(None, None, False)  # noqa: S301 - our own entry
            facts = Facts(None, last.as_of, False, last.checked_at)
        if has_request_context():
            g.cc_facts = facts
        return facts

    def today(self) -> date:
        """The data's as-of date: 'today' for quick picks and overdue views (wall clock if unknown)."""
        return self.facts().as_of or date.today()

    def query(self, fn: Callable, *args: Any, scope: str = "") -> Any:
        """Run a query function through the cache: `fn(engine, *args)`; stale answers mark the request."""
        answer = self.cache.run(fn, args, scope, self.facts().version, lambda: fn(self.reader, *args))
        if answer.stale_since is not None and has_request_context():
            g.cc_stale_since = min(answer.stale_since, g.get("cc_stale_since", answer.stale_since))
        return answer.value


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def services() -> Services:
    """The services of the app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]


def remember(key: str, compute: Callable[[], Any]) -> Any:
    """`compute()` now, or — when the database is down — the value it gave last time (per process/Redis)."""
    cache = services().cache
    backend, entry = cache.backend, cache.entry("remember:" + key)
    try:
        value = compute()
    except SQLAlchemyError:
        blob = backend.get(entry)
        if blob is None:
            raise
        return pickle.loads(blob)  # noqa: S301 - our own entry
    backend.set(entry, pickle.dumps(value), 7 * 24 * 3600)
    return value
