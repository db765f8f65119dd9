"""The unacknowledged messages' index covers who owes each one: ``status`` counts what is
overdue, ours and theirs, from the index alone instead of reading every unacknowledged row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_UNACKNOWLEDGED = sa.text("ack_id IS NULL")


def upgrade() -> None:
    op.drop_index("messages_unacknowledged", table_name="messages")
    op.create_index(
        "messages_unacknowledged",
        "messages",
        ["ack_due", "recipient"],
        sqlite_where=_UNACKNOWLEDGED,
        postgresql_where=_UNACKNOWLEDGED,
    )


def downgrade() -> None:
    op.drop_index("messages_unacknowledged", table_name="messages")
    op.create_index(
        "messages_unacknowledged",
        "messages",
        ["ack_due"],
        sqlite_where=_UNACKNOWLEDGED,
        postgresql_where=_UNACKNOWLEDGED,
    )
