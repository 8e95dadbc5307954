"""the key-person visit coverage snapshot (sum_coverage): due and on-time key persons at each midnight, per
township and key group

The new table is empty until the summaries are rebuilt, so the summaries are marked stale (the meta key
`summary_source` deleted) and `python -m dashboard migrate` rebuilds them right away (dashboard/cli.py). Until
then nothing reads the empty table: its readers also need the meta key `coverage_source`, which only a rebuild
writes, and fall back to the query on key_persons and grid_visits without it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SOURCE_KEY = "summary_source"  # data.summaries.build.SOURCE_KEY at this revision
COVERAGE_KEYS = ("coverage_source", "coverage_last_day")  # data.summaries.build.COVERAGE_KEY, COVERAGE_LAST_DAY_KEY


def _delete_meta(*keys: str) -> None:
    for key in keys:
        op.execute(sa.text("DELETE FROM meta WHERE key = :key").bindparams(key=key))


def upgrade() -> None:
    op.create_table(
        "sum_coverage",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("key_group", sa.String(length=16), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "county_code", "township_code", "key_group"),
        sqlite_with_rowid=False,
    )
    _delete_meta(*COVERAGE_KEYS, SOURCE_KEY)


def downgrade() -> None:
    op.drop_table("sum_coverage")
    _delete_meta(*COVERAGE_KEYS)
