"""Sign-in attempts: recorded before the password is checked, as "in progress".

Revision ID: 0005_login_attempts_in_progress
Revises: 0004_minimal_name_keys
Create Date: 2026-11-30

`login_attempts.succeeded` may now be NULL: the attempt is recorded, and committed, before its
password is checked (`amparo.auth.service.login`), so that attempts sent at the same moment count
one another against the per-username limit; it becomes true or false once checked. The downgrade
counts an attempt never finished (a process stopped mid-check) as failed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_login_attempts_in_progress"
down_revision = "0004_minimal_name_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempts") as table:
        table.alter_column("succeeded", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute(sa.text("UPDATE login_attempts SET succeeded = false WHERE succeeded IS NULL"))
    with op.batch_alter_table("login_attempts") as table:
        table.alter_column("succeeded", existing_type=sa.Boolean(), nullable=False)
