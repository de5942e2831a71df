"""Data freshness per member for the cluster overview.

Why a lookup: the overview tells every signed-in member when each member last sent data (a
meter that stopped reporting is everyone's concern), but on PostgreSQL row-level security hides
other tenants' datasets and versions from the asking tenant. ``clusterhub_freshness`` answers
only per tenant: how many datasets, how many versions and when the latest arrived; never a
dataset's name, columns or rows. It runs as the lookup role, which may read only those columns,
and only the service role may call it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 00:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "clusterhub_service"
LOOKUP = "clusterhub_lookup"
SIGNATURE = "clusterhub_freshness()"
BODY = (
    "SELECT d.tenant_id, count(DISTINCT d.id), count(v.dataset_id), max(v.created_at) "
    "FROM datasets d LEFT JOIN dataset_versions v ON v.dataset_id = d.id GROUP BY d.tenant_id"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT (dataset_id, created_at) ON dataset_versions TO {LOOKUP}")
    op.execute(
        f"CREATE OR REPLACE FUNCTION {SIGNATURE} RETURNS TABLE(tenant_id text, datasets bigint, "
        f"versions bigint, latest timestamptz) LANGUAGE sql STABLE SECURITY DEFINER "
        f"SET search_path = public AS $$ {BODY} $$"
    )
    op.execute(f"ALTER FUNCTION {SIGNATURE} OWNER TO {LOOKUP}")
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.execute(f"REVOKE SELECT (dataset_id, created_at) ON dataset_versions FROM {LOOKUP}")
