"""Tables and vocabulary of the governance operations: backlog board, listed supervision, micro-grid work, warnings.

Imported at the end of `data.models` so that every place that creates the metadata (demo, migrations, tests)
knows these tables. Codes are short English words (stable for SQL and URLs); every label shown on screen is
looked up in the `*_LABELS` dicts here, never typed in a page.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models import CODE, Base

# --- vocabulary ---


class SupervisionRole(StrEnum):
    """The three leaders of a listed case (挂牌督办)."""

    COORDINATOR = "coordinator"
    SUPERVISOR = "supervisor"
    HANDLER = "handler"


SUPERVISION_ROLE_LABELS = {
    SupervisionRole.COORDINATOR: "市主要领导统筹",
    SupervisionRole.SUPERVISOR: "市分管领导督办",
    SupervisionRole.HANDLER: "县区党政一把手主办",
}


class KeyGroup(StrEnum):
    """Key populations (重点人群) the micro-grid liaisons visit."""

    RELEASED = "released"
    CORRECTION = "correction"
    DRUG = "drug_rehab"
    RENTAL = "group_rental"


KEY_GROUP_LABELS = {
    KeyGroup.RELEASED: "刑满释放人员",
    KeyGroup.CORRECTION: "社区矫正对象",
    KeyGroup.DRUG: "吸毒解戒人员",
    KeyGroup.RENTAL: "群租房住户",
}


class VisitMode(StrEnum):
    ROUTINE = "routine"
    BUILDING_SWEEP = "building_sweep"
    DOOR_KNOCK = "door_knock"


VISIT_MODE_LABELS = {VisitMode.ROUTINE: "走访", VisitMode.BUILDING_SWEEP: "扫楼行动", VisitMode.DOOR_KNOCK: "敲门行动"}


class WarningLevel(StrEnum):
    GENERAL = "general"
    MAJOR = "major"
    CRITICAL = "critical"


WARNING_LEVEL_ORDER: tuple[WarningLevel, ...] = (WarningLevel.GENERAL, WarningLevel.MAJOR, WarningLevel.CRITICAL)
WARNING_LEVEL_LABELS = {WarningLevel.GENERAL: "一般", WarningLevel.MAJOR: "较大", WarningLevel.CRITICAL: "重大"}


class WarningStatus(StrEnum):
    ISSUED = "issued"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


WARNING_STATUS_LABELS = {
    WarningStatus.ISSUED: "已发布",
    WarningStatus.ASSIGNED: "已交办",
    WarningStatus.ACKNOWLEDGED: "已签收",
    WarningStatus.CLOSED: "已办结",
}
# Not yet acknowledged: the states in which a warning can go overdue and escalate, and the banner shows.
UNACKNOWLEDGED = (WarningStatus.ISSUED, WarningStatus.ASSIGNED)


class WarningRule(StrEnum):
    SURGE = "surge"
    REPEAT_GROUP = "repeat_group"
    MASS_DISPUTE = "mass_dispute"
    SENSITIVE = "sensitive"
    CLUSTER = "cluster"
    BACKLOG_RED = "backlog_red"


WARNING_RULE_LABELS = {
    WarningRule.SURGE: "案件激增",
    WarningRule.REPEAT_GROUP: "群体重复信访",
    WarningRule.MASS_DISPUTE: "多人纠纷",
    WarningRule.SENSITIVE: "敏感类别",
    WarningRule.CLUSTER: "同地聚集",
    WarningRule.BACKLOG_RED: "积案转红",
}


class WarningAction(StrEnum):
    ISSUE = "issue"
    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    CLOSE = "close"
    ESCALATE = "escalate"


WARNING_ACTION_LABELS = {
    WarningAction.ISSUE: "发布预警",
    WarningAction.ASSIGN: "预警交办",
    WarningAction.ACKNOWLEDGE: "签收",
    WarningAction.CLOSE: "办结",
    WarningAction.ESCALATE: "逾期升级",
}


# --- 信访积案 backlog board ---


class BacklogListing(Base):
    """A backlog petition put on the board: when, and the leader who took charge of it (包案领导)."""

    __tablename__ = "backlog_listings"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    listed_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    leader_name: Mapped[str] = mapped_column(String(32))
    leader_post: Mapped[str] = mapped_column(String(64))


class BacklogColorChange(Base):
    """One change of a backlog case's difficulty color; the first row of a case (from_color None) lists it."""

    __tablename__ = "backlog_color_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    from_color: Mapped[str | None] = mapped_column(String(8))
    to_color: Mapped[str] = mapped_column(String(8))
    # The case's ancestor codes, copied (like on cases) so that an area's history is one indexed filter.
    county_code: Mapped[str] = mapped_column(CODE, index=True)
    township_code: Mapped[str] = mapped_column(CODE, index=True)
    village_code: Mapped[str] = mapped_column(CODE)
    grid_code: Mapped[str] = mapped_column(CODE)

    __table_args__ = (Index("ix_backlog_color_changes_case_at", "case_id", "at"),)


# --- 挂牌督办 listed supervision and task forces ---


class TaskForce(Base):
    """A special task force (专人专班专案) for a sensitive legacy domain, in one county."""

    __tablename__ = "task_forces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    county_code: Mapped[str] = mapped_column(CODE, index=True)
    leader: Mapped[str] = mapped_column(String(64))
    formed_at: Mapped[datetime] = mapped_column(DateTime)


class SupervisionListing(Base):
    """A difficult case listed for supervision by leaders, with its three roles."""

    __tablename__ = "supervision_listings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    listed_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    coordinator: Mapped[str] = mapped_column(String(64))
    supervisor: Mapped[str] = mapped_column(String(64))
    handler: Mapped[str] = mapped_column(String(64))
    task_force_id: Mapped[int | None] = mapped_column(ForeignKey("task_forces.id"), index=True)


class SupervisionMilestone(Base):
    """A due milestone of a listed case; overdue while past due and not done."""

    __tablename__ = "supervision_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("supervision_listings.id"), index=True)
    seq: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)

    # A listing's overdue milestones at an instant, counted index-only for every listing of a city.
    __table_args__ = (Index("ix_supervision_milestones_listing_due", "listing_id", "due_at", "done_at"),)


class SupervisionNote(Base):
    """A progress note on a listed case."""

    __tablename__ = "supervision_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("supervision_listings.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(200))


# --- 精网微格 micro-grid work ---


class KeyPerson(Base):
    """A person of a key population living in a grid (personal data: shown only to the area's chief and admins)."""

    __tablename__ = "key_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_group: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(32))
    grid_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"), index=True)
    village_code: Mapped[str] = mapped_column(CODE, index=True)
    township_code: Mapped[str] = mapped_column(CODE, index=True)
    county_code: Mapped[str] = mapped_column(CODE, index=True)
    since: Mapped[datetime] = mapped_column(DateTime)
    until: Mapped[datetime | None] = mapped_column(DateTime)


class GridVisit(Base):
    """A liaison's visit to a key person: a routine visit or one during a 扫楼/敲门 action."""

    __tablename__ = "grid_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("key_persons.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("grid_workers.id"))
    grid_code: Mapped[str] = mapped_column(CODE)
    village_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    county_code: Mapped[str] = mapped_column(CODE)
    at: Mapped[datetime] = mapped_column(DateTime)
    mode: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_grid_visits_person_at", "person_id", "at"),
        Index("ix_grid_visits_county_at", "county_code", "at"),
        Index("ix_grid_visits_township_at", "township_code", "at"),
        Index("ix_grid_visits_at", "at"),
    )


class GridSilence(Base):
    """A spell in which a grid submitted no patrol log, visit or report (end None: still silent)."""

    __tablename__ = "grid_silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"), index=True)
    village_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE, index=True)
    county_code: Mapped[str] = mapped_column(CODE, index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime | None] = mapped_column(DateTime)


class CaseParties(Base):
    """How many people a dispute or petition involves (涉及人数), recorded when more than two."""

    __tablename__ = "case_parties"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)


# --- 风险预警 risk early warning ---


class RiskWarning(Base):
    """A warning raised by a rule: where, how severe, the numbers that triggered it, and its workflow state."""

    __tablename__ = "risk_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(10))
    base_level: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(14), index=True)
    area_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"))
    county_code: Mapped[str | None] = mapped_column(CODE)
    township_code: Mapped[str | None] = mapped_column(CODE)
    village_code: Mapped[str | None] = mapped_column(CODE)
    grid_code: Mapped[str | None] = mapped_column(CODE)
    kind: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    evidence: Mapped[str] = mapped_column(Text)  # JSON object: the numbers that triggered the rule
    window_start: Mapped[datetime] = mapped_column(DateTime)
    window_end: Mapped[datetime] = mapped_column(DateTime)
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)  # acknowledge by then, or the warning escalates
    assigned_unit: Mapped[str | None] = mapped_column(String(64))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_note: Mapped[str | None] = mapped_column(String(200))
    dedup_key: Mapped[str] = mapped_column(String(120), unique=True)

    __table_args__ = (
        Index("ix_risk_warnings_county_raised", "county_code", "raised_at"),
        Index("ix_risk_warnings_township_raised", "township_code", "raised_at"),
        Index("ix_risk_warnings_raised", "raised_at"),
        # The open warnings (a few percent) by status, index-only: the tiles of a city or county.
        Index("ix_risk_warnings_status_raised", "status", "raised_at", "county_code", "township_code", "level"),
    )


class RiskWarningEvent(Base):
    """One step of a warning's workflow (issued, assigned, acknowledged, escalated, closed), who and when."""

    __tablename__ = "risk_warning_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("risk_warnings.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[str] = mapped_column(String(14))
    actor: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(200))

    # Escalations (or any action) in a period without walking every event.
    __table_args__ = (Index("ix_risk_warning_events_action_at", "action", "at", "warning_id"),)
