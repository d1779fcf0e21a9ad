"""Encounters by patient, class and end, and episodes by encounter: the indexes the readmission and TCM reads need.

"The latest inpatient stay of this patient discharged in the last 30 days" (transitions.repository.index_stay,
transitions.complexity) filters on patient_id, class_code and a period_end range. With only
(patient_id, period_start) and (class_code, period_end) to choose from, SQLite (which has no statistics until
ANALYZE has run) took the second: every inpatient discharge of the whole population in the window was read to
find one patient's, for each admission the feed applies (50-60 us a read with 500 patients; it grows with the
population). This index answers the read with one seek.

Transition episodes by encounter and status: "the active episode of this stay" (transitions.repository
.active_id_for_encounter, at each readmission) read the whole table, as did the ON DELETE SET NULL of an encounter's
removal; found while checking the plan of every statement the worker runs.

Revision ID: 0012_encounters_stays_by_patient
Revises: 0011_observations_by_code
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_encounters_stays_by_patient"
down_revision: str | None = "0011_observations_by_code"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_encounters_patient_id_class_code_period_end", "encounters",
                    ["patient_id", "class_code", "period_end"], unique=False)
    op.create_index("ix_transition_episodes_encounter_id_status", "transition_episodes", ["encounter_id", "status"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_transition_episodes_encounter_id_status", table_name="transition_episodes")
    op.drop_index("ix_encounters_patient_id_class_code_period_end", table_name="encounters")
