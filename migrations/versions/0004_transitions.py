"""Transitions of care: pathway events and work, transition episodes (TCM), checklist items, contact
attempts, episode history, readmissions, and medication reconciliations.

Revision ID: 0004_transitions
Revises: 0003_fhir_export
Create Date: 2026-11-23 06:35:53.118359
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careloop.models.base

revision: str = '0004_transitions'
down_revision: str | None = '0003_fhir_export'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pathway_work',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('pathway', sa.String(length=64), nullable=False),
    sa.Column('pathway_version', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('target_type', sa.String(length=24), nullable=True),
    sa.Column('target_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('undone_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undo_reason', sa.String(length=300), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_pathway_work_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_work')),
    sa.UniqueConstraint('key', name=op.f('uq_pathway_work_key'))
    )
    with op.batch_alter_table('pathway_work', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_work_event_key'), ['event_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_pathway_work_patient_id'), ['patient_id'], unique=False)

    op.create_table('pathway_events',
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('encounter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('occurred_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('processed_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=200), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_pathway_events_encounter_id_encounters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_pathway_events_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_pathway_events_event_key'))
    )
    with op.batch_alter_table('pathway_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_events_patient_id'), ['patient_id'], unique=False)

    op.create_table('transition_episodes',
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('encounter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('pathway', sa.String(length=64), nullable=False),
    sa.Column('pathway_version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'finished', 'cancelled', 'entered-in-error', name='episodestatus', native_enum=False, length=24), nullable=False),
    sa.Column('status_reason', sa.String(length=300), nullable=True),
    sa.Column('facility', sa.String(length=200), nullable=True),
    sa.Column('from_class', sa.String(length=16), nullable=False),
    sa.Column('discharge_disposition', sa.String(length=16), nullable=True),
    sa.Column('discharged_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('discharge_date', sa.Date(), nullable=False),
    sa.Column('complexity', sa.String(length=16), nullable=False),
    sa.Column('complexity_reason', sa.String(length=300), nullable=False),
    sa.Column('contact_due', sa.Date(), nullable=False),
    sa.Column('visit_due', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('contact_met_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('contact_met_by', sa.String(length=24), nullable=True),
    sa.Column('visit_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('medrec_completed_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_transition_episodes_encounter_id_encounters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_transition_episodes_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transition_episodes')),
    sa.UniqueConstraint('public_id', name=op.f('uq_transition_episodes_public_id'))
    )
    with op.batch_alter_table('transition_episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transition_episodes_event_key'), ['event_key'], unique=False)
        batch_op.create_index('ix_transition_episodes_patient_id_status', ['patient_id', 'status'], unique=False)

    op.create_table('episode_checklist_items',
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('done_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_episode_checklist_items_done_by_id_users')),
    sa.ForeignKeyConstraint(['episode_id'], ['transition_episodes.id'], name=op.f('fk_episode_checklist_items_episode_id_transition_episodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episode_checklist_items')),
    sa.UniqueConstraint('episode_id', 'code', name=op.f('uq_episode_checklist_items_episode_id_code'))
    )
    op.create_table('episode_contact_attempts',
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('with_whom', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_episode_contact_attempts_by_id_users')),
    sa.ForeignKeyConstraint(['episode_id'], ['transition_episodes.id'], name=op.f('fk_episode_contact_attempts_episode_id_transition_episodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episode_contact_attempts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_episode_contact_attempts_public_id'))
    )
    with op.batch_alter_table('episode_contact_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episode_contact_attempts_episode_id'), ['episode_id'], unique=False)

    op.create_table('episode_events',
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_episode_events_actor_id_users')),
    sa.ForeignKeyConstraint(['episode_id'], ['transition_episodes.id'], name=op.f('fk_episode_events_episode_id_transition_episodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episode_events'))
    )
    with op.batch_alter_table('episode_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episode_events_episode_id'), ['episode_id'], unique=False)

    op.create_table('med_reconciliations',
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('created_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('completed_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_med_reconciliations_completed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_med_reconciliations_created_by_id_users')),
    sa.ForeignKeyConstraint(['episode_id'], ['transition_episodes.id'], name=op.f('fk_med_reconciliations_episode_id_transition_episodes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_med_reconciliations_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_med_reconciliations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_med_reconciliations_public_id'))
    )
    with op.batch_alter_table('med_reconciliations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_med_reconciliations_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_med_reconciliations_patient_id'), ['patient_id'], unique=False)

    op.create_table('readmissions',
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('index_encounter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('readmission_encounter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('episode_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('days_after_discharge', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Boolean(), nullable=False),
    sa.Column('planned_reason', sa.String(length=200), nullable=True),
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('created_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['transition_episodes.id'], name=op.f('fk_readmissions_episode_id_transition_episodes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['index_encounter_id'], ['encounters.id'], name=op.f('fk_readmissions_index_encounter_id_encounters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_readmissions_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['readmission_encounter_id'], ['encounters.id'], name=op.f('fk_readmissions_readmission_encounter_id_encounters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readmissions')),
    sa.UniqueConstraint('index_encounter_id', 'readmission_encounter_id', name=op.f('uq_readmissions_index_encounter_id_readmission_encounter_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_readmissions_public_id'))
    )
    with op.batch_alter_table('readmissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readmissions_patient_id'), ['patient_id'], unique=False)

    op.create_table('med_rec_entries',
    sa.Column('reconciliation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('list', sa.String(length=16), nullable=False),
    sa.Column('rxnorm', sa.String(length=16), nullable=False),
    sa.Column('display', sa.String(length=300), nullable=False),
    sa.Column('ingredient_rxcui', sa.String(length=16), nullable=False),
    sa.Column('ingredient', sa.String(length=100), nullable=False),
    sa.Column('dose', sa.String(length=60), nullable=True),
    sa.Column('frequency', sa.String(length=60), nullable=True),
    sa.Column('route', sa.String(length=40), nullable=True),
    sa.Column('stop', sa.Boolean(), nullable=False),
    sa.Column('source_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['reconciliation_id'], ['med_reconciliations.id'], name=op.f('fk_med_rec_entries_reconciliation_id_med_reconciliations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_request_id'], ['medication_requests.id'], name=op.f('fk_med_rec_entries_source_request_id_medication_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_med_rec_entries')),
    sa.UniqueConstraint('public_id', name=op.f('uq_med_rec_entries_public_id'))
    )
    with op.batch_alter_table('med_rec_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_med_rec_entries_reconciliation_id'), ['reconciliation_id'], unique=False)

    op.create_table('med_rec_discrepancies',
    sa.Column('reconciliation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('ingredient', sa.String(length=100), nullable=False),
    sa.Column('pre_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('discharge_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('resolution', sa.String(length=24), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('resolved_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('resolved_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('new_dose', sa.String(length=60), nullable=True),
    sa.Column('new_frequency', sa.String(length=60), nullable=True),
    sa.Column('new_route', sa.String(length=40), nullable=True),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['discharge_entry_id'], ['med_rec_entries.id'], name=op.f('fk_med_rec_discrepancies_discharge_entry_id_med_rec_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pre_entry_id'], ['med_rec_entries.id'], name=op.f('fk_med_rec_discrepancies_pre_entry_id_med_rec_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reconciliation_id'], ['med_reconciliations.id'], name=op.f('fk_med_rec_discrepancies_reconciliation_id_med_reconciliations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_med_rec_discrepancies_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_med_rec_discrepancies_task_id_tasks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_med_rec_discrepancies')),
    sa.UniqueConstraint('public_id', name=op.f('uq_med_rec_discrepancies_public_id'))
    )
    with op.batch_alter_table('med_rec_discrepancies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_med_rec_discrepancies_reconciliation_id'), ['reconciliation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('med_rec_discrepancies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_med_rec_discrepancies_reconciliation_id'))

    op.drop_table('med_rec_discrepancies')
    with op.batch_alter_table('med_rec_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_med_rec_entries_reconciliation_id'))

    op.drop_table('med_rec_entries')
    with op.batch_alter_table('readmissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readmissions_patient_id'))

    op.drop_table('readmissions')
    with op.batch_alter_table('med_reconciliations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_med_reconciliations_patient_id'))
        batch_op.drop_index(batch_op.f('ix_med_reconciliations_episode_id'))

    op.drop_table('med_reconciliations')
    with op.batch_alter_table('episode_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episode_events_episode_id'))

    op.drop_table('episode_events')
    with op.batch_alter_table('episode_contact_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episode_contact_attempts_episode_id'))

    op.drop_table('episode_contact_attempts')
    op.drop_table('episode_checklist_items')
    with op.batch_alter_table('transition_episodes', schema=None) as batch_op:
        batch_op.drop_index('ix_transition_episodes_patient_id_status')
        batch_op.drop_index(batch_op.f('ix_transition_episodes_event_key'))

    op.drop_table('transition_episodes')
    with op.batch_alter_table('pathway_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_events_patient_id'))

    op.drop_table('pathway_events')
    with op.batch_alter_table('pathway_work', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_work_patient_id'))
        batch_op.drop_index(batch_op.f('ix_pathway_work_event_key'))

    op.drop_table('pathway_work')
