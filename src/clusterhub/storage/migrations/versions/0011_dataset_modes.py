"""Dataset write modes: ``replace`` (as before), ``append`` and ``upsert`` by declared key.

Why a table of records with a validity range: a meter sending one reading per message must end
with all its readings, every version must stay readable exactly (runs pin versions and their
hashes), and a write must store only the message's rows. Each record of an append or upsert
dataset is kept once, valid from the version that added it until the version that replaced it;
version v is the records valid at v. On PostgreSQL the records are tenant data under forced
row-level security, visible as the dataset's versions are: to the owner and to grantees (a
group grant reaches only the members it names, as migration 0009 made it).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "clusterhub_service"
TENANT = "NULLIF(current_setting('clusterhub.tenant', true), '')"
GROUPS = "string_to_array(current_setting('clusterhub.groups', true), ',')"
REACHES = (
    f"((g.grantee_kind = 'tenant' AND g.grantee = {TENANT})"
    f" OR (g.grantee_kind = 'group' AND g.grantee = ANY({GROUPS})"
    " AND EXISTS (SELECT 1 FROM grant_members m WHERE m.grant_id = g.id"
    f" AND m.member = {TENANT} AND m.removed_at IS NULL))"
    " OR g.grantee_kind = 'cluster')"
)
VISIBLE = (
    f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM grants g WHERE g.dataset_id = "
    f"dataset_records.dataset_id AND {REACHES})"
)
WRITABLE = f"tenant_id = {TENANT}"


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=16), server_default="replace", nullable=False)
        )
        batch_op.add_column(sa.Column("key", sa.Text(), nullable=True))
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_count", sa.Integer(), nullable=True))
    with op.batch_alter_table("ingest_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dataset_rows", sa.Integer(), nullable=True))
    op.create_table(
        "dataset_records",
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("added_in", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("replaced_in", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_records_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_dataset_records_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "dataset_id", "ordinal", "added_in", name=op.f("pk_dataset_records")
        ),
    )
    with op.batch_alter_table("dataset_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dataset_records_current", ["dataset_id", "replaced_in", "ordinal"], unique=False
        )
        batch_op.create_index("ix_dataset_records_key", ["dataset_id", "key_hash"], unique=False)
        batch_op.create_index("ix_dataset_records_added", ["dataset_id", "added_in"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dataset_records_tenant_id"), ["tenant_id"], unique=False
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON dataset_records TO {ROLE}")
    op.execute("ALTER TABLE dataset_records ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE dataset_records FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_read ON dataset_records FOR SELECT USING ({VISIBLE})")
    op.execute(f"CREATE POLICY tenant_insert ON dataset_records FOR INSERT WITH CHECK ({WRITABLE})")
    op.execute(
        f"CREATE POLICY tenant_update ON dataset_records FOR UPDATE USING ({WRITABLE}) "
        f"WITH CHECK ({WRITABLE})"
    )


def downgrade() -> None:
    with op.batch_alter_table("dataset_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_records_tenant_id"))
        batch_op.drop_index("ix_dataset_records_added")
        batch_op.drop_index("ix_dataset_records_key")
        batch_op.drop_index("ix_dataset_records_current")
    op.drop_table("dataset_records")
    with op.batch_alter_table("ingest_receipts", schema=None) as batch_op:
        batch_op.drop_column("dataset_rows")
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_column("row_count")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("key")
        batch_op.drop_column("mode")
