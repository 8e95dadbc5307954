"""Import benchmark: rows per second and peak memory for a 1,000,000-row case CSV, on SQLite and PostgreSQL.

    python -m bench.import_bench [--rows 1000000] [--backend sqlite|postgresql|both] [--workdir DIR]

Each backend gets the small demo (real hierarchy, 8,000 cases) so that the generated rows refer to valid
grids; the CSV is generated once in chunks. The import runs as the real CLI in a child process, so its wall
time and peak RSS (from wait4) are the import's alone; a second run of the same file measures the
all-unchanged path. PostgreSQL uses its own database `import_bench` (created if missing), never `test`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = "import_bench"


def prepare_sqlite(workdir: Path) -> str:
    """A fresh SQLite demo database in the work folder."""
    from data.demo import build_demo

    path = workdir / "bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    build_demo(url, cases=8_000, seed=7, log=lambda _m: None)
    return url


def prepare_postgres() -> str:
    """The demo in the `import_bench` database, created with autocommit if it does not exist."""
    import psycopg

    from data.demo import build_demo

    admin = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone() is None:
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    url = f"{PG_SERVER}/{PG_DATABASE}"
    build_demo(url, cases=8_000, seed=7, log=lambda _m: None)
    return url


def generate(url: str, path: Path, rows: int) -> float:
    """Write the CSV (valid grid codes from the database); returns seconds taken."""
    from data.db import make_engine
    from data.importer.synth import grid_codes, write_csv

    started = time.perf_counter()
    engine = make_engine(url)
    write_csv(path, grid_codes(engine), rows, seed=42, prefix="BENCH")
    engine.dispose()
    return time.perf_counter() - started


def timed_import(url: str, path: Path, workdir: Path) -> dict[str, float | int]:
    """Run the CLI import in a child: seconds to its commit and in all (the latter includes the summary
    rebuild of `after_cases_changed`), rows/s to commit, and the child's own peak RSS in MiB (wait4)."""
    env = {**os.environ, "DATABASE_URL": url, "IMPORT_DIR": str(workdir / "imports"), "IMPORT_MAX_MB": "2000"}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "import", "cases", str(path), "--json"], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    committed = None
    peak_at_commit = 0
    lines: list[str] = []
    for line in proc.stderr or ():  # progress lines; the last one before the report is the commit
        lines.append(line)
        if "提交事务" in line:
            committed = time.perf_counter() - started
            peak_at_commit = _peak_rss_mib(proc.pid)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        tail = "".join(lines[-5:])
        raise SystemExit(f"import failed on {url}: exit {os.waitstatus_to_exitcode(status)}\n{tail}")
    report = json.loads(out)
    to_commit = committed or total
    return {"commit_s": round(to_commit, 1), "total_s": round(total, 1),
            "rows_per_s": round(report["received"] / to_commit), "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "peak_at_commit_mib": peak_at_commit,
            "inserted": report["inserted"], "unchanged": report["unchanged"], "rejected": report["rejected"]}


def _peak_rss_mib(pid: int) -> int:
    """The child's peak RSS so far (VmHWM): the import's own peak, before the post-commit refresh runs."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workdir", type=Path, help="where the database, CSV and reports go (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="import-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    csv_path = workdir / f"cases-{args.rows}.csv"
    for backend in backends:
        url = prepare_sqlite(workdir) if backend == "sqlite" else prepare_postgres()
        if not csv_path.exists():
            took = generate(url, csv_path, args.rows)
            print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1048576:.0f} MiB) in {took:.0f} s")
        first = timed_import(url, csv_path, workdir)
        again = timed_import(url, csv_path, workdir)
        for label, run, key in (("new rows", first, "inserted"), ("re-import", again, "unchanged")):
            print(f"{backend:10s} {label:9s} {run['rows_per_s']:>8,} rows/s  commit after {run['commit_s']} s, "
                  f"done after {run['total_s']} s  peak RSS {run['peak_at_commit_mib']} MiB at commit, "
                  f"{run['peak_rss_mib']} MiB in all  ({key} {run[key]:,})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
