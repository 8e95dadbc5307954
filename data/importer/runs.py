"""The import log: one ImportRun row per import, created first and updated as the import goes.

Progress is committed on its own short transactions so that every worker (and the admin page's poll) can
read it while the import works on its own connection; the final counts are written inside the import's data
transaction, so a run marked done always matches the data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from data.importer.dbio import RawDB
from data.importer.report import Counts
from data.models import ImportRun, QuarantineRow

FINAL = ("done", "refused", "failed")


def create_run(engine: Engine, kind: str, file_name: str, actor: str, dry_run: bool, status: str = "running") -> int:
    """Insert the log row and return its id."""
    now = datetime.now()
    with engine.begin() as conn:
        return int(conn.execute(insert(ImportRun).values(
            kind=kind, file_name=file_name[:255], started_at=now, updated_at=now, status=status,
            actor=actor[:64], dry_run=dry_run, received=0, inserted=0, updated=0, unchanged=0, rejected=0,
            progress=0,
        )).inserted_primary_key[0])


def set_progress(engine: Engine, import_id: int, rows: int | None = None, message: str | None = None,
                 sha256: str | None = None) -> None:
    """Record how far the import got; readable at once by every worker."""
    values: dict[str, object] = {"updated_at": datetime.now(), "status": "running"}
    if rows is not None:
        values["progress"] = rows
    if message is not None:
        values["message"] = message
    if sha256 is not None:
        values["sha256"] = sha256
    with engine.begin() as conn:
        conn.execute(update(ImportRun).where(ImportRun.id == import_id).values(**values))


def finish_run(conn: Connection, import_id: int, counts: Counts, rejects_file: str | None, status: str = "done",
               message: str | None = None) -> None:
    """Final counts and status, written on the caller's connection (inside its transaction)."""
    now = datetime.now()
    conn.execute(update(ImportRun).where(ImportRun.id == import_id).values(
        received=counts.received, inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
        rejected=counts.rejected, progress=counts.received, status=status, message=message,
        rejects_file=rejects_file, finished_at=now, updated_at=now,
    ))


def end_run(engine: Engine, import_id: int, status: str, message: str) -> None:
    """Mark a run refused or failed: nothing was imported."""
    with engine.begin() as conn:
        finish_run(conn, import_id, Counts(), None, status, message)


def get_run(engine: Engine, import_id: int) -> ImportRun | None:
    """The log row, detached (safe to read after the session is gone)."""
    with Session(engine) as s:
        return s.get(ImportRun, import_id)


def recent_runs(engine: Engine, limit: int = 20) -> list[ImportRun]:
    with Session(engine) as s:
        return list(s.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))


def quarantine(engine: Engine, import_id: int, limit: int = 200) -> list[QuarantineRow]:
    """The first problems of a run, in file order."""
    with Session(engine) as s:
        stmt = (select(QuarantineRow).where(QuarantineRow.import_id == import_id)
                .order_by(QuarantineRow.row_no, QuarantineRow.id).limit(limit))
        return list(s.scalars(stmt))


def finish_raw(db: RawDB, import_id: int, counts: Counts, rejects_file: str | None, message: str | None = None) -> None:
    """Final counts written on the import's own raw connection, inside its data transaction."""
    now = datetime.now()
    db.execute(
        "UPDATE import_runs SET received = ?, inserted = ?, updated = ?, unchanged = ?, rejected = ?, progress = ?, "
        "status = 'done', message = ?, rejects_file = ?, finished_at = ?, updated_at = ? WHERE id = ?",
        (counts.received, counts.inserted, counts.updated, counts.unchanged, counts.rejected, counts.received,
         message, rejects_file, now, now, import_id),
    )
