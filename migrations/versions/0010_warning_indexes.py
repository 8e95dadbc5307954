"""indexes for the 风险预警 tiles: open warnings by status (index-only) and workflow events by action and time

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 23:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_risk_warnings_status_raised", "risk_warnings",
                    ["status", "raised_at", "county_code", "township_code", "level"])
    op.create_index("ix_risk_warning_events_action_at", "risk_warning_events", ["action", "at", "warning_id"])


def downgrade() -> None:
    op.drop_index("ix_risk_warning_events_action_at", table_name="risk_warning_events")
    op.drop_index("ix_risk_warnings_status_raised", table_name="risk_warnings")
