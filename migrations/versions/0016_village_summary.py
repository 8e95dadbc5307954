"""sum_village (a township's villages per month and kind) and the case's closing day on sum_red_cards, so that
a township's map and safety index read summaries instead of every case of the township

At 10,000,000 cases the busiest township has 113,000 cases in a year: its map took 187 ms and its safety map
229 ms (p95), both reading those cases. The new table is empty and the red cards lack their closing day until
the summaries are rebuilt: the summaries are marked stale (meta `summary_source` deleted) and
`python -m dashboard migrate` rebuilds them; until then the township views read the cases.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

MEASURES = ("registered", "closed", "resolved", "mediated", "repeat_petitions", "red_cards", "ended",
            "overdue_from", "overdue_to")
OLD_TOWNSHIP_INDEX = ["township_code", "issued_at", "card_id", "kind"]
TOWNSHIP_INDEX = [*OLD_TOWNSHIP_INDEX, "village_code", "case_id", "closed_day"]


def upgrade() -> None:
    op.create_table(
        "sum_village",
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=15), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        *[sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES],
        sa.PrimaryKeyConstraint("township_code", "month", "village_code", "kind"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("sum_red_cards") as batch:
        batch.add_column(sa.Column("closed_day", sa.Integer(), nullable=True))
    op.drop_index("ix_sum_red_cards_township", table_name="sum_red_cards")
    op.create_index("ix_sum_red_cards_township", "sum_red_cards", TOWNSHIP_INDEX)
    op.execute(sa.text("DELETE FROM meta WHERE key = 'summary_source'"))


def downgrade() -> None:
    op.drop_index("ix_sum_red_cards_township", table_name="sum_red_cards")
    op.create_index("ix_sum_red_cards_township", "sum_red_cards", OLD_TOWNSHIP_INDEX)
    with op.batch_alter_table("sum_red_cards") as batch:
        batch.drop_column("closed_day")
    op.drop_table("sum_village")
