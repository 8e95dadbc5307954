"""A short, bounded load run against gunicorn on 127.0.0.1 with mixed roles; memory per worker afterwards.

Clients are logged-in sessions of different roles (the leader, the analyst and chiefs of several counties,
whose views the server clamps to their county). Each repeatedly opens a random page with a random view the
way the browser does: the router callback, then every callback the page and the shell fire on load (inputs
from the page's layout, see bench.dashapi). The run stops at whichever comes first, `duration_s` or
`max_requests`; it should pass 1,000 requests so the worker memory printed afterwards is "after 1,000 requests".
Latency is printed as the clients saw it and as gunicorn logged it (server time).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from bench.callbacks import VIEWS, p95
from bench.dashapi import UPDATE, build_catalog, login_requests, payload, requests_transport, route_payload
from bench.server import Server, rss_mib

USERS = ("leader", "analyst", "chief-321302", "chief-321311", "chief-321322", "chief-321324")
CLIENTS = 8
DURATION_S = 60
MAX_REQUESTS = 4000
MIN_REQUESTS = 1000
TARGET_WORKER_MIB = 400
OK_STATUS = (200, 204)


@dataclass
class LoadResult:
    requests: int
    elapsed_s: float
    latencies_ms: list[float]
    errors: Counter
    by_user: Counter
    error_samples: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0


def run(server: Server, clients: int = CLIENTS, duration_s: float = DURATION_S,
        max_requests: int = MAX_REQUESTS, seed: int = 2023) -> LoadResult:
    sessions = []
    for i in range(clients):
        http = requests.Session()
        user = USERS[i % len(USERS)]
        login_requests(http, server.base, user)
        sessions.append((user, http))
    catalog = build_catalog(requests_transport(sessions[0][1], server.base))
    pages = list(catalog.pages)
    router = catalog.router()
    latencies: list[float] = []
    errors: Counter = Counter()
    by_user: Counter = Counter()
    samples: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.monotonic() + duration_s

    def client(k: int, user: str, http: requests.Session) -> None:
        rng = random.Random(seed + k)
        transport = requests_transport(http, server.base, timeout=60)
        while not stop.is_set():
            path, search = rng.choice(pages), rng.choice(list(VIEWS.values()))
            bodies = [route_payload(router, path)] + [
                payload(cb, catalog.components(path), path, search, catalog.data_version)
                for cb in catalog.page_callbacks(path, initial_only=True)]
            for body in bodies:
                if stop.is_set():
                    return
                t = time.perf_counter()
                try:
                    status, content = transport.post(UPDATE, body)
                except requests.RequestException as exc:
                    status, content = 0, str(exc).encode()
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(ms)
                    by_user[user] += 1
                    if status not in OK_STATUS:
                        errors[status] += 1
                        if len(samples) < 5:
                            samples.append(f"{user} {path}{search} {body['output'][:60]}: HTTP {status} "
                                           f"{content[:160].decode('utf-8', 'replace')}")
                    if len(latencies) >= max_requests or time.monotonic() >= deadline:
                        stop.set()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k, u, h), daemon=True) for k, (u, h) in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + 120)
    elapsed = time.perf_counter() - started
    for _u, http in sessions:
        http.close()
    return LoadResult(len(latencies), elapsed, latencies, errors, by_user, samples)


def report(server: Server, out: Callable[[str], None] = print, clients: int = CLIENTS,
           duration_s: float = DURATION_S, max_requests: int = MAX_REQUESTS) -> LoadResult:
    workers = server.workers()
    out(f"load: gunicorn {len(workers)} workers on {server.base}, cache "
        + (f"Redis {server.redis_url} (flushed before the run)" if server.redis_url else "in-process (no Redis)")
        + f"; {clients} clients as {', '.join(sorted(set(USERS[i % len(USERS)] for i in range(clients))))}; "
        f"bounded by {duration_s:.0f} s and {max_requests} requests")
    before = len(server.access())
    result = run(server, clients, duration_s, max_requests)
    lat = sorted(result.latencies_ms)
    n_err = sum(result.errors.values())
    out(f"  {result.requests} requests in {result.elapsed_s:.1f} s: {result.throughput:.1f} req/s; "
        f"client-side p50 {statistics.median(lat):.0f} ms, p95 {p95(lat):.0f} ms, max {lat[-1]:.0f} ms; "
        f"errors (not 200/204): {n_err}" + (f" {dict(result.errors)}" if n_err else ""))
    logged = [r for r in server.access()[before:] if r[3] == UPDATE]
    if logged:
        ms = sorted(r[2] for r in logged)
        out(f"  server-side (gunicorn log, {len(ms)} callback requests): p50 {statistics.median(ms):.0f} ms, "
            f"p95 {p95(ms):.0f} ms, max {ms[-1]:.0f} ms")
    out("  requests per role: " + ", ".join(f"{u} {n}" for u, n in sorted(result.by_user.items())))
    for sample in result.error_samples:
        out(f"  error: {sample}")
    if result.requests < MIN_REQUESTS:
        out(f"  NOTE: fewer than {MIN_REQUESTS} requests in {duration_s:.0f} s: the memory below is after "
            f"{result.requests} requests")
    served = server.served()
    for pid in server.workers():
        rss, peak = rss_mib(pid)
        flag = f"  >{TARGET_WORKER_MIB} MiB" if rss > TARGET_WORKER_MIB else ""
        out(f"  worker {pid}: {served.get(pid, 0)} requests served in total, RSS {rss:.0f} MiB "
            f"(peak {peak:.0f} MiB){flag}")
    if set(server.workers()) != set(workers):
        out(f"  NOTE: workers changed during the run ({workers} → {server.workers()}): a worker restarted")
    return result
