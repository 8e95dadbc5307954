"""A short, bounded load run against gunicorn on 127.0.0.1 with mixed roles; memory per worker afterwards."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from bench.callbacks import VIEWS, _payload

ROOT = Path(__file__).resolve().parent.parent
USERS = ("leader", "chief-321322", "analyst", "chief-321324")
PASSWORD = "suqian-demo-2023"
DURATION_S = 30
MAX_REQUESTS = 3000
THREADS = 8


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _session(base: str, user: str) -> requests.Session:
    http = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', http.get(base + "/login", timeout=10).text).group(1)
    http.post(base + "/login", data={"username": user, "password": PASSWORD, "csrf": csrf}, timeout=10)
    return http


def report(database_url: str, workers: int = 2) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-" + "x" * 26,
           "DASHBOARD_ENV": "production", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers),
           "LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn.conf.py",
                             "dashboard.wsgi:server", "--access-logfile", "/dev/null"], cwd=ROOT, env=env)
    try:
        for _ in range(120):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        sessions = [_session(base, USERS[i % len(USERS)]) for i in range(THREADS)]
        deps = [d for d in sessions[0].get(base + "/_dash-dependencies").json() if not d.get("clientside_function")]
        payloads = [_payload(d, s, "/") for d in deps for s in VIEWS.values()]
        latencies: list[float] = []
        lock = threading.Lock()
        deadline = time.monotonic() + DURATION_S

        def worker(http: requests.Session, offset: int) -> None:
            i = offset
            while time.monotonic() < deadline:
                with lock:
                    if len(latencies) >= MAX_REQUESTS:
                        return
                t = time.perf_counter()
                http.post(base + "/_dash-update-component", json=payloads[i % len(payloads)], timeout=30)
                with lock:
                    latencies.append((time.perf_counter() - t) * 1000)
                i += 7

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(s, k)) for k, s in enumerate(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(f"load: {len(latencies)} requests in {elapsed:.1f} s with {THREADS} clients, {workers} workers: "
              f"{len(latencies) / elapsed:.1f} req/s, p50 {statistics.median(latencies):.0f} ms, "
              f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms")
        for pid in _workers(proc.pid):
            print(f"worker {pid}: {_rss_mib(pid):.0f} MiB resident after the run")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
