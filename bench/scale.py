"""`python -m bench.scale --db URL --factor 10`: a PostgreSQL demo database with `factor` times the cases.

The demo builder holds everything in memory (about 1.9 GB at 1,000,000 cases), so 10,000,000 cases cannot be
built that way. Instead a 1,000,000-case demo is built once (`--base-cases`), and PostgreSQL copies its case data
in place with INSERT … SELECT:

- copy k = 1 … factor-1 of every case gets id + k·stride (stride = the base's largest case id) and case number
  `<case_no>-<k>`; every other column is kept, so **dates and areas are the base's own**: nothing leaves the
  demo's time range or passes its as-of date, and every count of the copied tables is exactly `factor` times the
  base's (which is what makes the result checkable). The copies of one chunk of base cases are written in
  registration order, as a live system would have written them.
- the tables that hang off a case and grow with the case volume are copied with their case ids remapped:
  `case_events`, `case_cards` (new ids: id + k·their own stride), `case_parties`, and the backlog board
  (`backlog_listings`, `backlog_color_changes`), because a copied petition keeps its backlog color and the board
  must list it. Supervision listings (a fixed number of cases named by leaders), risk warnings, grid work,
  indicators and the other systems' tables do not scale with cases and are left as built.

Foreign-key triggers are off while copying (`session_replication_role = replica`: the rows are right by
construction), the secondary indexes of `cases` are dropped and built again afterwards, then the sequences are
moved on, the case tables are VACUUM ANALYZEd, and the summaries are rebuilt with a new data version (what
`data.maintenance.after_cases_changed` does, phase by phase here so that each phase is timed).

Idempotent: a database already scaled to base × factor is only measured. The meta keys `scale_*` record the
base's largest ids, so a run that was interrupted (or a different factor) first deletes every copy and starts the
copying again. The databases `test` (the test suite's) and `bench` (the 1M benchmark's) are never touched.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, make_url, text

from data.db import reset_sequences, set_meta
from data.models import Case
from data.summaries.build import SOURCE_KEY, TABLES

PROTECTED = frozenset({"test", "bench", "postgres", "template0", "template1"})
DEFAULT_BASE = 1_000_000
SEED = 2023
CHUNK = 50_000  # base cases per INSERT … SELECT (× factor-1 rows written)
# meta keys: the base's case count and largest ids (written before the first copy), the factor once done
BASE_KEY, FACTOR_KEY = "scale_base_cases", "scale_factor"
MAX_KEYS = {"cases": "scale_max_case", "case_events": "scale_max_event", "case_cards": "scale_max_card",
            "backlog_color_changes": "scale_max_color_change"}
# tables that reference cases: copied (with their id column, or None when case_id is the key) or left alone
COPIED = {"case_events": "id", "case_cards": "id", "case_parties": None, "backlog_listings": None,
          "backlog_color_changes": "id"}
NOT_COPIED = {"supervision_listings"}
SESSION_OPTIONS = "-c work_mem=256MB -c maintenance_work_mem=1GB"
SEQUENCED = ("cases", "case_events", "case_cards", "backlog_color_changes")


@dataclass
class Base:
    """The base demo inside a database: its case count and each copied table's largest id."""

    cases: int
    max_id: dict[str, int]

    @property
    def stride(self) -> int:
        return self.max_id["cases"]


def log(message: str) -> None:
    print(message, flush=True)


def timed(timings: dict[str, float], name: str, step: Callable[[], object]) -> object:
    t = time.perf_counter()
    result = step()
    timings[name] = time.perf_counter() - t
    log(f"[{name}] {timings[name]:.1f} s")
    return result


# --- the database -------------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the database if it does not exist (from the `postgres` database, autocommit)."""
    u = make_url(url)
    if not u.drivername.startswith("postgresql"):
        raise SystemExit("bench.scale needs a PostgreSQL URL")
    if u.database in PROTECTED:
        raise SystemExit(f"refusing to touch the database {u.database!r} (it belongs to someone else)")
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first():
                return
            conn.exec_driver_sql(f'CREATE DATABASE "{u.database}"')
            log(f"created database {u.database}")
    finally:
        admin.dispose()


def read_meta(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        if not conn.execute(text("SELECT to_regclass('public.meta')")).scalar():
            return {}
        return dict(conn.execute(text("SELECT key, value FROM meta")).all())


def schema_gaps(engine: Engine) -> list[str]:
    """Tables and columns of the models that the database lacks (a demo built before a schema change)."""
    from sqlalchemy import inspect

    from data.models import Base as Models

    found = inspect(engine)
    gaps = []
    for table in Models.metadata.sorted_tables:
        if not found.has_table(table.name):
            gaps.append(table.name)
            continue
        have = {c["name"] for c in found.get_columns(table.name)}
        gaps += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
    return gaps


def bring_schema_up(url: str, engine: Engine) -> bool:
    """Migrate a database whose demo predates the models (Alembic, as `dashboard migrate` does); True if it did.

    Tables a migration adds stay as the migration leaves them (the demo builder would fill some of them): build
    the base again (drop the database) when those matter.
    """
    gaps = schema_gaps(engine)
    if not gaps:
        return False
    from data.migrate import upgrade

    log(f"the schema lacks {', '.join(gaps[:8])}{' …' if len(gaps) > 8 else ''}: migrating")
    upgrade(url)
    engine.dispose()
    if gaps := schema_gaps(engine):
        raise SystemExit(f"still missing after migrating: {', '.join(gaps)}")
    return True


def max_ids(conn: Connection) -> dict[str, int]:
    return {t: int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar_one()) for t in MAX_KEYS}


def check_references(conn: Connection) -> None:
    """Every table with a foreign key to `cases` must be known here as copied or deliberately not copied."""
    found = set(conn.execute(text(
        "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND confrelid = 'cases'::regclass"
    )).scalars())
    unknown = found - set(COPIED) - NOT_COPIED
    if unknown:
        raise SystemExit(f"tables referencing cases that bench.scale does not know how to scale: {sorted(unknown)}")


# --- phases -------------------------------------------------------------------------------------------------


def ensure_base(url: str, engine: Engine, base_cases: int, seed: int, timings: dict[str, float]) -> Base:
    """The base demo (built if the database holds no demo of that size), its largest ids recorded in meta."""
    meta = read_meta(engine)
    if meta.get(BASE_KEY) == str(base_cases) and all(k in meta for k in MAX_KEYS.values()):
        return Base(base_cases, {t: int(meta[k]) for t, k in MAX_KEYS.items()})
    # a finished demo build ends with its summaries (SOURCE_KEY); without it the build stopped half-way
    if (meta.get("cases") != str(base_cases) or meta.get("seed") != str(seed) or BASE_KEY in meta
            or SOURCE_KEY not in meta):
        from data.demo import build_demo

        log(f"building the {base_cases:,}-case demo (seed {seed}) …")
        t = time.perf_counter()
        for name, seconds in build_demo(url, cases=base_cases, seed=seed, log=log).items():
            timings[f"base {name}"] = seconds
        timings["base build"] = time.perf_counter() - t
        log("base build phases: " + ", ".join(f"{k[5:]} {v:.1f} s" for k, v in timings.items() if k != "base build"))
    with engine.connect() as conn:
        found = max_ids(conn)
        count = int(conn.execute(text("SELECT COUNT(*) FROM cases")).scalar_one())
    if count != base_cases or found["cases"] != base_cases:
        raise SystemExit(f"the base should have {base_cases:,} cases numbered 1…{base_cases}, it has {count:,} "
                         f"(largest id {found['cases']:,})")
    set_meta(engine, {BASE_KEY: str(base_cases), **{k: str(found[t]) for t, k in MAX_KEYS.items()}})
    return Base(base_cases, found)


def remove_copies(conn: Connection, base: Base) -> None:
    """Delete every row above the base (copies of an earlier, interrupted or different-factor run)."""
    stride = base.stride
    for table, id_col in COPIED.items():
        cond = f"id > {base.max_id[table]}" if id_col else f"case_id > {stride}"
        n = conn.execute(text(f"DELETE FROM {table} WHERE {cond}")).rowcount
        if n:
            log(f"removed {n:,} earlier copies from {table}")
    n = conn.execute(text(f"DELETE FROM cases WHERE id > {stride}")).rowcount
    if n:
        log(f"removed {n:,} earlier copies from cases")


def case_indexes() -> list:
    """The secondary indexes of `cases` (dropped while copying; the primary key and case_no's unique stay)."""
    return sorted(Case.__table__.indexes, key=lambda i: i.name)


def drop_indexes(conn: Connection) -> None:
    for index in case_indexes():
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")


def create_indexes(conn: Connection) -> None:
    for index in case_indexes():
        t = time.perf_counter()
        index.create(conn, checkfirst=True)
        log(f"  index {index.name}: {time.perf_counter() - t:.1f} s")


def _columns(conn: Connection, table: str) -> list[str]:
    return list(conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :t "
        "ORDER BY ordinal_position"), {"t": table}).scalars())


def copy_cases(conn: Connection, base: Base, factor: int) -> None:
    """Copies 1 … factor-1 of the base cases and their events and cards, chunk by chunk of base ids."""
    stride = base.stride
    longest = int(conn.execute(text("SELECT MAX(LENGTH(case_no)) FROM cases")).scalar_one())
    if longest + 1 + len(str(factor - 1)) > Case.__table__.c.case_no.type.length:
        raise SystemExit("case numbers would not fit with a copy suffix")
    cols = _columns(conn, "cases")
    exprs = {"id": f"c.id + k * {stride}", "case_no": "c.case_no || '-' || k"}
    case_sql = (f"INSERT INTO cases ({', '.join(cols)}) SELECT {', '.join(exprs.get(c, 'c.' + c) for c in cols)} "
                f"FROM cases c CROSS JOIN generate_series(1, {factor - 1}) AS g(k) "
                "WHERE c.id BETWEEN :lo AND :hi ORDER BY c.reported_at, c.id, k")
    child_sql = {}
    for table in ("case_events", "case_cards"):
        tcols = _columns(conn, table)
        texprs = {"id": f"x.id + k * {base.max_id[table]}", "case_id": f"x.case_id + k * {stride}"}
        child_sql[table] = (
            f"INSERT INTO {table} ({', '.join(tcols)}) SELECT {', '.join(texprs.get(c, 'x.' + c) for c in tcols)} "
            f"FROM {table} x CROSS JOIN generate_series(1, {factor - 1}) AS g(k) "
            "WHERE x.case_id BETWEEN :lo AND :hi ORDER BY x.case_id, k, x.id")
    t0 = time.perf_counter()
    for lo in range(1, stride + 1, CHUNK):
        hi = min(lo + CHUNK - 1, stride)
        n = conn.execute(text(case_sql), {"lo": lo, "hi": hi}).rowcount
        m = {t: conn.execute(text(sql), {"lo": lo, "hi": hi}).rowcount for t, sql in child_sql.items()}
        conn.commit()
        done = hi / stride
        elapsed = time.perf_counter() - t0
        log(f"  base ids {lo:,}–{hi:,}: +{n:,} cases, +{m['case_events']:,} events, +{m['case_cards']:,} cards "
            f"({done:.0%}, {elapsed:.0f} s, about {elapsed / done - elapsed:.0f} s to go)")


def copy_case_tables(conn: Connection, base: Base, factor: int) -> None:
    """The backlog board and the parties of each case, with case ids remapped."""
    stride = base.stride
    for table in ("case_parties", "backlog_listings", "backlog_color_changes"):
        tcols = _columns(conn, table)
        exprs = {"case_id": f"x.case_id + k * {stride}"}
        if COPIED[table]:
            exprs["id"] = f"x.id + k * {base.max_id[table]}"
        n = conn.execute(text(
            f"INSERT INTO {table} ({', '.join(tcols)}) SELECT {', '.join(exprs.get(c, 'x.' + c) for c in tcols)} "
            f"FROM {table} x CROSS JOIN generate_series(1, {factor - 1}) AS g(k) WHERE x.case_id <= {stride} "
            "ORDER BY x.case_id, k")).rowcount
        log(f"  {table}: +{n:,}")
    conn.commit()


def vacuum(engine: Engine, tables: list[str]) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            t = time.perf_counter()
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
            log(f"  vacuum analyze {table}: {time.perf_counter() - t:.1f} s")


def rebuild_summaries(engine: Engine, timings: dict[str, float]) -> None:
    """What data.maintenance.after_cases_changed does (summaries, then a new data version and the warning rules
    on the new data, as an import does: otherwise the first page request would evaluate them), each phase logged."""
    from data.maintenance import after_data_changed
    from data.summaries import rebuild

    for name, seconds in rebuild(engine, log=lambda m: log(f"  {m}")).items():
        timings[f"summary {name}"] = seconds
    t = time.perf_counter()
    after_data_changed(engine)
    timings["warning rules"] = time.perf_counter() - t
    log(f"  warning rules on the new data: {timings['warning rules']:.1f} s")


def scale(url: str, factor: int, base_cases: int = DEFAULT_BASE, seed: int = SEED) -> dict[str, float]:
    """Make the database at `url` hold `factor` × `base_cases` demo cases; returns seconds per phase."""
    if factor < 1:
        raise SystemExit("--factor must be at least 1")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ensure_database(url)
    # this run's own sessions only: sorts, hashes and index builds over tens of millions of rows stay in memory
    engine = create_engine(url, pool_pre_ping=True, connect_args={"options": SESSION_OPTIONS})
    try:
        meta = read_meta(engine)
        migrated = bool(meta) and timed(timings, "migrate", lambda: bring_schema_up(url, engine))
        if (meta.get(BASE_KEY) == str(base_cases) and meta.get(FACTOR_KEY) == str(factor)
                and meta.get("cases") == str(base_cases * factor)):
            log(f"already scaled: {base_cases:,} × {factor} = {base_cases * factor:,} cases")
            if migrated:  # new summary tables or columns must be filled
                timed(timings, "summaries", lambda: rebuild_summaries(engine, timings))
                timed(timings, "vacuum analyze summaries", lambda: vacuum(engine, [t.__tablename__ for t in TABLES]))
            report_sizes(engine)
            return timings
        base = ensure_base(url, engine, base_cases, seed, timings)
        set_meta(engine, {"cases": str(base_cases), FACTOR_KEY: "copying"})
        with engine.connect() as conn:
            check_references(conn)
            conn.exec_driver_sql("SET session_replication_role = replica")  # no FK triggers: rows are right
            conn.exec_driver_sql("SET synchronous_commit = off")
            timed(timings, "remove earlier copies", lambda: (remove_copies(conn, base), conn.commit()))
            if factor > 1:
                timed(timings, "drop indexes", lambda: (drop_indexes(conn), conn.commit()))
                timed(timings, "copy cases, events, cards", lambda: copy_cases(conn, base, factor))
                timed(timings, "copy parties, backlog", lambda: copy_case_tables(conn, base, factor))
            timed(timings, "create indexes", lambda: (create_indexes(conn), conn.commit()))
            conn.exec_driver_sql("RESET ALL")  # the pool hands this connection out again
            conn.commit()
        timed(timings, "reset sequences", lambda: reset_sequences(engine, SEQUENCED))
        timed(timings, "vacuum analyze", lambda: vacuum(engine, ["cases", *COPIED]))
        timed(timings, "summaries", lambda: rebuild_summaries(engine, timings))
        timed(timings, "vacuum analyze summaries", lambda: vacuum(engine, [t.__tablename__ for t in TABLES]))
        set_meta(engine, {"cases": str(base_cases * factor), FACTOR_KEY: str(factor)})
        timings["total"] = time.perf_counter() - t0
        log(f"scaled to {base_cases * factor:,} cases in {timings['total']:.0f} s")
        report_sizes(engine)
        return timings
    finally:
        engine.dispose()


def report_sizes(engine: Engine) -> None:
    """Row counts of the case tables, the largest tables with their indexes, and the database size."""
    with engine.connect() as conn:
        for table in ("cases", "case_events", "case_cards", "sum_cases"):
            log(f"{table:>24}: {conn.execute(text(f'SELECT COUNT(*) FROM {table}')).scalar_one():>12,} rows")
        rows = conn.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
            "ORDER BY 2 DESC LIMIT 15")).all()
        log(f"{'table':>24}  {'total MiB':>10}  {'heap MiB':>9}")
        for name, total, heap in rows:
            log(f"{name:>24}  {total / 2**20:>10,.0f}  {heap / 2**20:>9,.0f}")
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        log(f"{'database':>24}  {size / 2**30:>10,.2f} GiB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="PostgreSQL SQLAlchemy URL (created if missing)")
    parser.add_argument("--factor", type=int, default=10, help="how many times the base's cases (default 10)")
    parser.add_argument("--base-cases", type=int, default=DEFAULT_BASE, help="cases of the base demo (1,000,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    timings = scale(args.db, args.factor, args.base_cases, args.seed)
    if timings:
        log("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


if __name__ == "__main__":
    main()
