"""Units of a dataset's declared columns: ``{"mw": "MW"}`` beside ``{"mw": "number"}``.

Why a column of its own and not inside ``columns``: ``columns`` is the schema every row is
checked against (name -> number, text or time) and is read so in many places; a unit says what a
number means, is optional and may be absent for text and time columns. The service role's table
grants on ``datasets`` (0003) cover the new column.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("units")
