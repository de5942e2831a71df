"""PostgreSQL row-level security on participant data: the database isolates tenants too.

Why twice: the policy decision point decides, and the database refuses what a bug in the
service might still ask for. The service works under the role ``clusterhub_service`` (neither
owner nor superuser nor BYPASSRLS), switched to with ``SET LOCAL ROLE`` in every transaction,
with the tenant (and its groups) set by ``set_config(..., true)``: both end with the
transaction, so a pooled connection never carries one tenant's setting into the next. A query
without a tenant sees nothing. SQLite has no row-level security: there the decision point
alone isolates tenants.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "clusterhub_service"
TENANT = "NULLIF(current_setting('clusterhub.tenant', true), '')"
GROUPS = "string_to_array(current_setting('clusterhub.groups', true), ',')"
#: A grant that reaches the current tenant (RLS on grants already limits what is seen).
REACHES = (
    f"((g.grantee_kind = 'tenant' AND g.grantee = {TENANT})"
    f" OR (g.grantee_kind = 'group' AND g.grantee = ANY({GROUPS}))"
    " OR g.grantee_kind = 'cluster')"
)

POLICIES = {
    "grants": (
        f"tenant_id = {TENANT} OR (grantee_kind = 'tenant' AND grantee = {TENANT})"
        f" OR (grantee_kind = 'group' AND grantee = ANY({GROUPS})) OR grantee_kind = 'cluster'",
        f"tenant_id = {TENANT}",
    ),
    "datasets": (
        f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM grants g WHERE g.dataset_id = "
        f"datasets.id AND {REACHES})",
        f"tenant_id = {TENANT}",
    ),
    "dataset_versions": (
        f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM grants g WHERE g.dataset_id = "
        f"dataset_versions.dataset_id AND {REACHES})",
        f"tenant_id = {TENANT}",
    ),
    # every decision is appended by whoever asked; an owner reads the entries about its data
    "audit_entries": (f"owner = {TENANT}", "true"),
}


#: Tenant tables: even their owner goes through the policies. The audit chain is the cluster's
#: log, not a tenant's data: the service role sees only its tenant's entries, while the
#: operator's ``clusterhub audit verify`` (as the owner) walks the whole chain.
FORCED = ("grants", "datasets", "dataset_versions")


def server_role(name: str, options: str) -> tuple[str, str]:
    """Create role ``name`` unless it exists, and make the migrating user a member of it.

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
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in server_role(ROLE, "NOLOGIN NOSUPERUSER NOBYPASSRLS"):
        op.execute(statement)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(
        f"GRANT SELECT, INSERT, UPDATE ON tenants, users, api_keys, datasets, dataset_versions, "
        f"grants, audit_entries, audit_head TO {ROLE}"
    )
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    for table, (visible, writable) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        if table in FORCED:
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({visible})")
        op.execute(f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({writable})")
        op.execute(
            f"CREATE POLICY tenant_update ON {table} FOR UPDATE USING ({writable}) "
            f"WITH CHECK ({writable})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in POLICIES:
        for policy in ("tenant_read", "tenant_insert", "tenant_update"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
