"""The tenants a grant to a group reaches, named when it is made (issue 15 item 2).

Why a table: a grant to a group used to reach whoever was in the group at the time of each
request, so a cluster operator could add a tenant to a group and give it data granted long
before, without the owner knowing. Now a group grant names its members: the group's members
when it was made, and each tenant its owner consents to later (``reason`` says which, with
``added_at``); a tenant that leaves the group is marked ``removed_at`` and reached no more.
Existing group grants name the group's members as they are when this migration runs.

On PostgreSQL the rows are the grant owner's (forced row-level security: the owner reads and
writes them; a member reads the rows naming it, so the policies of grants, datasets, versions
and privacy spends can require one). Two functions of the lookup role serve a membership change
made by a cluster operator, who cannot see other owners' grants: ``clusterhub_group_grants``
(the live grants to a group, their owners and datasets: whom to tell) and
``clusterhub_group_left`` (mark a leaving tenant removed from every grant to the group: it can
only take reach away).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "clusterhub_service"
LOOKUP = "clusterhub_lookup"
TENANT = "NULLIF(current_setting('clusterhub.tenant', true), '')"
GROUPS = "string_to_array(current_setting('clusterhub.groups', true), ',')"


def _reaches(grant: str, *, named: bool) -> str:
    """A grant (alias ``grant``) that reaches the current tenant; ``named``: a group grant only
    when it names the tenant (from this revision on)."""
    member = (
        f" AND EXISTS (SELECT 1 FROM grant_members m WHERE m.grant_id = {grant}.id"
        f" AND m.member = {TENANT} AND m.removed_at IS NULL)"
        if named
        else ""
    )
    return (
        f"(({grant}.grantee_kind = 'tenant' AND {grant}.grantee = {TENANT})"
        f" OR ({grant}.grantee_kind = 'group' AND {grant}.grantee = ANY({GROUPS}){member})"
        f" OR {grant}.grantee_kind = 'cluster')"
    )


def _visible(named: bool) -> dict[str, str]:
    return {
        "grants": f"tenant_id = {TENANT} OR {_reaches('grants', named=named)}",
        "datasets": f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM grants g WHERE "
        f"g.dataset_id = datasets.id AND {_reaches('g', named=named)})",
        "dataset_versions": f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM grants g WHERE "
        f"g.dataset_id = dataset_versions.dataset_id AND {_reaches('g', named=named)})",
        "privacy_spends": f"tenant_id = {TENANT} OR EXISTS (SELECT 1 FROM grants g WHERE "
        f"g.dataset_id = privacy_spends.dataset_id AND {_reaches('g', named=named)})",
    }


LOOKUPS = {
    "clusterhub_group_grants(grp text) RETURNS TABLE(id text, tenant_id text, dataset_id text, "
    "expires_at timestamptz)": (
        "LANGUAGE sql STABLE",
        "SELECT id, tenant_id, dataset_id, expires_at FROM grants "
        "WHERE grantee_kind = 'group' AND grantee = grp AND revoked_at IS NULL",
    ),
    "clusterhub_group_left(grp text, leaver text, at timestamptz) RETURNS void": (
        "LANGUAGE sql VOLATILE",
        "UPDATE grant_members m SET removed_at = at FROM grants g WHERE g.id = m.grant_id "
        "AND g.grantee_kind = 'group' AND g.grantee = grp AND m.member = leaver "
        "AND m.removed_at IS NULL",
    ),
}


def _snapshot() -> None:
    """Every existing group grant names the group's members as they are now."""
    bind = op.get_bind()
    members: dict[str, list[str]] = {}
    for tenant, text in bind.execute(sa.text("SELECT id, groups FROM tenants")):
        for group in (text or "").split(","):
            if group:
                members.setdefault(group, []).append(tenant)
    grants = bind.execute(
        sa.text("SELECT id, tenant_id, grantee FROM grants WHERE grantee_kind = 'group'")
    ).all()
    now = datetime.now(UTC)
    rows = [
        {"grant_id": grant, "member": member, "tenant_id": owner, "added_at": now,
         "reason": f"member of group {group} when migration 0009 ran"}
        for grant, owner, group in grants
        for member in members.get(group, [])
    ]  # fmt: skip
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO grant_members (grant_id, member, tenant_id, added_at, reason) "
                "VALUES (:grant_id, :member, :tenant_id, :added_at, :reason)"
            ),
            rows,
        )


def upgrade() -> None:
    op.create_table(
        "grant_members",
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_grant_members_grant_id_grants")
        ),
        sa.ForeignKeyConstraint(
            ["member"], ["tenants.id"], name=op.f("fk_grant_members_member_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_grant_members_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("grant_id", "member", name=op.f("pk_grant_members")),
    )
    with op.batch_alter_table("grant_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_members_member"), ["member"], unique=False)
        batch_op.create_index(batch_op.f("ix_grant_members_tenant_id"), ["tenant_id"], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # the migrating role may be the owner, which forced row-level security limits
        op.execute("ALTER TABLE grants NO FORCE ROW LEVEL SECURITY")
    _snapshot()
    if not postgres:
        return
    op.execute("ALTER TABLE grants FORCE ROW LEVEL SECURITY")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON grant_members TO {ROLE}")
    op.execute("ALTER TABLE grant_members ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE grant_members FORCE ROW LEVEL SECURITY")
    own = f"tenant_id = {TENANT}"
    op.execute(
        f"CREATE POLICY tenant_read ON grant_members FOR SELECT USING ({own} OR member = {TENANT})"
    )
    op.execute(f"CREATE POLICY tenant_insert ON grant_members FOR INSERT WITH CHECK ({own})")
    op.execute(
        f"CREATE POLICY tenant_update ON grant_members FOR UPDATE USING ({own}) WITH CHECK ({own})"
    )
    for table, visible in _visible(named=True).items():
        op.execute(f"DROP POLICY IF EXISTS tenant_read ON {table}")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({visible})")
    op.execute(
        f"GRANT SELECT (id, tenant_id, dataset_id, grantee_kind, grantee, expires_at, revoked_at)"
        f" ON grants TO {LOOKUP}"
    )
    op.execute(f"GRANT SELECT, UPDATE (removed_at) ON grant_members TO {LOOKUP}")
    for name, (kind, body) in LOOKUPS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name} {kind} SECURITY DEFINER "
            f"SET search_path = public AS $$ {body} $$"
        )
        signature = name.split(" RETURNS")[0]
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {LOOKUP}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in LOOKUPS:
            op.execute(f"DROP FUNCTION IF EXISTS {name.split(' RETURNS')[0]}")
        for table, visible in _visible(named=False).items():
            op.execute(f"DROP POLICY IF EXISTS tenant_read ON {table}")
            op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({visible})")
        for policy in ("tenant_read", "tenant_insert", "tenant_update"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON grant_members")
        op.execute(f"REVOKE ALL ON grant_members FROM {LOOKUP}")
    with op.batch_alter_table("grant_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_members_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_grant_members_member"))
    op.drop_table("grant_members")
