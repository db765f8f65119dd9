"""The transcript, pinned peers, equivocation evidence and the message cache.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("log_sender", sa.Text(), nullable=False),
        sa.Column("log_recipient", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False, unique=True),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("time", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("log_sender", "log_recipient", "seq"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("log_sender", sa.Text(), nullable=False),
        sa.Column("log_recipient", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("log_sender", "log_recipient", "size"),
    )
    op.create_table(
        "cosignatures",
        sa.Column("log_sender", sa.Text(), nullable=False),
        sa.Column("log_recipient", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("cosigner", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("log_sender", "log_recipient", "size", "cosigner", "timestamp"),
    )
    op.create_index(
        "cosignatures_by_cosigner",
        "cosignatures",
        ["log_sender", "log_recipient", "cosigner", "size"],
    )
    op.create_table(
        "equivocations",
        sa.Column("n", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("log_sender", sa.Text(), nullable=False),
        sa.Column("log_recipient", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held", sa.LargeBinary(), nullable=False),
        sa.Column("offered", sa.LargeBinary(), nullable=False),
        sa.Column("checkpoint_note", sa.LargeBinary(), nullable=False),
        sa.Column("detected_at", sa.Text(), nullable=False),
    )
    op.create_table(
        "peers",
        sa.Column("party", sa.Text(), primary_key=True),
        sa.Column("card", sa.LargeBinary(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("pinned_at", sa.Text(), nullable=False),
    )
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
        sa.Column("ack_due", sa.Text(), nullable=False),
        sa.Column("ack_id", sa.Text(), nullable=True),
        sa.Column("ack_time", sa.Text(), nullable=True),
        sa.Column("ack_officer", sa.Text(), nullable=True),
    )
    op.create_index("messages_by_peer", "messages", ["sender", "recipient", "seq"])


def downgrade() -> None:
    for table in ("messages", "peers", "equivocations", "cosignatures", "checkpoints", "entries"):
        op.drop_table(table)
