"""HL7 messages keep the listener's reading of them (`hl7_messages.reading`).

The listener reads every message whole before it answers (to refuse what could never be applied); the worker read
it again from the raw text to apply it, 50 us a message of a hospital feed. The reading is now stored beside the raw
text in a compact form with its format's number (careloop.integrations.hl7v2.adt.READING_FORMAT), and the worker
reads the raw text again only for a message stored without one (before this revision) or in another format.

Revision ID: 0013_hl7_messages_reading
Revises: 0012_encounters_stays_by_patient
Create Date: 2026-12-06 12:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_hl7_messages_reading"
down_revision: str | None = "0012_encounters_stays_by_patient"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hl7_messages") as batch:
        batch.add_column(sa.Column("reading", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hl7_messages") as batch:
        batch.drop_column("reading")
