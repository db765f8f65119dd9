"""Obligations run from delivery; entries indexed by kind; a cache version is kept.

The message cache gains ``delivered_at`` and its ``ack_due`` becomes empty until delivery.
The cache is dropped and recreated rather than altered: it is a fold, and the node rebuilds
it from the transcript when the recorded cache version differs from its own (``meta``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOT_HOTLINE = sa.text("kind <> 'hotline.message'")
_UNACKNOWLEDGED = sa.text("ack_id IS NULL")


def upgrade() -> None:
    op.drop_index("messages_by_peer", table_name="messages")
    op.drop_table("messages")
    op.create_table(
        "messages",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.Text(), nullable=False),
        sa.Column("precedence", sa.Text(), nullable=False),
        sa.Column("lang", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.Text(), nullable=True),
        sa.Column("ack_due", sa.Text(), nullable=True),
        sa.Column("ack_id", sa.Text(), nullable=True),
        sa.Column("ack_time", sa.Text(), nullable=True),
        sa.Column("ack_officer", sa.Text(), nullable=True),
    )
    op.create_index("messages_by_peer", "messages", ["sender", "recipient", "seq"])
    op.create_index(
        "messages_unacknowledged",
        "messages",
        ["ack_due"],
        sqlite_where=_UNACKNOWLEDGED,
        postgresql_where=_UNACKNOWLEDGED,
    )
    op.create_index(
        "entries_by_kind",
        "entries",
        ["kind"],
        sqlite_where=_NOT_HOTLINE,
        postgresql_where=_NOT_HOTLINE,
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_index("entries_by_kind", table_name="entries")
