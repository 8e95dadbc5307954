"""SQLAlchemy 2 typed models: areas, service centers, grid workers, cases, their events and supervision cards.

Ancestor codes (county, township, village, grid) are copied onto every area and case row on purpose: an
aggregation at any level is then a single indexed GROUP BY, never a recursive walk of the hierarchy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

CODE = String(15)  # 12-digit administrative codes; grids add a 3-digit sequence


class Base(DeclarativeBase):
    """Declarative base shared by every table of the command center."""


class Area(Base):
    """One node of city → county → township → village → micro-grid."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_code: Mapped[str | None] = mapped_column(CODE, ForeignKey("areas.code"), index=True)
    county_code: Mapped[str | None] = mapped_column(CODE, index=True)
    township_code: Mapped[str | None] = mapped_column(CODE, index=True)
    village_code: Mapped[str | None] = mapped_column(CODE, index=True)
    population: Mapped[int] = mapped_column(Integer, default=0)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    is_demo_grid: Mapped[bool] = mapped_column(Boolean, default=False)
    geometry: Mapped[str | None] = deferred(mapped_column(Text))  # GeoJSON geometry, lon/lat (GCJ-02 based)


class ServiceCenter(Base):
    """A 社会治理服务中心 of the four-level network, located in the area it serves."""

    __tablename__ = "service_centers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"), index=True)
    county_code: Mapped[str | None] = mapped_column(CODE, index=True)
    township_code: Mapped[str | None] = mapped_column(CODE, index=True)
    village_code: Mapped[str | None] = mapped_column(CODE, index=True)
    level: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(80))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class Institution(Base):
    """An institution stationed in a center (入驻机构), e.g. 司法局人民调解中心."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("service_centers.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))


class CenterStaff(Base):
    """A person stationed in a center (入驻人员) on behalf of an institution."""

    __tablename__ = "center_staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("service_centers.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))


class GridWorker(Base):
    """A micro-grid liaison (微网格联络员) or grid staff member (网格员) attached to one grid."""

    __tablename__ = "grid_workers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"), index=True)
    county_code: Mapped[str] = mapped_column(CODE, index=True)
    township_code: Mapped[str] = mapped_column(CODE, index=True)
    village_code: Mapped[str] = mapped_column(CODE, index=True)
    role: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(32))


# What the backlog pages read of a closed backlog case, so that their counts never touch the table.
BACKLOG_INDEX = ("kind", "closed_at", "county_code", "township_code", "backlog_color", "backlog_origin", "village_code")
# What `difficult_resolved` reads of a closed difficult case (about 5% of the cases), index-only; led by the
# county so that a county's count is one range (the planner would otherwise take the county's case index).
DIFFICULT_INDEX = ("county_code", "closed_at", "township_code", "outcome")
# The partial index's condition in the words the query uses (`is_(True)`), which SQLite needs to match it.
DIFFICULT_WHERE = {"sqlite_where": text("is_difficult IS 1"), "postgresql_where": text("is_difficult IS true")}


class Case(Base):
    """A dispute, petition, public-security problem or risk hazard, from registration to closure."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    grid_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"))
    village_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    county_code: Mapped[str] = mapped_column(CODE)
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    first_level: Mapped[str] = mapped_column(String(10))
    final_level: Mapped[str] = mapped_column(String(10))
    responsible_unit: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    is_first_petition: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_visits: Mapped[int] = mapped_column(SmallInteger, default=0)
    backlog_color: Mapped[str | None] = mapped_column(String(8))
    backlog_origin: Mapped[str | None] = mapped_column(String(12))
    is_difficult: Mapped[bool] = mapped_column(Boolean, default=False)
    card: Mapped[str | None] = mapped_column(String(8))  # highest card issued so far (derived, see data.cards)
    content: Mapped[str | None] = deferred(mapped_column(Text))

    __table_args__ = (
        Index("ix_cases_county_kind_reported", "county_code", "kind", "reported_at"),
        Index("ix_cases_township_kind_reported", "township_code", "kind", "reported_at"),
        Index("ix_cases_village_kind_reported", "village_code", "kind", "reported_at"),
        Index("ix_cases_grid_reported", "grid_code", "reported_at"),
        Index("ix_cases_kind_reported", "kind", "reported_at"),
        Index("ix_cases_kind_closed", "kind", "closed_at"),
        Index("ix_cases_open_due", "status", "due_at"),
        Index("ix_cases_due", "due_at"),  # cases falling due soon after an instant (overdue and screen pages)
        # A township's registrations, open and overdue cases (covered) and closures in a period; its kind filter
        # is written so as not to compete (data.queries.base.case_kind).
        Index("ix_cases_township_reported", "township_code", "reported_at", "closed_at", "due_at"),
        Index("ix_cases_township_closed", "township_code", "closed_at"),
        # The backlog board's closures (about 4% of the cases): a partial index, index-only (data.queries.backlog).
        Index("ix_cases_backlog_closed", *BACKLOG_INDEX, sqlite_where=text("backlog_color IS NOT NULL"),
              postgresql_where=text("backlog_color IS NOT NULL")),
        Index("ix_cases_difficult_closed", *DIFFICULT_INDEX, **DIFFICULT_WHERE),
    )


class CaseEvent(Base):
    """One step of a case (registered, dispatched, accepted, escalated, joint meeting, closed)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime)
    level: Mapped[str] = mapped_column(String(10))


class CaseCard(Base):
    """A supervision card (督办牌) issued to an overdue open case; the history keeps every issue."""

    __tablename__ = "case_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    color: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Meta(Base):
    """Key/value facts about the loaded data (its as-of date, generator seed, data version)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class User(Base):
    """A person who logs in; `area_code` is the root of what they may see (None: nothing, fail closed)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    area_code: Mapped[str | None] = mapped_column(CODE, ForeignKey("areas.code"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped whenever access changes (disable, scope, password): sessions holding an older value are refused.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DisplayToken(Base):
    """A view-only token for an unattended wall screen, limited to an area and a set of pages."""

    __tablename__ = "display_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    area_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"))
    pages: Mapped[str] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginAttempt(Base):
    """Failed logins by account and by address, shared by every worker for throttling."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)


class AuditEntry(Base):
    """Who did what, when, from where: logins, exports, imports, user and token changes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(64))


# --- import ---
# Import log and quarantine, owned by data/importer. Every import (CLI or admin upload) gets one ImportRun,
# created before reading starts so that any worker can report its progress; rows refused by validation are
# kept in QuarantineRow with the reason, so nothing in a file is ever silently lost.


class ImportRun(Base):
    """One import of one file: what it was, who ran it, how far it got and what it did."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)  # last progress report
    received: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # rows read so far
    status: Mapped[str] = mapped_column(String(12), index=True)  # queued, running, done, refused, failed
    message: Mapped[str | None] = mapped_column(Text)  # refusal or failure reason, current phase
    actor: Mapped[str] = mapped_column(String(64))
    rejects_file: Mapped[str | None] = mapped_column(String(500))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)


class QuarantineRow(Base):
    """One problem of one refused row: where it was, which field, what value, why, and the whole raw row."""

    __tablename__ = "quarantine_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
    row_no: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(200))
    raw: Mapped[str | None] = mapped_column(Text)  # the row as read, JSON object header → cell text


# --- extension models ---
# Tables of later systems live in their own modules; importing them here registers them on Base.metadata
# wherever the schema is created. Append only.
import data.models_ops  # noqa: E402, F401
import data.models_strategy  # noqa: E402, F401
import data.models_summary  # noqa: E402, F401
