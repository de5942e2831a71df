"""Keyed audit chain: each entry and the head carry an HMAC-SHA256 under the audit key (kept
outside the database) and the id of that key.

Why nullable: entries written before this revision have no MAC, and none can be made for them
now without vouching for whatever the database holds today; verification reports them as
unkeyed, by range, and never as proven. The service role's table grants on ``audit_entries``
and ``audit_head`` (0003) cover the new columns.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_entries", "audit_head")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("key_id")
            batch_op.drop_column("mac")
