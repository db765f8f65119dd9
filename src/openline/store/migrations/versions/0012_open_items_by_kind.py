"""The floor's alarm reads the desk checks still inside their window through one index
range (kind, recipient, deadline), however many stale checks stay open.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("open_items_by_kind", "open_items", ["kind", "recipient", "sort_deadline"])


def downgrade() -> None:
    op.drop_index("open_items_by_kind", table_name="open_items")
