"""Pages of desk checks read one index range per direction of a link, newest first: the
counterpart's page sorted every check of the link (17,000 in a year of hourly checks) to
show the latest 50.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "notices_by_log_kind_time", "notices", ["sender", "recipient", "kind", "time", "id"]
    )
    op.create_index("notices_by_kind_time", "notices", ["kind", "time", "id"])


def downgrade() -> None:
    op.drop_index("notices_by_kind_time", table_name="notices")
    op.drop_index("notices_by_log_kind_time", table_name="notices")
