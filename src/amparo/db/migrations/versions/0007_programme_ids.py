"""Programme publication: one row per programme id, locked while a new version of it is stored.

Revision ID: 0007_programme_ids
Revises: 0006_registration_addresses
Create Date: 2026-11-30

`programme_ids` holds a row per published programme id. A publication upserts its id's row before
it reads the id's stored versions, and holds the row until it commits
(`amparo.regularization.service.publish_programme`): two versions of one id published at the same
moment for different jurisdictions then see one another and the second is refused, instead of both
passing the check that the id belongs to no other jurisdiction. The ids already published are
copied in, with the time of their latest version. Types are spelled out here rather than imported
from the models, so this migration keeps meaning what it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_programme_ids"
down_revision = "0006_registration_addresses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programme_ids",
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("last_published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_programme_ids")),
    )
    op.execute(sa.text(
        "INSERT INTO programme_ids (programme_id, last_published_at) "
        "SELECT programme_id, MAX(published_at) FROM programme_versions GROUP BY programme_id"
    ))


def downgrade() -> None:
    op.drop_table("programme_ids")
