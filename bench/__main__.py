"""`python -m bench [callbacks|load|build] [--db URL] [--cases N]`: print the figures the issues ask for."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "instance" / "bench-1m.sqlite"


def ensure_db(url: str | None, cases: int) -> str:
    """Use `url`, or build (once) a SQLite database with `cases` cases under instance/."""
    if url:
        return url
    path = DEFAULT_DB if cases == 1_000_000 else ROOT / "instance" / f"bench-{cases}.sqlite"
    built = f"sqlite:///{path}"
    if not path.exists():
        from data.demo import build_demo

        path.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        build_demo(built, cases=cases, seed=2023)
        print(f"built {cases:,} cases in {time.perf_counter() - t:.0f} s; {path.stat().st_size / 2**20:.0f} MiB")
    return built


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("what", nargs="?", default="all", choices=["all", "callbacks", "load"])
    parser.add_argument("--db", help="SQLAlchemy URL (default: build a SQLite demo under instance/)")
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", "1000000")))
    args = parser.parse_args()
    url = ensure_db(args.db, args.cases)
    if args.what in ("all", "callbacks"):
        from bench.callbacks import report

        report(url)
    if args.what in ("all", "load"):
        from bench.load import report as load_report

        load_report(url)


if __name__ == "__main__":
    main()
