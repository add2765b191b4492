"""Application drafts: an application filled in step by step, saved and resumed (issue 5).

Revision ID: 0003_application_drafts
Revises: 0002
Create Date: 2026-11-30

Types are spelled out here rather than imported from the models, so this migration keeps meaning what
it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_application_drafts"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "application_drafts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("programme_version", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("answers", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_application_drafts_person_id_persons")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_application_drafts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_drafts")),
        sa.UniqueConstraint("user_id", "programme_id", "programme_version", name=op.f("uq_application_drafts_user_id_programme_id_programme_version")),
    )
    op.create_index(op.f("ix_application_drafts_person_id"), "application_drafts", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_application_drafts_person_id"), table_name="application_drafts")
    op.drop_table("application_drafts")
