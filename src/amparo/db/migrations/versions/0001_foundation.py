"""Foundation: jurisdictions, people, cases and their journals, users and tokens, the audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-30

Types are spelled out here rather than imported from the models, so this migration keeps meaning what
it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def byte_ordered(length: int) -> sa.types.TypeEngine:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', BIG_ID, autoincrement=False, nullable=False),
    sa.Column('at', INSTANT, nullable=False),
    sa.Column('user_id', BIG_ID, nullable=True),
    sa.Column('username', sa.String(length=254), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('detail', JSON_DOCUMENT, nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entries_hash'))
    )
    op.create_index('ix_audit_entries_object_type_object_id', 'audit_entries', ['object_type', 'object_id'])
    op.create_index('ix_audit_entries_user_id_id', 'audit_entries', ['user_id', 'id'])

    audit_head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_id', BIG_ID, nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('jurisdictions',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_jurisdictions'))
    )
    op.create_table('login_attempts',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=254), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('at', INSTANT, nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    op.create_index('ix_login_attempts_remote_addr_at', 'login_attempts', ['remote_addr', 'at'])
    op.create_index('ix_login_attempts_username_at', 'login_attempts', ['username', 'at'])

    op.create_table('case_number_counters',
    sa.Column('jurisdiction_code', sa.String(length=3), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_case_number_counters_jurisdiction_code_jurisdictions')),
    sa.PrimaryKeyConstraint('jurisdiction_code', 'year', name=op.f('pk_case_number_counters'))
    )
    op.create_table('persons',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('given_names', sa.String(length=200), nullable=False),
    sa.Column('family_names', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=False),
    sa.Column('languages', JSON_DOCUMENT, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('jurisdiction_code', sa.String(length=3), nullable=False),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_persons_jurisdiction_code_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons'))
    )
    op.create_index('ix_persons_jurisdiction_code', 'persons', ['jurisdiction_code'])

    op.create_table('person_name_keys',
    sa.Column('person_id', BIG_ID, nullable=False),
    sa.Column('key', byte_ordered(120), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_name_keys_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'key', name=op.f('pk_person_name_keys'))
    )
    op.create_index('ix_person_name_keys_key_person_id', 'person_name_keys', ['key', 'person_id'])

    op.create_table('person_nationalities',
    sa.Column('person_id', BIG_ID, nullable=False),
    sa.Column('country_code', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_nationalities_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'country_code', name=op.f('pk_person_nationalities'))
    )
    op.create_index('ix_person_nationalities_country_code_person_id', 'person_nationalities', ['country_code', 'person_id'])

    op.create_table('users',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=3), nullable=True),
    sa.Column('person_id', BIG_ID, nullable=True),
    sa.Column('consular_state', sa.String(length=3), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_users_jurisdiction_code_jurisdictions')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_users_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index('ix_users_jurisdiction_code', 'users', ['jurisdiction_code'])
    op.create_index('ix_users_person_id', 'users', ['person_id'])

    op.create_table('auth_tokens',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.Column('expires_at', INSTANT, nullable=False),
    sa.Column('revoked_at', INSTANT, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_tokens_token_hash'))
    )
    op.create_index('ix_auth_tokens_user_id', 'auth_tokens', ['user_id'])

    op.create_table('cases',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('number', byte_ordered(32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=3), nullable=False),
    sa.Column('person_id', BIG_ID, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('assigned_user_id', BIG_ID, nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('state', JSON_DOCUMENT, nullable=False),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.Column('updated_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['assigned_user_id'], ['users.id'], name=op.f('fk_cases_assigned_user_id_users')),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_cases_jurisdiction_code_jurisdictions')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_cases_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number'))
    )
    op.create_index('ix_cases_assigned_user_id_status_id', 'cases', ['assigned_user_id', 'status', 'id'])
    op.create_index('ix_cases_jurisdiction_code_deadline', 'cases', ['jurisdiction_code', 'deadline'])
    op.create_index('ix_cases_jurisdiction_code_id_person_id', 'cases', ['jurisdiction_code', 'id', 'person_id'])
    op.create_index('ix_cases_jurisdiction_code_status_id', 'cases', ['jurisdiction_code', 'status', 'id'])
    op.create_index('ix_cases_person_id', 'cases', ['person_id'])

    op.create_table('actions',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=48), nullable=False),
    sa.Column('payload', JSON_DOCUMENT, nullable=False),
    sa.Column('actor_user_id', BIG_ID, nullable=True),
    sa.Column('actor_role', sa.String(length=32), nullable=True),
    sa.Column('server_time', INSTANT, nullable=False),
    sa.Column('device_time', INSTANT, nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_actions_actor_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_actions_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_actions_case_id_seq'))
    )
    op.create_table('case_consular_consents',
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('state', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_consular_consents_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'state', name=op.f('pk_case_consular_consents'))
    )
    op.create_index('ix_case_consular_consents_state_case_id', 'case_consular_consents', ['state', 'case_id'])
    # The chain's genesis: entry 1 will link to 64 zeros.
    op.bulk_insert(audit_head, [{"id": 1, "last_id": 0, "last_hash": "0" * 64}])


def downgrade() -> None:
    op.drop_table('case_consular_consents')
    op.drop_table('actions')
    op.drop_table('cases')
    op.drop_table('auth_tokens')
    op.drop_table('users')
    op.drop_table('person_nationalities')
    op.drop_table('person_name_keys')
    op.drop_table('persons')
    op.drop_table('case_number_counters')
    op.drop_table('login_attempts')
    op.drop_table('jurisdictions')
    op.drop_table('audit_head')
    op.drop_table('audit_entries')
