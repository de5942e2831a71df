"""Named groups of tenants (``refiners``, ``hydrogen-valley``), managed by the cluster operator.

Why groups matter for trust: a grant to a group reaches the tenants it names (the group's
members when it was made, then those its owner consents to: ``service.reach``), so joining a
group gives no one data granted before. Only cluster operators change membership, and never
their own tenant's (an operator who also belongs to a member company could otherwise join its
company to any group). Every change (allowed or refused) is appended to the audit chain with
the tenant as owner, and each allowed change also in the trail of every owner with an active
grant to the group; every member sees the groups and their members before granting to one. A
change takes effect on the next request: a request's subject is built from the tenant's groups
as stored then, and leaving a group removes the tenant from every grant to it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Decision, Purpose, Resource, Role, Subject
from clusterhub.errors import Forbidden, InputError, NotFound
from clusterhub.service import reach
from clusterhub.service.data import record
from clusterhub.storage.rows import TenantRow

__all__ = ["GROUP_NAME", "MEMBERSHIP", "OWN_TENANT", "change_membership", "groups"]

#: The audit action telling a grant's owner that its group changed.
MEMBERSHIP = "group.membership"

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
    """Add ``tenant`` to ``group`` (``member``) or remove it; the group's members after it.

    Who: a cluster operator of another tenant (separation of duties: an operator who is also a
    member company never changes its own tenant's groups). Refusals are audited like changes.
    Whom it tells: the tenant, and the owner of every active grant to the group, in their own
    trails; a tenant that joins reaches none of those grants until their owners consent, one
    that leaves is reached by none of them from the next request."""
    now = now or datetime.now(UTC)
    if not GROUP_NAME.match(group):
        raise InputError.single(
            "a group name of lower-case letters, digits and dashes (at most 64)",
            group[:80],
            path="group",
        )
    row = session.get(TenantRow, tenant) if len(tenant) <= 64 else None
    operator = subject.tenant is not None and Role.CLUSTER_OPERATOR in subject.roles
    own = operator and subject.tenant == tenant
    change = f"{'added to' if member else 'removed from'} group {group}"
    reason = (
        OWN_TENANT if own
        else change if operator
        else "only a cluster operator changes groups"
    )  # fmt: skip
    allowed = operator and not own and row is not None
    resource = Resource(row.id if row is not None else "?", f"group:{group}")
    record(session, subject, Action.GRANT, resource, Purpose.DATA_MANAGEMENT,
           Decision(allowed, reason), now)  # fmt: skip
    if own:
        raise Forbidden(OWN_TENANT)
    if not allowed or row is None:
        raise NotFound("no such tenant")
    names = _names(row.groups)
    changed = (group not in names) if member else (group in names)
    if member and changed:
        names.append(group)
    elif not member and changed:
        names.remove(group)
        reach.drop_member(session, group, tenant, now)
    row.groups = ",".join(sorted(names))
    session.flush()
    if changed:
        _tell_owners(session, subject, group, tenant, joined=member, now=now)
    return groups(session, subject).get(group, [])


#: Why an operator may not change its own tenant's groups (the refusal's message and audit).
OWN_TENANT = (
    "a cluster operator may not change its own tenant's groups (separation of duties): "
    "a cluster operator of another member must"
)


def _tell_owners(
    session: Session, subject: Subject, group: str, tenant: str, *, joined: bool, now: datetime
) -> None:
    """One entry in the trail of each owner with an active grant to ``group``."""
    for grant, owner, dataset in reach.group_grants(session, group, now):
        if owner == tenant:
            continue
        reason = (
            f"{tenant} joined group {group}; your grant {grant} does not reach {tenant} "
            "until you consent"
            if joined
            else f"{tenant} left group {group}; your grant {grant} no longer reaches {tenant}"
        )
        detail = {"grant": grant, "group": group, "tenant": tenant,
                  "change": "joined" if joined else "left"}  # fmt: skip
        record(session, subject, MEMBERSHIP, Resource(owner, dataset), Purpose.DATA_MANAGEMENT,
               Decision(True, reason), now, detail)  # fmt: skip
