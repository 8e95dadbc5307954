"""indexes for the supervision (挂牌督办) questions: closed difficult cases (`difficult_resolved`, a partial
index) and each listing's milestones with their due and done times (overdue milestones, index-only)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


COLUMNS = ["county_code", "closed_at", "township_code", "outcome"]


def upgrade() -> None:
    op.create_index("ix_cases_difficult_closed", "cases", COLUMNS, sqlite_where=sa.text("is_difficult IS 1"),
                    postgresql_where=sa.text("is_difficult IS true"))
    op.create_index("ix_supervision_milestones_listing_due", "supervision_milestones",
                    ["listing_id", "due_at", "done_at"])


def downgrade() -> None:
    op.drop_index("ix_supervision_milestones_listing_due", table_name="supervision_milestones")
    op.drop_index("ix_cases_difficult_closed", table_name="cases")
