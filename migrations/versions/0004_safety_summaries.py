"""safety-index measures in the summaries: repeat petitions (sum_cases, sum_daily, sum_township), red cards
per township (sum_township); covering county indexes on sum_cases

The new columns would be 0 in summaries built before this revision, so the summaries are marked stale (the
meta key `summary_source` deleted): every page reads the case table, correct but slower, until the next
`after_cases_changed` rebuilds them — `python -m dashboard migrate` does that right away (dashboard/cli.py).
The columns get a server default of 0 only so that existing rows can take them (NOT NULL); the rebuild writes
every value.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Plain ALTER TABLE on both backends: batch mode would copy these tables on SQLite (WITHOUT ROWID, millions of
# rows) for nothing, since SQLite adds and drops plain columns in place.
COLUMNS = (
    ("sum_cases", "repeat_petition", sa.SmallInteger()),
    ("sum_daily", "repeat_petitions", sa.Integer()),
    ("sum_township", "repeat_petitions", sa.Integer()),
    ("sum_township", "red_cards", sa.Integer()),
)
SOURCE_KEY = "summary_source"  # data.summaries.build.SOURCE_KEY at this revision
# sum_cases' county indexes, before and after: the new ones also carry what the edge days of a county's
# township rows read, so those reads are index-only.
INDEXES = {
    "ix_sum_cases_county_reported": (["county_code", "reported_day"],
                                     ["county_code", "reported_day", "township_code", "kind", "repeat_petition"]),
    "ix_sum_cases_county_closed": (["county_code", "closed_day"],
                                   ["county_code", "closed_day", "township_code", "kind", "outcome"]),
}


def _mark_summaries_stale() -> None:
    op.execute(sa.text("DELETE FROM meta WHERE key = :key").bindparams(key=SOURCE_KEY))


def _replace_indexes(new: bool) -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="sum_cases")
        op.create_index(name, "sum_cases", columns[1 if new else 0], unique=False)


def upgrade() -> None:
    for table, column, type_ in COLUMNS:
        op.add_column(table, sa.Column(column, type_, nullable=False, server_default=sa.text("0")))
    _replace_indexes(new=True)
    _mark_summaries_stale()


def downgrade() -> None:
    _replace_indexes(new=False)
    for table, column, _type in reversed(COLUMNS):
        op.drop_column(table, column)
    _mark_summaries_stale()
