"""A partial index for tasks queued to a care-team role (the worklist's role branch).

Revision ID: 0008_worklist_role_queue
Revises: 0007_population_work
Create Date: 2026-11-23 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_worklist_role_queue"
down_revision: str | None = "0007_population_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLE_QUEUED = sa.text("owner_role IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_tasks_role_queue", "tasks", ["patient_id", "owner_role"], unique=False,
                    sqlite_where=_ROLE_QUEUED, postgresql_where=_ROLE_QUEUED)


def downgrade() -> None:
    op.drop_index("ix_tasks_role_queue", table_name="tasks")
