"""Stored Merkle nodes, verified high-water marks, and storing order of checkpoints and
cosignatures (design notes 25 to 27: cost bounded by what is shown, not by history).

``seen`` is filled for existing rows in an increasing order (on SQLite their rowid, the order
they were stored); ``keep`` starts at 0. The Merkle nodes of existing logs are
filled in by the node when it opens (``openline.store.tree``), since hashing is not SQL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _number_rows(table: str, key: tuple[str, ...]) -> None:
    """Give every existing row an increasing storing order (only the order matters)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"UPDATE {table} SET seen = rowid")  # noqa: S608 - our own table names
        return
    columns = ("log_sender", "log_recipient", *key)
    op.execute(
        f"UPDATE {table} AS t SET seen = numbered.n FROM ("  # noqa: S608
        f"SELECT {', '.join(columns)}, ROW_NUMBER() OVER (ORDER BY {', '.join(key)}) AS n "
        f"FROM {table}) AS numbered WHERE " + " AND ".join(f"numbered.{c} = t.{c}" for c in columns)
    )


def upgrade() -> None:
    op.create_table(
        "merkle_nodes",
        sa.Column("log_sender", sa.Text(), nullable=False),
        sa.Column("log_recipient", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("log_sender", "log_recipient", "level", "idx"),
    )
    op.create_table(
        "verified_marks",
        sa.Column("log_sender", sa.Text(), nullable=False),
        sa.Column("log_recipient", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("checkpoints_seen", sa.BigInteger(), nullable=False),
        sa.Column("cosignatures_seen", sa.BigInteger(), nullable=False),
        sa.Column("scrub_next", sa.BigInteger(), nullable=False),
        sa.Column("verified_at", sa.Text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("log_sender", "log_recipient"),
    )
    with op.batch_alter_table("checkpoints") as batch:
        batch.add_column(sa.Column("seen", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("cosignatures") as batch:
        batch.add_column(sa.Column("seen", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("keep", sa.Integer(), nullable=False, server_default="0"))
    _number_rows("checkpoints", ("size",))
    _number_rows("cosignatures", ("size", "cosigner", "timestamp"))
    op.create_index("checkpoints_by_seen", "checkpoints", ["log_sender", "log_recipient", "seen"])
    op.create_index("cosignatures_by_seen", "cosignatures", ["log_sender", "log_recipient", "seen"])


def downgrade() -> None:
    op.drop_index("cosignatures_by_seen", table_name="cosignatures")
    op.drop_index("checkpoints_by_seen", table_name="checkpoints")
    with op.batch_alter_table("cosignatures") as batch:
        batch.drop_column("keep")
        batch.drop_column("seen")
    with op.batch_alter_table("checkpoints") as batch:
        batch.drop_column("seen")
    op.drop_table("verified_marks")
    op.drop_table("merkle_nodes")
