"""A count of write transactions, for work planned in a snapshot and written under SQLite's writer turn.

The worker plans a batch of pathway events reading a snapshot, without holding SQLite's one writer, and then writes
the plan under the writer turn only if no other write transaction has run since the snapshot (worker/plans.py).
Every write transaction careloop opens on SQLite counts itself here at BEGIN IMMEDIATE (db.py), but for the group
committer's appends (audit rows, a hospital feed's received messages), which nothing planned reads. One row, written
by upsert, so a table emptied by hand (the tests do) counts again from 1. PostgreSQL has the table and does not use it.

Revision ID: 0015_write_epochs
Revises: 0014_outbox_unrelayed_index
Create Date: 2026-12-07 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_write_epochs"
down_revision: str | None = "0014_outbox_unrelayed_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("write_epochs",
                    sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("n", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_write_epochs")))


def downgrade() -> None:
    op.drop_table("write_epochs")
