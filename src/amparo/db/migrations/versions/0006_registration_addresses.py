"""Self-registration: one row per address, locked while its registrations are counted.

Revision ID: 0006_registration_addresses
Revises: 0005_login_attempts_in_progress
Create Date: 2026-11-30

`registration_addresses` holds a row per address that self-registrations came from. A registration
upserts its address's row before it counts the address's recent registrations, and holds the row
until it commits (`amparo.regularization.service.register_applicant`): registrations sent at the
same moment from one address then count one another against `registrations_per_address`, instead of
all reading the count before any was recorded. Types are spelled out here rather than imported from
the models, so this migration keeps meaning what it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_registration_addresses"
down_revision = "0005_login_attempts_in_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registration_addresses",
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("last_registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("remote_addr", name=op.f("pk_registration_addresses")),
    )


def downgrade() -> None:
    op.drop_table("registration_addresses")
