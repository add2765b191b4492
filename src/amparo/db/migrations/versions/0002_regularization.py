"""Regularization: programme versions, signing keys, applications, evidence, certificates, filing
consents and employer invitations (issue 4).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Types are spelled out here rather than imported from the models, so this migration keeps meaning what
it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('signing_keys',
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=3), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=False),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_signing_keys_jurisdiction_code_jurisdictions')),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_signing_keys')),
    sa.UniqueConstraint('jurisdiction_code', name=op.f('uq_signing_keys_jurisdiction_code'))
    )
    op.create_table('programme_versions',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('programme_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=3), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('window_opens', sa.Date(), nullable=False),
    sa.Column('window_closes', sa.Date(), nullable=True),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', INSTANT, nullable=False),
    sa.Column('published_by', BIG_ID, nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction_code'], ['jurisdictions.code'], name=op.f('fk_programme_versions_jurisdiction_code_jurisdictions')),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], name=op.f('fk_programme_versions_published_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_versions')),
    sa.UniqueConstraint('programme_id', 'version', name=op.f('uq_programme_versions_programme_id_version'))
    )
    op.create_index('ix_programme_versions_jurisdiction_code_programme_id', 'programme_versions', ['jurisdiction_code', 'programme_id'], unique=False)
    op.create_table('applications',
    sa.Column('case_id', BIG_ID, autoincrement=False, nullable=False),
    sa.Column('programme_id', sa.String(length=64), nullable=False),
    sa.Column('programme_version', sa.Integer(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('filed_by', BIG_ID, nullable=True),
    sa.Column('on_behalf', sa.Boolean(), nullable=False),
    sa.Column('applicant', JSON_DOCUMENT, nullable=False),
    sa.Column('declared_evidence', JSON_DOCUMENT, nullable=False),
    sa.Column('assessment', JSON_DOCUMENT, nullable=False),
    sa.Column('intake_key', sa.String(length=128), nullable=True),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_applications_case_id_cases')),
    sa.ForeignKeyConstraint(['filed_by'], ['users.id'], name=op.f('fk_applications_filed_by_users')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_applications')),
    sa.UniqueConstraint('intake_key', name=op.f('uq_applications_intake_key'))
    )
    op.create_index('ix_applications_programme_id_case_id', 'applications', ['programme_id', 'case_id'], unique=False)
    op.create_table('certificates',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('issued_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_certificates_case_id_cases')),
    sa.ForeignKeyConstraint(['key_id'], ['signing_keys.key_id'], name=op.f('fk_certificates_key_id_signing_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates'))
    )
    op.create_index(op.f('ix_certificates_case_id'), 'certificates', ['case_id'], unique=False)
    op.create_table('employer_invitations',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('work_description', sa.String(length=500), nullable=False),
    sa.Column('worked_from', sa.Date(), nullable=False),
    sa.Column('worked_to', sa.Date(), nullable=True),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer_note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', INSTANT, nullable=False),
    sa.Column('expires_at', INSTANT, nullable=False),
    sa.Column('answered_at', INSTANT, nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_employer_invitations_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_employer_invitations_token_hash'))
    )
    op.create_index(op.f('ix_employer_invitations_case_id'), 'employer_invitations', ['case_id'], unique=False)
    op.create_table('evidence',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('case_id', BIG_ID, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('original_filename', sa.String(length=255), nullable=True),
    sa.Column('uploaded_by', BIG_ID, nullable=True),
    sa.Column('uploaded_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_evidence_case_id_cases')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_evidence_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('case_id', 'sha256', name=op.f('uq_evidence_case_id_sha256'))
    )
    op.create_table('filing_consents',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('person_id', BIG_ID, nullable=False),
    sa.Column('case_id', BIG_ID, nullable=True),
    sa.Column('assistant_user_id', BIG_ID, nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', INSTANT, nullable=False),
    sa.ForeignKeyConstraint(['assistant_user_id'], ['users.id'], name=op.f('fk_filing_consents_assistant_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_filing_consents_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_filing_consents_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filing_consents'))
    )
    op.create_index(op.f('ix_filing_consents_person_id'), 'filing_consents', ['person_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_filing_consents_person_id'), table_name='filing_consents')
    op.drop_table('filing_consents')
    op.drop_table('evidence')
    op.drop_index(op.f('ix_employer_invitations_case_id'), table_name='employer_invitations')
    op.drop_table('employer_invitations')
    op.drop_index(op.f('ix_certificates_case_id'), table_name='certificates')
    op.drop_table('certificates')
    op.drop_index('ix_applications_programme_id_case_id', table_name='applications')
    op.drop_table('applications')
    op.drop_index('ix_programme_versions_jurisdiction_code_programme_id', table_name='programme_versions')
    op.drop_table('programme_versions')
    op.drop_table('signing_keys')
