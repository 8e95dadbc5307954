"""Query cache: results keyed by query, arguments, the user's scope and the data version.

Redis when configured (shared by every gunicorn worker), an in-process LRU otherwise. The last good answer
of each question is also kept without the data version, so that when the database is unreachable a page
can keep showing it (marked stale) instead of failing.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

LOG = logging.getLogger(__name__)
TTL_SECONDS = 24 * 3600


class Backend(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: int) -> None: ...


class MemoryBackend:
    """A bounded LRU for one process (one per app instance, never module-global)."""

    def __init__(self, max_items: int = 2048) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_items

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl: int) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


class RedisBackend:
    """Redis shared by all workers; any Redis error degrades to 'not cached', never to a failed page."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        try:
            return self._client.get(key)
        except Exception as exc:  # noqa: BLE001 - any Redis failure means "no cache"
            LOG.warning("redis get failed: %s", exc)
            return None

    def set(self, key: str, value: bytes, ttl: int) -> None:
        try:
            self._client.set(key, value, ex=ttl)
        except Exception as exc:  # noqa: BLE001
            LOG.warning("redis set failed: %s", exc)


def make_backend(redis_url: str | None) -> Backend:
    return RedisBackend(redis_url) if redis_url else MemoryBackend()


@dataclass(frozen=True)
class Answer:
    """A query result and whether it is stale (served from the last good answer during an outage)."""

    value: Any
    stale_since: float | None = None


class DatabaseDown(RuntimeError):
    """The database is unreachable and no earlier answer to this question is kept."""


def namespace_for(database_url: str) -> str:
    """A key prefix per database, so two deployments (or test apps) sharing one Redis never read each other's answers.

    The password is left out: rotating it must not empty the cache, and it must not sit in Redis key names.
    """
    from sqlalchemy.engine import make_url

    identity = make_url(database_url).render_as_string(hide_password=True)
    return "cc:" + hashlib.sha256(identity.encode()).hexdigest()[:12]


class QueryCache:
    """Caches query results; `version` is read from the database by the caller (None when it is down)."""

    def __init__(self, backend: Backend, namespace: str = "cc") -> None:
        self.backend = backend
        self.namespace = namespace

    def entry(self, name: str) -> str:
        """The backend key of a named entry (facts, remembered values) inside this cache's namespace."""
        return f"{self.namespace}:{name}"

    def key(self, fn: Callable, args: tuple, scope: str) -> str:
        raw = f"{fn.__module__}.{fn.__qualname__}|{scope}|{args!r}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def run(self, fn: Callable, args: tuple, scope: str, version: str | None, compute: Callable[[], Any]) -> Answer:
        base = f"{self.namespace}:{self.key(fn, args, scope)}"
        if version is None:
            last = self.backend.get(base + ":last")
            if last is None:
                raise DatabaseDown("数据库暂时无法访问")
            built_at, value = pickle.loads(last)  # noqa: S301 - our own cache entries
            return Answer(value, stale_since=built_at)
        hit = self.backend.get(f"{base}:{version}")
        if hit is not None:
            return Answer(pickle.loads(hit))  # noqa: S301
        value = compute()
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.backend.set(f"{base}:{version}", blob, TTL_SECONDS)
        self.backend.set(base + ":last", pickle.dumps((time.time(), value), protocol=pickle.HIGHEST_PROTOCOL),
                         TTL_SECONDS * 7)
        return Answer(value)
