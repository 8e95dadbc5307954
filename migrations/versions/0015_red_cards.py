"""sum_red_cards: every red card with its case's area codes and kind, indexed per township, village and grid,
so that the latest red cards of such an area are read newest-first from its own index

At 10,000,000 cases a township's list read all of its cases to find the few with red cards (0.2 s; a village
0.3 s). The table is empty until the summaries are rebuilt: the summaries are marked stale (meta
`summary_source` deleted) and `python -m dashboard migrate` rebuilds them; until then the list reads the cases.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 08:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

LEVELS = ("township", "village", "grid")


def upgrade() -> None:
    op.create_table(
        "sum_red_cards",
        sa.Column("card_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("village_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("card_id"),
    )
    for level in LEVELS:
        op.create_index(f"ix_sum_red_cards_{level}", "sum_red_cards", [f"{level}_code", "issued_at", "card_id", "kind"])
    op.execute(sa.text("DELETE FROM meta WHERE key = 'summary_source'"))


def downgrade() -> None:
    op.drop_table("sum_red_cards")
