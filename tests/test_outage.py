"""Database outage: pages keep their last data with a 数据未更新 badge and recover without a restart."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests
from server_helpers import TcpProxy, call_callback, running_server
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from dashboard.ids import Kpi, Shell
from data.db import ping_when_idle

PASSWORD = "suqian-demo-2023"


def _deps(http: requests.Session, base: str) -> list[dict]:
    return http.get(base + "/_dash-dependencies", timeout=10).json()


@pytest.mark.parametrize("cache", ["memory", "redis"])
def test_outage_keeps_last_data_and_recovers(small_pg, pg_url: str, tmp_path, request, cache: str) -> None:
    proxy = TcpProxy(5432)
    url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    env = {"REDIS_URL": request.getfixturevalue("redis_url")} if cache == "redis" else {}
    with running_server(url, tmp_path, env) as base, requests.Session() as http:
        form = http.get(base + "/login", timeout=10).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        assert http.post(base + "/login", data={"username": "leader", "password": PASSWORD, "csrf": csrf},
                         allow_redirects=False, timeout=10).status_code == 302
        deps = _deps(http, base)
        tiles = next(d for d in deps if Kpi.VALUE.of("disputes_handled") in d["output"])
        beat = next(d for d in deps if Shell.STALE in d["output"])
        fresh = call_callback(http, base, tiles, ["?area=321322", "v1"])
        assert fresh.status_code == 200
        first = call_callback(http, base, beat, [1], [None]).json()["response"]
        assert first[Shell.STALE]["children"] == ""
        version = first[Shell.DATA_VERSION]["data"]
        # Unchanged data: the store is left alone, so pages are not refreshed (and reset) for nothing.
        assert Shell.DATA_VERSION not in call_callback(http, base, beat, [2], [version]).json()["response"]

        proxy.cut()
        assert requests.get(base + "/healthz", timeout=10).status_code == 200
        assert requests.get(base + "/readyz", timeout=10).status_code == 503
        stale = call_callback(http, base, tiles, ["?area=321322", "v1"])
        assert stale.status_code == 200
        assert stale.json()["response"] == fresh.json()["response"]  # the last data, unchanged
        badge = call_callback(http, base, beat, [2], [version])
        assert badge.status_code == 200
        assert "数据未更新" in json.dumps(badge.json()["response"][Shell.STALE], ensure_ascii=False)
        assert "Traceback" not in badge.text
        unseen = call_callback(http, base, tiles, ["?area=321324", "v1"])  # never computed: nothing to show, no crash
        assert unseen.status_code == 204

        proxy.restore()
        assert requests.get(base + "/readyz", timeout=10).status_code == 200
        back = call_callback(http, base, beat, [3], ["down"]).json()["response"]
        assert back[Shell.STALE]["children"] == "" and back[Shell.DATA_VERSION]["data"] != "down"
        assert call_callback(http, base, tiles, ["?area=321324", "v2"]).status_code == 200


@contextmanager
def _cut_between_two_queries(pg_url: str, idle_s: float) -> Iterator[Callable[[], int]]:
    """An engine through a proxy, one query run on it, then its pooled connection cut (and the proxy back):
    yields the query to run again."""
    proxy = TcpProxy(5432)
    engine = create_engine(pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), pool_size=1)
    ping_when_idle(engine, idle_s)

    def one() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one()

    try:
        assert one() == 1
        proxy.cut()
        proxy.restore()
        yield one
    finally:
        engine.dispose()
        proxy.cut()


def test_an_idle_pooled_connection_is_pinged_and_replaced(pg_url: str) -> None:
    """A connection back in the pool longer than the window is pinged first: one cut meanwhile (a restart, a
    firewall) costs no failed query, the pool reconnects."""
    with _cut_between_two_queries(pg_url, idle_s=0.0) as one:
        assert one() == 1


def test_a_connection_reused_within_the_window_is_not_pinged(pg_url: str) -> None:
    """Within the window no ping is sent, so a cut shows in the next query (the outage path), after which the
    pool replaces its connections and the query after answers."""
    with _cut_between_two_queries(pg_url, idle_s=3600.0) as one:
        with pytest.raises(OperationalError):
            one()
        assert one() == 1
