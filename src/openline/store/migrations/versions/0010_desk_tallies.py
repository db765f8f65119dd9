"""Running totals of each log's desk checks: a desk's summary (``status``, the counterpart
page) reads one row instead of counting every check the log ever held.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_tallies",
        sa.Column("sender", sa.Text, primary_key=True),
        sa.Column("recipient", sa.Text, primary_key=True),
        sa.Column("checks", sa.BigInteger, nullable=False),
        sa.Column("answered", sa.BigInteger, nullable=False),
        sa.Column("answered_late", sa.BigInteger, nullable=False),
        sa.Column("latest_answered_at", sa.Text, nullable=True),
        sa.Column("latest_answered_by", sa.Text, nullable=True),
    )
    # Folded once from the checks already stored; the fold keeps it from here on. Of
    # answers at the same instant, the greatest name, as the fold chooses.
    op.execute(
        "INSERT INTO desk_tallies (sender, recipient, checks, answered, answered_late,"
        " latest_answered_at)"
        " SELECT sender, recipient, count(*), count(answer_id),"
        " sum(CASE WHEN answered_at > due THEN 1 ELSE 0 END), max(answered_at)"
        " FROM notices WHERE kind = 'desk.check' GROUP BY sender, recipient"
    )
    op.execute(
        "UPDATE desk_tallies SET latest_answered_by = (SELECT max(n.answered_by)"
        " FROM notices n WHERE n.kind = 'desk.check' AND n.sender = desk_tallies.sender"
        " AND n.recipient = desk_tallies.recipient"
        " AND n.answered_at = desk_tallies.latest_answered_at)"
    )


def downgrade() -> None:
    op.drop_table("desk_tallies")
