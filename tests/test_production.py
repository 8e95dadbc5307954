"""Production serving as the README documents it: gunicorn workers on PostgreSQL with Redis as the shared cache."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from server_helpers import call_callback, free_port

from dashboard.ids import Kpi

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "suqian-demo-2023"


def _workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_gunicorn_workers_on_postgresql_and_redis(small_pg, pg_url: str, redis_url: str, tmp_path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": pg_url, "REDIS_URL": redis_url, "SECRET_KEY": "p" * 40,
           "DASHBOARD_ENV": "production", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn.conf.py",
                                 "dashboard.wsgi:server"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        assert len(_workers(proc.pid)) == 2
        health = requests.get(base + "/healthz", timeout=5)
        assert health.status_code == 200 and "set-cookie" not in health.headers
        assert requests.get(base + "/", timeout=5, allow_redirects=False).status_code in (302, 303, 401)

        http = requests.Session()
        csrf = re.search(r'name="csrf" value="([^"]+)"', http.get(base + "/login", timeout=10).text).group(1)
        login = http.post(base + "/login", data={"username": "leader", "password": PASSWORD, "csrf": csrf},
                          allow_redirects=False, timeout=10)
        assert login.status_code == 302 and "secure" not in login.headers.get("set-cookie", "").lower()
        deps = http.get(base + "/_dash-dependencies", timeout=10).json()
        tiles = next(d for d in deps if Kpi.VALUE.of("intake") in d["output"])
        # Several requests, so both workers (each with its own pool) answer at least some of them.
        answers = {call_callback(http, base, tiles, ["?area=321300", "x"]).text for _ in range(8)}
        assert len(answers) == 1 and Kpi.VALUE.of("intake") in answers.pop()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    # Request logs carry the duration: "POST /_dash-update-component 200 12.3ms 456B".
    assert re.search(r"dashboard\.requests POST /_dash-update-component 200 \d+\.\dms", text), text[-3000:]
    assert re.search(r"dashboard\.requests GET /readyz 200 \d+\.\dms", text)
