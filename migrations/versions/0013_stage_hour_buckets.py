"""sum_stage_hours keeps each stage's durations sorted, with a bucket histogram beside them, so that a percentile
reads one bucket's slice of each row instead of every duration (data.summaries.stage_buckets)

At 10,000,000 cases the stage-time percentiles of a city year read about 100 MB of durations (0.6 s). The table
is made again with the histogram columns (its rows are summaries, rebuilt anyway); on PostgreSQL the duration
arrays are stored uncompressed, so that a slice reads only its TOAST chunks. The summaries are marked stale
(meta `summary_source` deleted) and `python -m dashboard migrate` rebuilds them; until then the stage times
read the events.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STAGES = ("dispatch", "accept", "close", "total")


def _create(hist: bool) -> None:
    op.drop_table("sum_stage_hours")
    op.create_table(
        "sum_stage_hours",
        sa.Column("node", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        *[sa.Column(stage, sa.LargeBinary(), nullable=False) for stage in STAGES],
        *[sa.Column(f"{stage}_hist", sa.LargeBinary(), nullable=False) for stage in STAGES if hist],
        sa.PrimaryKeyConstraint("node", "month", "county_code", "kind"),
        sqlite_with_rowid=False,
    )
    if hist and op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ALTER TABLE sum_stage_hours "
                           + ", ".join(f"ALTER COLUMN {stage} SET STORAGE EXTERNAL" for stage in STAGES)))
    op.execute(sa.text("DELETE FROM meta WHERE key = 'summary_source'"))


def upgrade() -> None:
    _create(hist=True)


def downgrade() -> None:
    _create(hist=False)
