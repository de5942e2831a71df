"""Engine runs on shared data and each member's part of their results.

Why a member's part in its own row: row-level security can then show a member its own result
and nothing of another member's, while the operator who ran the engine sees the parts it wrote
(the decision point still limits what it is shown to what each member's grant allows). The
operator is stored on each part so that neither table's policy needs the other's (PostgreSQL
refuses policies that recurse).

Also, on PostgreSQL, three lookups for the audit chain: a probe of a dataset, grant or key id
that row-level security hides from the asking tenant must still be audited under the real owner,
or the owner never learns of it. ``clusterhub_dataset_owner``, ``clusterhub_grant_of`` and
``clusterhub_key_owner`` answer only that (the owner, and a grant's dataset), run as a role that
bypasses row-level security and may read only those columns, and are callable by the service
role alone; the caller still gets the same 404 as for an id that does not exist.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "clusterhub_service"
TENANT = "NULLIF(current_setting('clusterhub.tenant', true), '')"
LOOKUP = "clusterhub_lookup"
LOOKUPS = {
    "clusterhub_dataset_owner(dataset text) RETURNS text": (
        "SELECT tenant_id FROM datasets WHERE id = dataset"
    ),
    "clusterhub_grant_of(grant_id text) RETURNS TABLE(tenant_id text, dataset_id text)": (
        "SELECT tenant_id, dataset_id FROM grants WHERE id = grant_id"
    ),
    "clusterhub_key_owner(prefix text) RETURNS text": (
        "SELECT tenant_id FROM api_keys WHERE id = prefix"
    ),
}
POLICIES = {
    "run_results": (f"tenant_id = {TENANT} OR operator = {TENANT}", f"operator = {TENANT}"),
    "runs": (
        f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM run_results r WHERE r.run_id = runs.id "
        f"AND r.tenant_id = {TENANT})",
        f"tenant_id = {TENANT}",
    ),
}


def server_role(name: str, options: str) -> tuple[str, str]:
    """Create role ``name`` unless it exists, and make the migrating user a member of it (as in
    0003: a migration stands alone, so it keeps its own copy).

    Why the exception handlers: roles belong to the server, not to the database, so two
    databases migrating at once (the test workers, or two deployments on one server) both find
    the role missing; the second's CREATE ROLE (or GRANT) waits for the first to commit and then
    hits the unique name in pg_authid (or pg_auth_members). That error means the other made it:
    taken as done. An advisory lock would not help: its keys are per database."""
    return (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN "
        f"CREATE ROLE {name} {options}; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        f"DO $$ BEGIN GRANT {name} TO CURRENT_USER; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
    )


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("cluster", sa.Text(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("left_out", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_runs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_tenant_id"), ["tenant_id"], unique=False)
    op.create_table(
        "run_results",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_results_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_run_results_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["operator"], ["tenants.id"], name=op.f("fk_run_results_operator_tenants")
        ),
        sa.PrimaryKeyConstraint("run_id", "tenant_id", name=op.f("pk_run_results")),
    )
    with op.batch_alter_table("run_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_results_operator"), ["operator"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT, INSERT ON runs, run_results TO {ROLE}")
    for statement in server_role(LOOKUP, "NOLOGIN NOSUPERUSER BYPASSRLS"):
        op.execute(statement)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {LOOKUP}")
    op.execute(f"GRANT SELECT (id, tenant_id) ON datasets TO {LOOKUP}")
    op.execute(f"GRANT SELECT (id, tenant_id, dataset_id) ON grants TO {LOOKUP}")
    op.execute(f"GRANT SELECT (id, tenant_id) ON api_keys TO {LOOKUP}")
    for name, body in LOOKUPS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name} LANGUAGE sql STABLE SECURITY DEFINER "
            f"SET search_path = public AS $$ {body} $$"
        )
        signature = name.split(" RETURNS")[0]
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {LOOKUP}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {ROLE}")
    for table, (visible, writable) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({visible})")
        op.execute(f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({writable})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in LOOKUPS:
            op.execute(f"DROP FUNCTION IF EXISTS {name.split(' RETURNS')[0]}")
        for table in POLICIES:  # the runs policy reads run_results: drop policies first
            for policy in ("tenant_read", "tenant_insert"):
                op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
    op.drop_table("run_results")
    op.drop_table("runs")
