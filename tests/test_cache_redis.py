"""The Redis-backed query cache: shared by worker processes, keyed by scope and data version, emptied by imports.

Two real server processes (two "workers") share one Redis; a chief must never be served an answer cached for
a wider or another scope, and an import must show on the next request of every worker.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from server_helpers import call_callback, running_server
from test_import_cases import copy_sqlite

from dashboard.formatting import count_full
from dashboard.ids import Kpi
from data.cache import QueryCache, RedisBackend, namespace_for
from data.filters import Period, find_area
from data.importer.synth import grid_codes, synthetic_cases
from data.queries.summary import headline_kpis

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "suqian-demo-2023"
YEAR = "&from=2023-01-01&to=2023-12-31"
IMPORTED = 25


def _namespace_keys(redis_url: str, namespace: str) -> set[bytes]:
    import redis

    return set(redis.Redis.from_url(redis_url).scan_iter(match=namespace + ":*", count=1000))


def test_redis_entries_are_kept_apart_by_scope_version_and_database(redis_url: str) -> None:
    calls: list[str] = []

    def question(_engine, area: str) -> str:
        return area

    def answer(cache: QueryCache, scope: str, version: str | None) -> str:
        return cache.run(question, ("321300",), scope, version, lambda: calls.append(scope) or f"{scope}@{version}").value

    tag = os.urandom(4).hex()
    one = QueryCache(RedisBackend(redis_url), namespace_for(f"sqlite:////tmp/{tag}-one.sqlite"))
    other_worker = QueryCache(RedisBackend(redis_url), namespace_for(f"sqlite:////tmp/{tag}-one.sqlite"))
    other_db = QueryCache(RedisBackend(redis_url), namespace_for(f"sqlite:////tmp/{tag}-two.sqlite"))
    assert answer(one, "321322", "v1") == "321322@v1"
    assert answer(one, "321324", "v1") == "321324@v1"  # same question, another scope: computed, not shared
    assert answer(other_worker, "321322", "v1") == "321322@v1" and calls == ["321322", "321324"]  # shared
    assert answer(other_db, "321322", "v1") == "321322@v1" and len(calls) == 3  # another database: its own
    assert answer(other_worker, "321322", "v2") == "321322@v2" and len(calls) == 4  # new data version
    assert answer(one, "321324", None) == "321324@v1"  # database down: the last good answer of that scope
    assert namespace_for("postgresql+psycopg://u:secret@h/db") == namespace_for("postgresql+psycopg://u:other@h/db")
    assert "secret" not in namespace_for("postgresql+psycopg://u:secret@h/db")


class Worker:
    """One logged-in browser session against one server process, calling the home tiles like the page does."""

    def __init__(self, base: str, user: str) -> None:
        self.base, self.http = base, requests.Session()
        form = self.http.get(base + "/login", timeout=10).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        assert self.http.post(base + "/login", data={"username": user, "password": PASSWORD, "csrf": csrf},
                              allow_redirects=False, timeout=10).status_code == 302
        deps = self.http.get(base + "/_dash-dependencies", timeout=10).json()
        self.tiles = next(d for d in deps if Kpi.VALUE.of("intake") in d["output"])

    def intake(self, search: str) -> str:
        response = call_callback(self.http, self.base, self.tiles, [search, "page"])
        assert response.status_code == 200, response.text[:500]
        return response.json()["response"][Kpi.VALUE.of("intake")]["children"]


@pytest.fixture(scope="module")
def two_workers(small_sqlite, redis_url: str, tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """Two server processes on a private copy of the small demo, sharing the Redis cache."""
    root = tmp_path_factory.mktemp("redis-workers")
    engine = copy_sqlite(small_sqlite, root / "db.sqlite")
    url = f"sqlite:///{root / 'db.sqlite'}"
    engine.dispose()
    env = {"REDIS_URL": redis_url, "IMPORT_DIR": str(root / "imports")}
    with running_server(url, root, env) as a, running_server(url, root, env) as b:
        yield a, b, url


def _expected_intake(url: str, code: str) -> str:
    from data.db import make_engine

    engine = make_engine(url)
    try:
        row = headline_kpis(engine, find_area(engine, code), Period(date(2023, 1, 1), date(2023, 12, 31))).iloc[0]
        return count_full(row["intake"])
    finally:
        engine.dispose()


def test_a_chief_never_gets_another_scopes_cached_answer(two_workers, redis_url: str) -> None:
    a, b, url = two_workers
    city, own, other = (_expected_intake(url, code) for code in ("321300", "321322", "321324"))
    assert len({city, own, other}) == 3
    leader = Worker(a, "leader")
    assert leader.intake("?area=321300" + YEAR) == city
    assert leader.intake("?area=321324" + YEAR) == other
    cached = _namespace_keys(redis_url, namespace_for(url))
    assert cached, "the leader's answers are in Redis"
    for base in (a, b):  # the city's and 321324's answers are in the shared cache; the chief asks for both
        chief = Worker(base, "chief-321322")
        assert chief.intake("?area=321300" + YEAR) == own
        assert chief.intake("?area=321324" + YEAR) == own
        assert chief.intake("?area=321322" + YEAR) == own


def test_both_workers_share_answers_and_see_an_import_on_their_next_request(two_workers, redis_url: str,
                                                                            tmp_path) -> None:
    a, b, url = two_workers
    search = "?area=321322" + YEAR
    first, second = Worker(a, "analyst"), Worker(b, "analyst")
    before = first.intake(search)
    keys = _namespace_keys(redis_url, namespace_for(url))
    assert second.intake(search) == before
    assert _namespace_keys(redis_url, namespace_for(url)) == keys  # the second worker computed nothing new

    from data.db import make_engine

    engine = make_engine(url)
    grids = [g for g in grid_codes(engine) if g.startswith("321322")]
    engine.dispose()
    path = tmp_path / "new-cases.csv"
    synthetic_cases(grids, IMPORTED, seed=11, prefix="REDIS").to_csv(path, index=False, encoding="utf-8-sig")
    result = subprocess.run([sys.executable, "-m", "dashboard", "import", "cases", str(path), "--json"],
                            capture_output=True, text=True, cwd=REPO, timeout=300,
                            env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == IMPORTED

    after = _expected_intake(url, "321322")
    assert after != before
    assert second.intake(search) == after  # the worker that did not see it first
    assert first.intake(search) == after
