"""Folds kept as tables: requests, notices and the open items of the watch floor; receipts
indexed by time.

They are caches (``openline rebuild`` regenerates them); the node fills them from the
transcript when it opens, since the cache version changes with this migration.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _columns(*names: str, nullable: bool = False) -> list[sa.Column[str]]:
    return [sa.Column(name, sa.Text(), nullable=nullable) for name in names]


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Text(), primary_key=True),
        *_columns("kind", "requester", "counterpart"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        *_columns("time", "state"),
        *_columns("due", "armed_due", "overdue_state", nullable=True),
        sa.Column("owed", sa.Integer(), nullable=False),
        *_columns("delivered_at", nullable=True),
        *_columns("follow_ups", "view"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Text(), primary_key=True),
        *_columns("kind", "sender", "recipient"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        *_columns("time", "notice", "group_key"),
        sa.Column("leader", sa.Integer(), nullable=False),
        *_columns("precedence"),
        *_columns("delivered_at", "due", "answer_id", "answered_at", "answered_by", nullable=True),
        sa.Column("lead_time_seconds", sa.BigInteger(), nullable=True),
        sa.Column("late_notice", sa.Integer(), nullable=True),
        *_columns("body"),
    )
    op.create_table(
        "open_items",
        sa.Column("id", sa.Text(), primary_key=True),
        *_columns("kind", "sender", "recipient"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        *_columns("time"),
        sa.Column("rank", sa.Integer(), nullable=False),
        *_columns("deadline", nullable=True),
        *_columns("sort_deadline"),
    )
    acknowledged = sa.text("ack_id IS NOT NULL")
    op.create_index(
        "messages_acknowledged_by_time",
        "messages",
        ["time", "id"],
        sqlite_where=acknowledged,
        postgresql_where=acknowledged,
    )
    op.create_index(
        "cosignatures_by_time",
        "cosignatures",
        ["log_sender", "log_recipient", "cosigner", "timestamp"],
    )
    op.create_index("requests_by_time", "requests", ["time", "id"])
    op.create_index("requests_by_log", "requests", ["requester", "counterpart", "seq"])
    op.create_index("requests_by_link_time", "requests", ["requester", "counterpart", "time"])
    armed = sa.text("armed_due IS NOT NULL")
    op.create_index(
        "requests_armed", "requests", ["armed_due"], sqlite_where=armed, postgresql_where=armed
    )
    op.create_index(
        "requests_armed_by_link",
        "requests",
        ["counterpart", "requester", "armed_due"],
        sqlite_where=armed,
        postgresql_where=armed,
    )
    op.create_index("notices_by_group", "notices", ["group_key"])
    op.create_index("notices_by_notice", "notices", ["notice"])
    leaders = sa.text("leader = 1")
    op.create_index(
        "notices_leaders",
        "notices",
        ["time", "id"],
        sqlite_where=leaders,
        postgresql_where=leaders,
    )
    op.create_index("notices_by_log", "notices", ["sender", "recipient", "seq"])
    op.create_index("notices_by_log_kind", "notices", ["sender", "recipient", "kind", "seq"])
    answered = sa.text("answer_id IS NOT NULL")
    op.create_index(
        "notices_answered_by_log",
        "notices",
        ["sender", "recipient", "kind", "seq"],
        sqlite_where=answered,
        postgresql_where=answered,
    )
    unanswered = sa.text("answer_id IS NULL")
    op.create_index(
        "notices_unanswered",
        "notices",
        ["due"],
        sqlite_where=unanswered,
        postgresql_where=unanswered,
    )
    op.create_index(
        "notices_unanswered_by_link",
        "notices",
        ["recipient", "sender", "due"],
        sqlite_where=unanswered,
        postgresql_where=unanswered,
    )
    op.create_index("open_items_by_urgency", "open_items", ["rank", "sort_deadline", "time", "id"])


def downgrade() -> None:
    op.drop_index("messages_acknowledged_by_time", table_name="messages")
    op.drop_index("cosignatures_by_time", table_name="cosignatures")
    for table in ("open_items", "notices", "requests"):
        op.drop_table(table)
