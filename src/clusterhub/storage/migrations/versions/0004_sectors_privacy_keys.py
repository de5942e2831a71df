"""Sectors of tenants, per-dataset privacy budgets with their ledger of spends, and key rotation.

Why a ledger and not a "spent" column: a differentially private release is asked for by another
tenant, who may read but never update the owner's dataset row (row-level security); appending
a spend is an insert it may make for a dataset granted to it, and the remaining budget is the
owner's total minus the sum of the ledger, which also shows who spent what and when. Why row-level
security on ``api_keys`` now: keys are listed, rotated and revoked through the API from this
revision on, and the database should refuse another tenant's keys as it refuses its datasets.
It is enabled but not forced: signing in with a key happens before a tenant is known, as the
table's owner, exactly as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "clusterhub_service"
TENANT = "NULLIF(current_setting('clusterhub.tenant', true), '')"
GROUPS = "string_to_array(current_setting('clusterhub.groups', true), ',')"
REACHES = (
    f"((g.grantee_kind = 'tenant' AND g.grantee = {TENANT})"
    f" OR (g.grantee_kind = 'group' AND g.grantee = ANY({GROUPS}))"
    " OR g.grantee_kind = 'cluster')"
)
#: The owner, or a tenant some grant on the dataset reaches (the decision point judges which).
SPENDERS = (
    f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM grants g WHERE g.dataset_id = "
    f"privacy_spends.dataset_id AND {REACHES})"
)
OWN = f"tenant_id = {TENANT}"


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sector", sa.String(length=64), nullable=True))
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("privacy_epsilon", sa.Float(), nullable=False, server_default="1.0")
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_by", sa.String(length=32), nullable=True))
    op.create_table(
        "privacy_spends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("spent_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_privacy_spends_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_privacy_spends_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_spends")),
    )
    with op.batch_alter_table("privacy_spends", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_spends_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_spends_tenant_id"), ["tenant_id"], unique=False
        )

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT, INSERT ON privacy_spends TO {ROLE}")  # append-only: no UPDATE
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute("ALTER TABLE privacy_spends ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE privacy_spends FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_read ON privacy_spends FOR SELECT USING ({SPENDERS})")
    op.execute(f"CREATE POLICY tenant_insert ON privacy_spends FOR INSERT WITH CHECK ({SPENDERS})")
    op.execute("ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_read ON api_keys FOR SELECT USING ({OWN})")
    op.execute(f"CREATE POLICY tenant_insert ON api_keys FOR INSERT WITH CHECK ({OWN})")
    op.execute(
        f"CREATE POLICY tenant_update ON api_keys FOR UPDATE USING ({OWN}) WITH CHECK ({OWN})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for policy in ("tenant_read", "tenant_insert", "tenant_update"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON api_keys")
        op.execute("ALTER TABLE api_keys DISABLE ROW LEVEL SECURITY")
    with op.batch_alter_table("privacy_spends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_spends_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_spends_dataset_id"))
    op.drop_table("privacy_spends")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("replaced_by")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("privacy_epsilon")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("sector")
