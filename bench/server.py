"""gunicorn on 127.0.0.1 for the load run and the big-screen timing, exactly as production starts it.

`dashboard/gunicorn.conf.py` with DATABASE_URL, SECRET_KEY, DASHBOARD_ENV=production, BIND and WEB_CONCURRENCY;
REDIS_URL (a database index of the local Redis, flushed first so a run starts cold) when Redis answers. The
access log goes to a file with the worker pid and the server time of each request, so requests per worker and
server-side latency come from gunicorn itself; stdout/stderr go to a file too.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/3"
START_TIMEOUT_S = 120
ACCESS_FORMAT = "%(p)s %(s)s %(M)s %(m)s %(U)s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ready(url: str = REDIS_URL) -> bool:
    """Whether Redis answers at `url`; if so its database is flushed (the run starts cold)."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.flushdb()
        client.close()
        return True
    except Exception:  # noqa: BLE001 - no Redis: the in-process cache
        return False


def rss_mib(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MiB of a process."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    access_log: Path
    output_log: Path
    redis_url: str | None

    def workers(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True,
                             text=True).stdout
        return sorted(int(p) for p in out.split())

    def access(self) -> list[tuple[int, int, float, str]]:
        """(worker pid, status, server ms, path) of every request logged so far."""
        rows = []
        text = self.access_log.read_text(errors="replace") if self.access_log.exists() else ""
        for line in text.splitlines():
            m = re.match(r"<?(\d+)>? (\d{3}) (\d+) (\S+) (\S+)", line)
            if m:
                rows.append((int(m.group(1)), int(m.group(2)), float(m.group(3)), m.group(5)))
        return rows

    def served(self) -> Counter:
        return Counter(pid for pid, *_rest in self.access())


@contextmanager
def gunicorn(database_url: str, log_dir: Path, workers: int = 2, redis_url: str | None = None,
             tag: str = "server") -> Iterator[Server]:
    """Start gunicorn, wait until every worker answers, yield it; stop it afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    access, output = log_dir / f"{tag}-access.log", log_dir / f"{tag}-gunicorn.log"
    access.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-" + "x" * 26,
           "DASHBOARD_ENV": "production", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers),
           "LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    cmd = [sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn.conf.py", "dashboard.wsgi:server",
           "--access-logfile", str(access), "--access-logformat", ACCESS_FORMAT]
    with output.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(base, proc, access, output, redis_url)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {output}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT_S} s; see {output}")
            try:
                if len(server.workers()) == workers and requests.get(base + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        _wait_all_workers(server, workers, deadline)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_all_workers(server: Server, workers: int, deadline: float) -> None:
    """Until each worker has answered a request (each builds its own app at start)."""
    while len(server.served()) < workers and time.monotonic() < deadline:
        with requests.Session() as http:  # a fresh connection, so the kernel may hand it to another worker
            try:
                http.get(server.base + "/healthz", timeout=5)
            except requests.RequestException:
                time.sleep(0.2)
