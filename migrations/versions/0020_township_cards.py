"""sum_township_cards: the cards issued per day, township and kind, by color, for a township's card trend

A township's 督办牌 trend joined its cards to its cases: at 10,000,000 cases on PostgreSQL a township quarter's
plain GROUP BY took 83 ms and the chart 107 ms, the slowest chart there. The city and county already read the
cards per day from sum_daily, which the rebuild now adds up from this table.

The new table is empty until the summaries are rebuilt: the summaries are marked stale (meta `summary_source`
deleted) and `python -m dashboard migrate` rebuilds them; until then every page reads the cases.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sum_township_cards",
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("blue_cards", sa.Integer(), nullable=False),
        sa.Column("yellow_cards", sa.Integer(), nullable=False),
        sa.Column("red_cards", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("township_code", "day", "kind"),
        sqlite_with_rowid=False,
    )
    op.execute(sa.text("DELETE FROM meta WHERE key = 'summary_source'"))


def downgrade() -> None:
    op.drop_table("sum_township_cards")
