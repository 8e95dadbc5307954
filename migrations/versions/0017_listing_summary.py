"""sum_listings and sum_listing_late: the supervision listings with their case's area codes, closing and
outcome, and their milestones' overdue stretches, so that the supervision tiles, list and task forces of a
city or county read their own index range instead of joining every listing to its case

At 1,000,000 cases on PostgreSQL a county's backlog tiles took 52 ms against a 20 ms raw-SQL floor, 31-37 ms
of it looking up 13,584 listings' cases by id. The tables are empty until the summaries are rebuilt: the
summaries are marked stale (meta `summary_source` deleted) and `python -m dashboard migrate` rebuilds them;
until then the views join the listings to the cases, as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CODES = ("county_code", "township_code", "village_code", "grid_code")
LISTING_INDEX = ["listed_at", "closed_at", "resolved", "listing_id", "task_force_id"]
LATE_INDEX = ["late_from", "late_to"]


def upgrade() -> None:
    op.create_table(
        "sum_listings",
        sa.Column("listing_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        *[sa.Column(code, sa.String(length=15), nullable=False) for code in CODES],
        sa.Column("listed_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("resolved", sa.SmallInteger(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("listing_id"),
    )
    op.create_index("ix_sum_listings_city", "sum_listings", LISTING_INDEX)
    op.create_table(
        "sum_listing_late",
        sa.Column("milestone_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        *[sa.Column(code, sa.String(length=15), nullable=False) for code in CODES],
        sa.Column("late_from", sa.DateTime(), nullable=False),
        sa.Column("late_to", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("milestone_id"),
    )
    op.create_index("ix_sum_listing_late_city", "sum_listing_late", LATE_INDEX)
    op.create_index("ix_sum_listing_late_listing", "sum_listing_late", ["listing_id", *LATE_INDEX])
    for level in ("county", "township"):
        op.create_index(f"ix_sum_listings_{level}", "sum_listings", [f"{level}_code", *LISTING_INDEX])
        op.create_index(f"ix_sum_listing_late_{level}", "sum_listing_late", [f"{level}_code", *LATE_INDEX])
    op.execute(sa.text("DELETE FROM meta WHERE key = 'summary_source'"))


def downgrade() -> None:
    op.drop_table("sum_listing_late")
    op.drop_table("sum_listings")
    op.execute(sa.text("DELETE FROM meta WHERE key = 'listings_source'"))
