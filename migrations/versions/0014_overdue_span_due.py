"""sum_overdue_spans carries each case's due_at, also in its covering index, so that the overdue table's default
page (most days overdue first) and its total come from the spans alone

At 10,000,000 cases a city's table looked up each of its 34,080 overdue cases in `cases` to sort them by due
date (0.2–0.3 s). The table is made again (its rows are summaries); the summaries are marked stale (meta
`summary_source` deleted) and `python -m dashboard migrate` rebuilds them; until then the page reads the cases.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = ["span_class", "start_day", "end_day", "county_code", "township_code", "kind", "unit"]


def _create(due: bool) -> None:
    op.drop_table("sum_overdue_spans")
    op.create_table(
        "sum_overdue_spans",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("span_class", sa.SmallInteger(), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=True),
        sa.Column("county_code", sa.String(length=15), nullable=False),
        sa.Column("township_code", sa.String(length=15), nullable=False),
        sa.Column("village_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        *([sa.Column("due_at", sa.DateTime(), nullable=False)] if due else []),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_sum_overdue_spans_class_start", "sum_overdue_spans", [*INDEX, *(["due_at"] if due else [])])
    op.execute(sa.text("DELETE FROM meta WHERE key = 'summary_source'"))


def upgrade() -> None:
    _create(due=True)


def downgrade() -> None:
    _create(due=False)
