"""The ledger of exact aggregate cells released to each tenant, and the owner's release rule.

Why a ledger: two harmless exact tables (a table by two dimensions and the cluster total,
period totals and their days, a release before a correction and one after) can give one
company's figures by subtraction, so every exact cell released to a tenant is kept with exactly
which rows of which dataset versions it covered, and each new release is audited against all of
them. A row belongs to the tenant that was told (users of one tenant share what they learn), and
row-level security shows and appends it for that tenant only. Why ``datasets.release``: an owner
may allow only differentially private releases of its dataset (``private-only``); exact
aggregates then leave it out.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "clusterhub_service"
OWN = "tenant_id = NULLIF(current_setting('clusterhub.tenant', true), '')"


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("release", sa.String(length=16), nullable=False, server_default="exact")
        )
    op.create_table(
        "aggregate_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("value_column", sa.String(length=128), nullable=False),
        sa.Column("statistic", sa.String(length=16), nullable=False),
        sa.Column("cell", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("atoms", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_aggregate_releases_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aggregate_releases")),
    )
    with op.batch_alter_table("aggregate_releases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_aggregate_releases_data", ["tenant_id", "name", "value_column"], unique=False
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT, INSERT ON aggregate_releases TO {ROLE}")  # append-only
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute("ALTER TABLE aggregate_releases ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE aggregate_releases FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_read ON aggregate_releases FOR SELECT USING ({OWN})")
    op.execute(f"CREATE POLICY tenant_insert ON aggregate_releases FOR INSERT WITH CHECK ({OWN})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for policy in ("tenant_read", "tenant_insert"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON aggregate_releases")
    with op.batch_alter_table("aggregate_releases", schema=None) as batch_op:
        batch_op.drop_index("ix_aggregate_releases_data")
    op.drop_table("aggregate_releases")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("release")
