"""cases per registration day, township, kind and category (sum_category_days), for the 专项行动 page, and
repeat visits per day, township and kind (sum_township_repeats), for a township's repeat-visit chart

The new tables are empty until the summaries are rebuilt: the summaries are marked stale (meta `summary_source`
deleted) and `python -m dashboard migrate` rebuilds them; until then the campaign questions read the cases.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 04:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sum_category_days",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("reported_day", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("reported_month", sa.Integer(), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "category", "reported_day", "county_code", "township_code"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sum_township_repeats",
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("repeat_visits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("township_code", "day", "kind"),
        sqlite_with_rowid=False,
    )
    op.execute(sa.text("DELETE FROM meta WHERE key = 'summary_source'"))


def downgrade() -> None:
    op.drop_table("sum_township_repeats")
    op.drop_table("sum_category_days")
