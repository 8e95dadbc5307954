"""`python -m bench [all|callbacks|load|screen|build]`: the benchmark suite (`make bench`).

For each backend — SQLite (instance/bench-1m.sqlite) and, when reachable, PostgreSQL (database `bench`) — the
1,000,000-case demo is built once, then:

- callbacks: every callback of every page with representative views, cold p50/p95 and warm p50 server time,
  bytes, and the raw-SQL floor of its family side by side; map drills city → village (bench.callbacks);
- load: a bounded run against gunicorn (2 workers, Redis when it answers) with mixed roles: throughput, p95,
  errors, and memory per worker afterwards (bench.load);
- screen: the big screen's first render in Chromium at 1920×1080 and 3840×2160, cold and warm (bench.screen).

Everything printed also goes to artifacts/bench/<backend>-<timestamp>.txt. Targets: every callback p95 ≤ 150 ms
and ≤ 1.5× its floor; a map drill ≤ 300 KB; the big screen's first render ≤ 2 s; ≤ 400 MB per worker.

Options: --cases N (default 1,000,000, or $BENCH_CASES), --backends sqlite,postgresql, --db URL (an existing
database instead), --skip-build (fail instead of building), --repeats/--warm/--floor-repeats, --load-seconds,
--load-requests, --workers.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench import databases

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "bench"
DEFAULT_DB = databases.DEFAULT_SQLITE
PARTS = ("callbacks", "load", "screen")


def ensure_db(url: str | None, cases: int) -> str:
    """`url`, or the SQLite demo with `cases` cases under instance/ (built once). Kept for bench.export_bench."""
    return url or databases.ensure_sqlite(cases)


class Tee:
    """Print a line and append it to the backend's artifact file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file = path.open("w", encoding="utf-8")

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def _resolve(backend: str, args: argparse.Namespace, out: Callable[[str], None]) -> str | None:
    if backend == "sqlite":
        return databases.ensure_sqlite(args.cases, out, build=not args.skip_build)
    if not databases.postgres_reachable():
        out(f"PostgreSQL is not reachable at {databases.PG_SERVER}: skipped")
        return None
    return databases.ensure_postgres(args.cases, out, build=not args.skip_build)


def run_backend(url: str, backend: str, parts: list[str], args: argparse.Namespace, out: Callable[[str], None],
                log_dir: Path) -> None:
    from bench.server import REDIS_URL, gunicorn, redis_ready

    cases = databases.demo_cases(url)
    out("=" * 100)
    out(f"bench — {backend}: {databases.describe(url)} — "
        f"{f'{cases:,}' if cases is not None else '?'} cases")
    out(f"  {datetime.now():%Y-%m-%d %H:%M:%S}, commit {_commit()}, {platform.node()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}")
    out("=" * 100)
    if "callbacks" in parts:
        from bench.callbacks import report

        report(url, repeats=args.repeats, warm=args.warm, floor_repeats=args.floor_repeats, out=out,
               paths=args.pages.split(",") if args.pages else None)
        out("")

    def fresh_server(tag: str):
        redis = REDIS_URL if redis_ready() else None  # flushed: the server starts cold
        return gunicorn(url, log_dir, workers=args.workers, redis_url=redis, tag=tag)

    if "load" in parts:
        from bench.load import report as load_report

        with fresh_server(f"{backend}-load") as server:
            load_report(server, out, duration_s=args.load_seconds, max_requests=args.load_requests)
        out("")
    if "screen" in parts:
        from bench.screen import report as screen_report

        counter = iter(range(1, 100))
        screen_report(lambda: fresh_server(f"{backend}-screen{next(counter)}"), out)
        out("")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", default="all", choices=["all", *PARTS, "build"])
    parser.add_argument("--db", help="an existing database (SQLAlchemy URL) instead of the built demos")
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", "1000000")))
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (PostgreSQL is skipped when unreachable)")
    parser.add_argument("--skip-build", action="store_true", help="fail instead of building a missing database")
    parser.add_argument("--repeats", type=int, default=20,
                        help="cold repeats per callback and view (20: the p95 is the second largest, not the maximum)")
    parser.add_argument("--warm", type=int, default=3, help="warm repeats per callback and view")
    parser.add_argument("--floor-repeats", type=int, default=3, help="repeats of each raw-SQL floor")
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--load-requests", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", help="comma-separated page paths to time (e.g. /backlog,/grids); default all")
    args = parser.parse_args(argv)
    parts = list(PARTS) if args.what == "all" else [] if args.what == "build" else [args.what]

    if args.db:
        targets = [(databases.backend_of(args.db), args.db)]
    else:
        targets = [(b.strip(), None) for b in args.backends.split(",") if b.strip()]
        unknown = {b for b, _u in targets} - {"sqlite", "postgresql"}
        if unknown:
            parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()
    for backend, url in targets:
        tee = Tee(ARTIFACTS / f"{backend}-{stamp}.txt")
        try:
            url = url or _resolve(backend, args, tee)
            if url and parts:
                run_backend(url, backend, parts, args, tee, ARTIFACTS / "logs" / f"{backend}-{stamp}")
            elif url:
                tee(f"{backend}: {databases.describe(url)} holds the {databases.demo_cases(url):,}-case demo")
            if url:
                tee(f"written to {tee.path.relative_to(ROOT)}")
        finally:
            tee.close()
    print(f"bench finished in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
