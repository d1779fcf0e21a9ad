"""CMS-HCC scores per patient in population results (V28, V24, the blended RAF, the segment and the evidence),
and the outreach task of each care gap (one open task per gap).

Revision ID: 0007_population_work
Revises: 0006_population
Create Date: 2026-11-23 07:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careloop.models.base

revision: str = '0007_population_work'
down_revision: str | None = '0006_population'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Results are derived and replaced by the next run, so existing rows are removed rather than given defaults.
    op.execute("DELETE FROM population_patient_results")
    with op.batch_alter_table('population_patient_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hcc_segment', sa.String(length=8), nullable=False))
        batch_op.add_column(sa.Column('hcc_v28', sa.Float(), nullable=False))
        batch_op.add_column(sa.Column('hcc_v24', sa.Float(), nullable=False))
        batch_op.add_column(sa.Column('hcc_raf', sa.Float(), nullable=False))
        batch_op.add_column(sa.Column('hcc_evidence', sa.Text(), nullable=False))

    op.create_table('population_gap_tasks',
    sa.Column('gap_key', sa.String(length=120), nullable=False),
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_population_gap_tasks_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_population_gap_tasks_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_gap_tasks'))
    )
    with op.batch_alter_table('population_gap_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_gap_tasks_gap_key'), ['gap_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_population_gap_tasks_task_id'), ['task_id'], unique=False)


def downgrade() -> None:
    op.drop_table('population_gap_tasks')
    with op.batch_alter_table('population_patient_results', schema=None) as batch_op:
        batch_op.drop_column('hcc_evidence')
        batch_op.drop_column('hcc_raf')
        batch_op.drop_column('hcc_v24')
        batch_op.drop_column('hcc_v28')
        batch_op.drop_column('hcc_segment')
