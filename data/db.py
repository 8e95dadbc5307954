"""Engine creation and bulk loading that behave the same on SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine, MetaData, create_engine, event, select
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session

from data.models import Base, Meta

# Page cache while bulk loading into SQLite, in the pragma's unit (negative: KiB).
SQLITE_BULK_CACHE_KIB = -131072
# Planner settings for every PostgreSQL session of the app (env PG_SESSION_OPTIONS overrides; empty: none).
# The defaults assume spinning disks: random_page_cost 4 made the planner scan all cases (parallel, JIT-
# compiled) to join 13,000 supervision listings — 180-280 ms at a million cases, 55-120 ms with index lookups
# priced for SSD or cached data (1.1, the usual setting there). JIT compilation costs 50+ ms per dashboard
# query and pays off only for long analytical ones. A server-wide setting (postgresql.conf, ALTER DATABASE …
# SET) does the same; these make the app behave the same on a default-configured server.
PG_SESSION_OPTIONS = "-c random_page_cost=1.1 -c jit=off"
# A pooled PostgreSQL connection idle this long is pinged before reuse (PgBouncer's server_check_delay idea):
# a page's burst of callbacks reuses its connections without a ping each (one round trip of three for a
# one-statement query), while a connection left idle, which a database restart or a firewall may have cut,
# is checked first. One cut within the window fails its query (the outage path: the last data, badged) and
# makes SQLAlchemy replace every pooled connection.
PING_AFTER_IDLE_S = 10.0
_RELEASED = "released_at"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and foreign keys so that several workers can read while one writes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    options = os.environ.get("PG_SESSION_OPTIONS", PG_SESSION_OPTIONS).strip()
    engine = create_engine(url, connect_args={"options": options} if options else {})
    ping_when_idle(engine, PING_AFTER_IDLE_S)
    return engine


def ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Ping a pooled connection before reuse only when it has been back in the pool for `idle_s` or more; a
    connection that fails the ping is replaced by a fresh one (the pool retries on DisconnectionError)."""

    @event.listens_for(engine.pool, "checkin")
    def _released(_dbapi_conn, record) -> None:
        record.info[_RELEASED] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _check(dbapi_conn, record, _proxy) -> None:
        released = record.info.get(_RELEASED)
        if released is None or time.monotonic() - released < idle_s:  # new, or back a moment ago
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("pooled connection failed its ping") from exc


def reader(engine: Engine) -> Engine:
    """The engine the dashboard's reads go through: the same pool, each statement its own transaction.

    A read on the plain engine is wrapped in BEGIN … ROLLBACK: on PostgreSQL two round trips besides its
    statement. Reads need no transaction: under READ COMMITTED each statement sees its own snapshot either
    way. Writes keep the plain engine.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def create_schema(engine: Engine) -> None:
    """Create every table and index that does not exist yet."""
    Base.metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    """Drop every table in the database, ours or not, in dependency order (the demo builder starts clean).

    Reflection rather than our metadata: a table left by another version of the schema that references ours
    (a foreign key to `cases`, say) would otherwise block dropping it.
    """
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)


def get_meta(engine: Engine, key: str) -> str | None:
    with Session(engine) as s:
        return s.scalar(select(Meta.value).where(Meta.key == key))


def set_meta(engine: Engine, values: dict[str, str]) -> None:
    with Session(engine) as s:
        for k, v in values.items():
            s.merge(Meta(key=k, value=v))
        s.commit()


def as_of_date(engine: Engine) -> date | None:
    """The date the loaded data runs up to: 'today' for the dashboards' quick picks and overdue views."""
    value = get_meta(engine, "as_of")
    return date.fromisoformat(value) if value else None


def bulk_insert(engine: Engine, table: str, frame: pd.DataFrame, chunk: int = 50_000) -> None:
    """Insert a DataFrame fast: COPY on PostgreSQL, chunked executemany elsewhere."""
    if frame.empty:
        return
    if engine.dialect.name == "postgresql":
        _copy_postgres(engine, table, frame)
        return
    cols = list(frame.columns)
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        # SQLite's default page cache (2 MB) is far smaller than the indexes of a large table, so every
        # out-of-order index insert rereads pages: a bigger cache for the load makes it 2-3 times faster.
        previous = cur.execute("PRAGMA cache_size").fetchone()[0]
        cur.execute(f"PRAGMA cache_size = {SQLITE_BULK_CACHE_KIB}")
        try:
            for start in range(0, len(frame), chunk):
                part = frame.iloc[start : start + chunk]
                cur.executemany(sql, _rows(part))
        finally:
            cur.execute(f"PRAGMA cache_size = {int(previous)}")
            cur.close()


def _rows(frame: pd.DataFrame) -> Iterable[tuple]:
    """Rows as plain Python values (None for missing, datetime for timestamps) for the DB-API driver.

    Each column goes to a Python list in one call (`tolist`) rather than value by value through pandas,
    which took as long as the inserts themselves at a million cases.
    """
    converted = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            if isinstance(s.dtype, np.dtype):  # naive: numpy gives datetime, and None for NaT
                converted.append(s.to_numpy().astype("datetime64[s]").tolist())
            else:
                converted.append([None if pd.isna(v) else v.to_pydatetime() for v in s.astype("datetime64[s]")])
        elif pd.api.types.is_bool_dtype(s):
            converted.append([bool(v) for v in s.tolist()])
        elif pd.api.types.is_integer_dtype(s):
            converted.append([None if v is None else int(v) for v in s.to_numpy(dtype=object, na_value=None).tolist()])
        elif pd.api.types.is_float_dtype(s):
            converted.append([None if v is None or v != v else float(v)
                              for v in s.to_numpy(dtype=object, na_value=None).tolist()])
        else:
            converted.append([None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in s.tolist()])
    return zip(*converted, strict=True)


def _copy_postgres(engine: Engine, table: str, frame: pd.DataFrame) -> None:
    cols = list(frame.columns)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in _rows(frame):
                copy.write_row(row)


def reset_sequences(engine: Engine, tables: Iterable[str]) -> None:
    """After inserting explicit ids with COPY, move PostgreSQL's sequences past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for t in tables:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"
            )
