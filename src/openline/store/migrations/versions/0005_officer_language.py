"""An officer's console language, kept across sessions (design note 23).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("officers") as batch:
        batch.add_column(sa.Column("lang", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("officers") as batch:
        batch.drop_column("lang")
