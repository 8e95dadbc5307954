"""Time and memory of the largest export: every overdue case of the city as CSV and as xlsx.

`python -m bench.export_bench [--db URL] [--formats csv,xlsx]` uses `instance/bench-1m.sqlite` (1,000,000 cases;
built once with `bench.__main__.ensure_db` when missing). Each format runs in a fresh subprocess, so its peak
resident memory (`ru_maxrss`) is its own: the app is built and logged in, warmed with a small export, then
`/export/overdue-cases.<fmt>` for 宿迁市 2021-01-01…2023-12-31 is requested through Flask's test client and the
streamed body is read chunk by chunk, as a browser would, without keeping it. A second request under
tracemalloc gives the Python heap's peak during the export (tracemalloc slows it, so it is not timed).

The demo's overdue list at the as-of date is short (a few thousand of a million cases). `--reopen N` also
measures a list of about N rows: on a temporary copy (`VACUUM INTO`, removed afterwards) N closed cases that
were due before the period end are made open again, so they count as overdue; peak memory should not grow
with N, because rows go from the database cursor to the response in batches.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "suqian-demo-2023"
VIEW = "?area=321300&from=2021-01-01&to=2023-12-31"
CHART = "overdue-cases"
META_LINES = 7  # CSV: six "# key,value" lines and the header before the rows


def _rss_mib() -> float:
    """This process' resident memory now, from /proc (MiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mib() -> float:
    """This process' peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _client(database_url: str):
    """The app on the database, and a test client logged in as the leader (whole city) through /login."""
    from dashboard.app import create_app
    from dashboard.config import Config

    app = create_app(Config(database_url=database_url, secret_key="export-bench-" + "x" * 20))
    client = app.server.test_client()
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    client.post("/login", data={"username": "leader", "password": PASSWORD, "csrf": csrf})
    return client


def _drain(client, url: str) -> tuple[int, int, int]:
    """Request `url` and read the streamed body without keeping it: (status, bytes, newlines)."""
    response = client.get(url, buffered=False)
    size = lines = 0
    try:
        for chunk in response.response:
            data = chunk if isinstance(chunk, bytes) else chunk.encode()
            size += len(data)
            lines += data.count(b"\n")
    finally:
        response.close()
    return response.status_code, size, lines


def _xlsx_rows(client, url: str) -> int:
    """Data rows of the exported workbook (read after the measurement, in read-only mode)."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(url).data), read_only=True)
    return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 8  # 6 meta rows, a blank, the header


def measure(database_url: str, fmt: str) -> dict:
    """One format's figures, in this process (run it in a fresh one: see `main`)."""
    started = time.perf_counter()
    client = _client(database_url)
    _drain(client, f"/export/overdue-by-area.{fmt}{VIEW}")  # warm: imports, the renderer-free data path
    ready_s = time.perf_counter() - started
    rss_before, peak_before = _rss_mib(), _peak_mib()
    url = f"/export/{CHART}.{fmt}{VIEW}"
    t = time.perf_counter()
    status, size, lines = _drain(client, url)
    seconds = time.perf_counter() - t
    peak_after = _peak_mib()
    tracemalloc.start()
    _drain(client, url)
    _current, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = lines - META_LINES if fmt == "csv" else _xlsx_rows(client, url)
    return {"format": fmt, "status": status, "rows": rows, "bytes": size, "seconds": round(seconds, 2),
            "app_ready_s": round(ready_s, 1), "rss_before_mib": round(rss_before, 1),
            "peak_before_mib": round(peak_before, 1), "peak_after_mib": round(peak_after, 1),
            "python_heap_peak_mib": round(heap_peak / 2**20, 1)}


def run_isolated(database_url: str, fmt: str) -> dict:
    """`measure` in a fresh interpreter, so the peak memory belongs to that one export."""
    out = subprocess.run([sys.executable, "-m", "bench.export_bench", "--db", database_url, "--child", fmt],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def reopened_copy(database_url: str, n: int) -> Path:
    """A temporary SQLite copy in which `n` closed, past-due cases are open again (an overdue list of ≥ n rows)."""
    import sqlite3

    source = Path(database_url.removeprefix("sqlite:///"))
    copy = source.with_name(f"{source.stem}-reopened-{n}.sqlite")
    copy.unlink(missing_ok=True)
    with sqlite3.connect(source) as conn:
        conn.execute("VACUUM INTO ?", (str(copy),))
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE cases SET status = 'open', closed_at = NULL, outcome = NULL WHERE id IN "
                     "(SELECT id FROM cases WHERE closed_at IS NOT NULL AND due_at < '2023-12-31' ORDER BY id "
                     "LIMIT ?)", (n,))
    return copy


def report(database_url: str, formats: list[str]) -> list[dict]:
    """Print one line per format and return the figures."""
    print(f"export {CHART} {VIEW} on {database_url}")
    results = []
    for fmt in formats:
        r = run_isolated(database_url, fmt)
        results.append(r)
        print(f"  {fmt:4s} HTTP {r['status']}  {r['rows']:>9,} rows  {r['bytes'] / 2**20:8.2f} MiB  "
              f"{r['seconds']:7.2f} s  RSS before {r['rss_before_mib']:.0f} MiB → peak {r['peak_after_mib']:.0f} MiB "
              f"(peak before {r['peak_before_mib']:.0f} MiB)  Python heap peak {r['python_heap_peak_mib']:.1f} MiB")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.export_bench")
    parser.add_argument("--db", help="SQLAlchemy URL (default: instance/bench-1m.sqlite, built when missing)")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--reopen", type=int, default=0, help="also measure a list of about N rows (SQLite only)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.db, args.child)))
        return
    from bench.__main__ import ensure_db

    url = ensure_db(args.db, 1_000_000)
    formats = [f for f in args.formats.split(",") if f]
    report(url, formats)
    if args.reopen:
        copy = reopened_copy(url, args.reopen)
        try:
            report(f"sqlite:///{copy}", formats)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
