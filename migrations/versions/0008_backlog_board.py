"""backlog board summaries: each backlog case's color spans (sum_backlog_spans) and the board per day,
township, origin and color (sum_backlog_board), for the 信访积案 pages

The new tables are empty until the summaries are rebuilt: the summaries are marked stale (meta
`summary_source` deleted) and `python -m dashboard migrate` rebuilds them; until then the backlog questions
find no meta `backlog_source` and read the color changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sum_backlog_spans",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("village_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("reported_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "start_day"),
    )
    op.create_index("ix_sum_backlog_spans_end", "sum_backlog_spans",
                    ["end_day", "start_day", "county_code", "township_code", "color"])
    op.create_table(
        "sum_backlog_board",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("color", sa.String(length=8), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "county_code", "township_code", "origin", "color"),
        sqlite_with_rowid=False,
    )
    op.execute(sa.text("DELETE FROM meta WHERE key IN ('summary_source', 'backlog_source')"))


def downgrade() -> None:
    op.drop_table("sum_backlog_board")
    op.drop_index("ix_sum_backlog_spans_end", table_name="sum_backlog_spans")
    op.drop_table("sum_backlog_spans")
    op.execute(sa.text("DELETE FROM meta WHERE key IN ('backlog_source', 'backlog_last_day')"))
