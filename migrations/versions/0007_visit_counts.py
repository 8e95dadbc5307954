"""grid visits per day, township and mode (sum_visits), for the /grids page's visit counts

The new table is empty until the summaries are rebuilt: the summaries are marked stale (meta `summary_source`
deleted) and `python -m dashboard migrate` rebuilds them; until then its readers find no meta `visits_source`
and count the visits themselves.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sum_visits",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "county_code", "township_code", "mode"),
        sqlite_with_rowid=False,
    )
    op.execute(sa.text("DELETE FROM meta WHERE key IN ('summary_source', 'visits_source')"))


def downgrade() -> None:
    op.drop_table("sum_visits")
    op.execute(sa.text("DELETE FROM meta WHERE key = 'visits_source'"))
