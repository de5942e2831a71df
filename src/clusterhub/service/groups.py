"""Named groups of tenants (``refiners``, ``hydrogen-valley``), managed by the cluster operator.

Why groups matter for trust: a grant to a group reaches every tenant in it, so who joins a group
decides who may read data granted to it. Only cluster operators change membership, every change
(allowed or refused) is appended to the audit chain with the tenant as owner, so a tenant sees
when it was added to or removed from a group, and every member sees the groups and their members
before granting to one. A change takes effect on the next request: a request's subject is built
from the tenant's groups as stored then.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Decision, Purpose, Resource, Role, Subject
from clusterhub.errors import InputError, NotFound
from clusterhub.service.data import record
from clusterhub.storage.rows import TenantRow

__all__ = ["GROUP_NAME", "change_membership", "groups"]

GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _names(text: str | None) -> list[str]:
    return [g for g in (text or "").split(",") if g]


def groups(session: Session, subject: Subject) -> dict[str, list[str]]:
    """Every group and its member tenants, for any signed-in tenant."""
    if subject.tenant is None:
        raise NotFound("no such group")
    members: dict[str, list[str]] = {}
    for tenant, text in session.execute(sa.select(TenantRow.id, TenantRow.groups)):
        for group in _names(text):
            members.setdefault(group, []).append(tenant)
    return {g: sorted(t) for g, t in sorted(members.items())}


def change_membership(
    session: Session,
    subject: Subject,
    group: str,
    tenant: str,
    *,
    member: bool,
    now: datetime | None = None,
) -> list[str]:
    """Add ``tenant`` to ``group`` (``member``) or remove it; the group's members after it."""
    now = now or datetime.now(UTC)
    if not GROUP_NAME.match(group):
        raise InputError.single(
            "a group name of lower-case letters, digits and dashes (at most 64)",
            group[:80],
            path="group",
        )
    row = session.get(TenantRow, tenant) if len(tenant) <= 64 else None
    allowed = subject.tenant is not None and Role.CLUSTER_OPERATOR in subject.roles
    reason = (
        f"{'added to' if member else 'removed from'} group {group}"
        if allowed
        else "only a cluster operator changes groups"
    )
    resource = Resource(row.id if row is not None else "?", f"group:{group}")
    record(
        session, subject, Action.GRANT, resource, Purpose.DATA_MANAGEMENT,
        Decision(allowed and row is not None, reason), now,
    )  # fmt: skip
    if not allowed or row is None:
        raise NotFound("no such tenant")
    names = _names(row.groups)
    if member and group not in names:
        names.append(group)
    elif not member and group in names:
        names.remove(group)
    row.groups = ",".join(sorted(names))
    session.flush()
    return groups(session, subject).get(group, [])
