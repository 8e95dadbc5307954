"""The benchmark databases: an N-case demo on SQLite under instance/ and, when reachable, on PostgreSQL.

Each is built once with `data.demo.build_demo` (seed 2023) and reused while its `meta` table says it holds
the demo with that many cases (and the summary tables were built, which is the build's last step). A build
goes to a temporary file or database that is renamed when complete, so an interrupted build never leaves a
half-filled database that a later run would take for a finished one.

PostgreSQL: the 1,000,000-case database is `bench`; other sizes are `bench_<N>`. The test suite's database
`test` is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEFAULT_SQLITE = INSTANCE / "bench-1m.sqlite"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_ADMIN_DB = "postgres"
SEED = 2023
FORBIDDEN_DATABASES = {"test"}  # the test suite owns it
BUSY_S = 600  # a temporary build file touched this recently belongs to a build still running


def sqlite_path(cases: int) -> Path:
    return DEFAULT_SQLITE if cases == 1_000_000 else INSTANCE / f"bench-{cases}.sqlite"


def pg_name(cases: int) -> str:
    return "bench" if cases == 1_000_000 else f"bench_{cases}"


def demo_cases(url: str) -> int | None:
    """How many cases the finished demo at `url` holds (None: no database, no meta, or an unfinished build)."""
    engine = create_engine(url, connect_args={"connect_timeout": 3} if url.startswith("postgresql") else {})
    try:
        with engine.connect() as conn:
            meta = dict(conn.execute(text("SELECT key, value FROM meta")).all())
    except Exception:  # noqa: BLE001 - missing database or table: not built
        return None
    finally:
        engine.dispose()
    if "summary_last_day" not in meta:  # summaries are the build's last step
        return None
    try:
        return int(meta.get("cases", ""))
    except ValueError:
        return None


def _build(url: str, cases: int, log: Callable[[str], None]) -> None:
    from data.demo import build_demo

    t = time.perf_counter()
    log(f"building the {cases:,}-case demo at {make_url(url).render_as_string(hide_password=True)} "
        "(first run only) ...")
    build_demo(url, cases=cases, seed=SEED, log=lambda m: log("  " + m))
    log(f"built {cases:,} cases in {time.perf_counter() - t:.0f} s")


def ensure_sqlite(cases: int, log: Callable[[str], None] = print, build: bool = True) -> str:
    """The SQLite demo with `cases` cases under instance/, built (once) when missing."""
    path = sqlite_path(cases)
    url = f"sqlite:///{path}"
    if path.exists():
        found = demo_cases(url)
        if found != cases:
            raise RuntimeError(f"{path} exists but is not a finished {cases:,}-case demo (meta says {found}); "
                               "it may still be being built — remove it to rebuild")
        return url
    if not build:
        raise RuntimeError(f"{path} is missing (run without --skip-build to build it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists() and time.time() - tmp.stat().st_mtime < BUSY_S:
        raise RuntimeError(f"{tmp} was written to in the last {BUSY_S // 60} minutes: another build seems to be "
                           "running; wait for it (or remove the file)")
    tmp.unlink(missing_ok=True)
    _build(f"sqlite:///{tmp}", cases, log)
    tmp.rename(path)
    log(f"  {path.stat().st_size / 2**20:,.0f} MiB at {path}")
    return url


def postgres_reachable(server: str = PG_SERVER) -> bool:
    engine = create_engine(f"{server}/{PG_ADMIN_DB}", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any driver or network error: not reachable
        return False
    finally:
        engine.dispose()


def _connections(server: str, database: str) -> int:
    engine = create_engine(f"{server}/{PG_ADMIN_DB}", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                                    {"d": database}).scalar_one())
    finally:
        engine.dispose()


def _admin(server: str, *statements: str) -> None:
    engine = create_engine(f"{server}/{PG_ADMIN_DB}", isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            for stmt in statements:
                conn.execute(text(stmt))
    finally:
        engine.dispose()


def ensure_postgres(cases: int, log: Callable[[str], None] = print, build: bool = True,
                    server: str = PG_SERVER) -> str:
    """The PostgreSQL demo database with `cases` cases (`bench` for a million), built (once) when missing."""
    name = pg_name(cases)
    if name in FORBIDDEN_DATABASES:
        raise ValueError(f"refusing to use the database {name!r}")
    url = f"{server}/{name}"
    found = demo_cases(url)
    if found == cases:
        return url
    if not build:
        raise RuntimeError(f"PostgreSQL database {name} is not a finished {cases:,}-case demo (meta says {found})")
    tmp = f"{name}_building"
    if _connections(server, tmp):
        raise RuntimeError(f"PostgreSQL database {tmp} is in use: another build seems to be running; wait for it")
    _admin(server, f'DROP DATABASE IF EXISTS "{tmp}"', f'CREATE DATABASE "{tmp}"')
    _build(f"{server}/{tmp}", cases, log)
    _admin(server, f'DROP DATABASE IF EXISTS "{name}"', f'ALTER DATABASE "{tmp}" RENAME TO "{name}"')
    return url


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()


def describe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
