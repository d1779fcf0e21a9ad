"""Care plans managed in careloop (issue 4): the plan's kind, owner, review cadence, the patient's priorities and
an optimistic-lock version; goals bound to a concern with a target date and comparator targets; interventions
linked to tasks; barriers, shared decisions, and a revision (full snapshot) per version.

The columns added to tables the FHIR import fills are nullable or have a server default, so the import's
executemany/COPY writes keep working unchanged.

Revision ID: 0010_careplans
Revises: 0009_assessments
Create Date: 2026-12-03 07:44:03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careloop.models.base

revision: str = '0010_careplans'
down_revision: str | None = '0009_assessments'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('care_plan_decisions',
    sa.Column('care_plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('choice', sa.String(length=500), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('present', sa.JSON(), nullable=False),
    sa.Column('created_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['care_plan_id'], ['care_plans.id'], name=op.f('fk_care_plan_decisions_care_plan_id_care_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_care_plan_decisions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_decisions')),
    sa.UniqueConstraint('public_id', name=op.f('uq_care_plan_decisions_public_id'))
    )
    with op.batch_alter_table('care_plan_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_decisions_care_plan_id'), ['care_plan_id'], unique=False)

    op.create_table('care_plan_entries',
    sa.Column('care_plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['care_plan_id'], ['care_plans.id'], name=op.f('fk_care_plan_entries_care_plan_id_care_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_care_plan_entries_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_entries')),
    sa.UniqueConstraint('public_id', name=op.f('uq_care_plan_entries_public_id'))
    )
    with op.batch_alter_table('care_plan_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_entries_care_plan_id'), ['care_plan_id'], unique=False)

    op.create_table('care_plan_revisions',
    sa.Column('care_plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', careloop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_care_plan_revisions_actor_id_users')),
    sa.ForeignKeyConstraint(['care_plan_id'], ['care_plans.id'], name=op.f('fk_care_plan_revisions_care_plan_id_care_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_revisions')),
    sa.UniqueConstraint('care_plan_id', 'version', name=op.f('uq_care_plan_revisions_care_plan_id_version'))
    )
    with op.batch_alter_table('care_plan_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('goal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('owner_role', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('item_key', sa.String(length=160), nullable=True))
        batch_op.create_index(batch_op.f('ix_care_plan_activities_task_id'), ['task_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_care_plan_activities_care_plan_id_item_key'), ['care_plan_id', 'item_key'])
        batch_op.create_foreign_key(batch_op.f('fk_care_plan_activities_task_id_tasks'), 'tasks', ['task_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_care_plan_activities_goal_id_goals'), 'goals', ['goal_id'], ['id'])

    with op.batch_alter_table('care_plan_goals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_key', sa.String(length=160), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_care_plan_goals_care_plan_id_item_key'), ['care_plan_id', 'item_key'])

    with op.batch_alter_table('care_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('comprehensive', 'condition-specific', name='careplankind', native_enum=False, length=24), nullable=True))
        batch_op.add_column(sa.Column('owner_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('what_matters', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_review_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('review_interval_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', careloop.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index('ix_care_plans_status_next_review_date', ['status', 'next_review_date'], unique=False)
        batch_op.create_index('uq_care_plans_one_comprehensive', ['patient_id'], unique=True, sqlite_where=sa.text("kind = 'comprehensive' AND status IN ('draft', 'active', 'on-hold')"), postgresql_where=sa.text("kind = 'comprehensive' AND status IN ('draft', 'active', 'on-hold')"))
        batch_op.create_foreign_key(batch_op.f('fk_care_plans_owner_user_id_users'), 'users', ['owner_user_id'], ['id'])

    with op.batch_alter_table('goal_targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail_comparator', sa.String(length=2), nullable=True))

    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('target_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('achievement_reason', sa.String(length=300), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_goals_condition_id_conditions'), 'conditions', ['condition_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_goals_condition_id_conditions'), type_='foreignkey')
        batch_op.drop_column('achievement_reason')
        batch_op.drop_column('target_date')
        batch_op.drop_column('condition_id')

    with op.batch_alter_table('goal_targets', schema=None) as batch_op:
        batch_op.drop_column('detail_comparator')

    with op.batch_alter_table('care_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_care_plans_owner_user_id_users'), type_='foreignkey')
        batch_op.drop_index('uq_care_plans_one_comprehensive', sqlite_where=sa.text("kind = 'comprehensive' AND status IN ('draft', 'active', 'on-hold')"), postgresql_where=sa.text("kind = 'comprehensive' AND status IN ('draft', 'active', 'on-hold')"))
        batch_op.drop_index('ix_care_plans_status_next_review_date')
        batch_op.drop_column('version')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('review_interval_days')
        batch_op.drop_column('next_review_date')
        batch_op.drop_column('what_matters')
        batch_op.drop_column('owner_user_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('care_plan_goals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_care_plan_goals_care_plan_id_item_key'), type_='unique')
        batch_op.drop_column('item_key')

    with op.batch_alter_table('care_plan_activities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_care_plan_activities_goal_id_goals'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_care_plan_activities_task_id_tasks'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_care_plan_activities_care_plan_id_item_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_care_plan_activities_task_id'))
        batch_op.drop_column('item_key')
        batch_op.drop_column('owner_role')
        batch_op.drop_column('purpose')
        batch_op.drop_column('goal_id')
        batch_op.drop_column('task_id')

    op.drop_table('care_plan_revisions')
    with op.batch_alter_table('care_plan_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_entries_care_plan_id'))

    op.drop_table('care_plan_entries')
    with op.batch_alter_table('care_plan_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_decisions_care_plan_id'))

    op.drop_table('care_plan_decisions')
