"""One raw database connection per import, the same on SQLite and PostgreSQL.

The import keeps its staging tables (TEMP tables, private to this connection) and its one write transaction
on a single DB-API connection, so SQL is written once with `?` placeholders and translated for psycopg, and
rows go in with executemany (SQLite) or COPY (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine


class RawDB:
    """A DB-API connection with dialect-neutral helpers; close it when the import ends."""

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect.name
        self._proxy = engine.raw_connection()
        self.raw: Any = self._proxy.driver_connection
        if not self.postgres:  # eight indexes on cases: a big page cache keeps bulk inserts off the disk
            self.execute("PRAGMA cache_size = -262144")

    @property
    def postgres(self) -> bool:
        return self.dialect == "postgresql"

    def _sql(self, stmt: str) -> str:
        return stmt.replace("?", "%s") if self.postgres else stmt

    def execute(self, stmt: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the row count."""
        cur = self.raw.cursor()
        try:
            cur.execute(self._sql(stmt), tuple(params))
            return cur.rowcount
        finally:
            cur.close()

    def fetch(self, stmt: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.raw.cursor()
        try:
            cur.execute(self._sql(stmt), tuple(params))
            return list(cur.fetchall())
        finally:
            cur.close()

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append a DataFrame to a table: COPY on PostgreSQL, executemany on SQLite."""
        if frame.empty:
            return
        cols = list(frame.columns)
        rows = plain_rows(frame)
        if self.postgres:
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cur = self.raw.cursor()
        try:
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
        finally:
            cur.close()

    def analyze(self, table: str) -> None:
        """PostgreSQL plans joins on TEMP tables blind (autovacuum never sees them) until they are analysed."""
        if self.postgres:
            self.execute(f"ANALYZE {table}")

    def begin_write(self) -> None:
        """Start the import's one write transaction (SQLite: take the write lock now, not half-way)."""
        self.raw.commit()
        if not self.postgres:
            self.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        """Roll back anything uncommitted and return the connection (TEMP tables die with the session)."""
        try:
            self.raw.rollback()
        finally:
            self._proxy.invalidate()  # closed, not pooled: TEMP tables must not outlive the import


def plain_rows(frame: pd.DataFrame) -> list[tuple]:
    """Rows as plain Python values for the driver: None for missing, timestamps as ISO text to the second
    (the form the demo's rows have in SQLite, and what PostgreSQL's COPY parses)."""
    columns = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            columns.append(_objects(s.dt.strftime("%Y-%m-%d %H:%M:%S")))
        elif pd.api.types.is_bool_dtype(s):
            columns.append(s.astype(bool).tolist())
        elif pd.api.types.is_integer_dtype(s):
            columns.append([None if v is None else int(v) for v in _objects(s)])
        elif pd.api.types.is_float_dtype(s):
            columns.append([None if v is None else float(v) for v in _objects(s)])
        else:
            columns.append(_objects(s))
    return list(zip(*columns, strict=True))


def _objects(values: pd.Series) -> list[Any]:
    """Python objects with None for every kind of missing value (NaN, NaT, pd.NA)."""
    out = values.astype(object).to_numpy(copy=True)
    out[pd.isna(out)] = None
    return out.tolist()
