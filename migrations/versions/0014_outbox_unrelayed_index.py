"""The relay reads the unrelayed outbox events through an index of those rows only.

The relay asks for the oldest events not yet relayed (`relayed_at IS NULL ORDER BY id LIMIT n`). With the index on
(relayed_at, id), PostgreSQL's planner, which knows from the statistics that nearly every event is relayed, chose to
walk the primary key from the first event and filter: every relay read every event kept (a week of a hospital
feed), 2.7 ms a relay at 9,000 events and growing with the table. A partial index of the unrelayed events' ids is
the relay's query exactly, in its order, on both backends. The purge (relayed before a cutoff) gets its own partial
index of the relayed events' times; a new event, not yet relayed, is not written to it.

Revision ID: 0014_outbox_unrelayed_index
Revises: 0013_hl7_messages_reading
Create Date: 2026-12-06 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_outbox_unrelayed_index"
down_revision: str | None = "0013_hl7_messages_reading"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNRELAYED = sa.text("relayed_at IS NULL")
RELAYED = sa.text("relayed_at IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_outbox_events_unrelayed", "outbox_events", ["id"], sqlite_where=UNRELAYED,
                    postgresql_where=UNRELAYED)
    op.create_index("ix_outbox_events_relayed_at", "outbox_events", ["relayed_at"], sqlite_where=RELAYED,
                    postgresql_where=RELAYED)
    op.drop_index("ix_outbox_events_relayed_at_id", table_name="outbox_events")


def downgrade() -> None:
    op.create_index("ix_outbox_events_relayed_at_id", "outbox_events", ["relayed_at", "id"])
    op.drop_index("ix_outbox_events_relayed_at", table_name="outbox_events")
    op.drop_index("ix_outbox_events_unrelayed", table_name="outbox_events")
