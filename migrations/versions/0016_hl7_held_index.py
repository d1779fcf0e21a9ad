"""The apply pass looks up held messages through an index of the held messages only.

Each apply pass asks, for the identifiers its messages carry, whether an earlier message on the same identifier is
held (waiting in the review queue), so that a later one waits behind it. Through the index of every message's
identifier, that read each message the patient ever had and checked its status: 61 a patient after 30,000 messages
over 500 patients, 6 ms a pass on PostgreSQL, growing with the feed's history. An index of the held messages alone
answers it from the few there are, and a message that is never held (nearly all) is not written to it.

Revision ID: 0016_hl7_held_index
Revises: 0015_write_epochs
Create Date: 2026-12-07 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_hl7_held_index"
down_revision: str | None = "0015_write_epochs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD = sa.text("status = 'held'")


def upgrade() -> None:
    op.create_index("ix_hl7_messages_held", "hl7_messages", ["identifier_system", "identifier_value"],
                    sqlite_where=HELD, postgresql_where=HELD)
    op.drop_index("ix_hl7_messages_identifier_system_identifier_value", table_name="hl7_messages")


def downgrade() -> None:
    op.create_index("ix_hl7_messages_identifier_system_identifier_value", "hl7_messages",
                    ["identifier_system", "identifier_value"])
    op.drop_index("ix_hl7_messages_held", table_name="hl7_messages")
