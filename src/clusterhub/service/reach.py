"""Whom a grant reaches: its grantee checked when it is made, and a group grant's named members.

Why named members: a grant to a group used to reach whoever was in the group at each request,
so whoever changed a group's members decided who read data granted to it. A group grant now
names the tenants it reaches (``grant_members``): the group's members when it is made, then
each tenant its owner consents to (``service.grants.consent``). A tenant that joins the group
later is *pending* until then; one that leaves is marked removed and reached no more. The
decision point (``collab.decide``) receives these names with the grant and also requires the
tenant to be in the group at the time of the request.

No decisions here: the callers (creating, changing, listing grants; group changes) judge first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import GranteeKind
from clusterhub.errors import InputError, Problem
from clusterhub.storage.rows import GrantMemberRow, GrantRow, TenantRow
from clusterhub.storage.types import UtcDateTime

__all__ = [
    "check_terms",
    "drop_member",
    "group_grants",
    "group_members",
    "members_of",
    "name_members",
    "pending_of",
]


def group_members(session: Session, group: str) -> list[str]:
    """The tenants in ``group`` now (tenants and their groups are visible to every tenant)."""
    rows = session.execute(sa.select(TenantRow.id, TenantRow.groups))
    return sorted(t for t, text in rows if group in (text or "").split(","))


def check_terms(
    session: Session,
    columns: Mapping[str, str],
    *,
    grantee_kind: GranteeKind,
    grantee: str,
    fields: Sequence[str] | None,
    expires: datetime | None,
    now: datetime,
    cluster: str = "cluster",
) -> None:
    """Refuse a grant that could reach no one or nothing (issue 15 item 12): a tenant that does
    not exist, a group without members, another cluster, a field the dataset does not declare,
    an empty field list (it would read as "every field"), an expiry not after ``now``. Every
    problem is named by its field; nothing is stored."""
    problems: list[Problem] = []
    if grantee_kind is GranteeKind.TENANT and session.get(TenantRow, grantee) is None:
        problems.append(Problem("a tenant that exists", repr(grantee[:80]), "grantee"))
    elif grantee_kind is GranteeKind.GROUP and not group_members(session, grantee):
        problems.append(Problem("a group with at least one member", repr(grantee[:80]), "grantee"))
    elif grantee_kind is GranteeKind.CLUSTER and grantee != cluster:
        problems.append(Problem(f"this cluster ({cluster!r})", repr(grantee[:80]), "grantee"))
    if fields is not None and not fields:
        problems.append(Problem("at least one column (leave fields out for all)", "[]", "fields"))
    for i, name in enumerate(fields or ()):
        if name not in columns:
            declared = ", ".join(sorted(columns))
            problems.append(Problem(f"a column of the dataset ({declared})", repr(name[:80]),
                                    f"fields[{i}]"))  # fmt: skip
    if expires is not None and expires <= now:
        problems.append(
            Problem(f"a time after now ({now.astimezone(UTC).isoformat(timespec='seconds')})",
                    expires.isoformat(), "expires")
        )  # fmt: skip
    if problems:
        raise InputError(problems)


def name_members(
    session: Session,
    grant: str,
    owner: str,
    members: Iterable[str],
    *,
    now: datetime,
    reason: str,
) -> None:
    """Name ``members`` as reached by ``grant`` (new rows, or a removed one named again)."""
    for member in members:
        row = session.get(GrantMemberRow, (grant, member))
        if row is None:
            session.add(GrantMemberRow(grant_id=grant, member=member, tenant_id=owner,
                                       added_at=now, reason=reason))  # fmt: skip
        else:
            row.added_at, row.reason, row.removed_at = now, reason, None
    session.flush()


def members_of(session: Session, grants: Sequence[str]) -> dict[str, frozenset[str]]:
    """The tenants each grant names and still reaches (on PostgreSQL a tenant other than the
    owner sees only the rows naming itself, which is all the decision point needs)."""
    if not grants:
        return {}
    rows = session.execute(
        sa.select(GrantMemberRow.grant_id, GrantMemberRow.member).where(
            GrantMemberRow.grant_id.in_(list(grants)), GrantMemberRow.removed_at.is_(None)
        )
    )
    named: dict[str, set[str]] = {}
    for grant, member in rows:
        named.setdefault(grant, set()).add(member)
    return {g: frozenset(named.get(g, ())) for g in grants}


def pending_of(session: Session, group: str, members: Iterable[str]) -> list[str]:
    """Tenants in ``group`` now that a grant naming ``members`` does not reach: they joined
    after it and wait for the owner's consent."""
    return sorted(set(group_members(session, group)) - set(members))


def group_grants(session: Session, group: str, now: datetime) -> list[tuple[str, str, str]]:
    """Active grants to ``group``: (grant, owner, dataset), whoever asks. On PostgreSQL the
    operator changing a group cannot see other owners' grants; a lookup function answers just
    this, for telling their owners."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            sa.text("SELECT id, tenant_id, dataset_id, expires_at FROM "
                    "clusterhub_group_grants(:group)").columns(expires_at=UtcDateTime()),
            {"group": group},
        ).all()  # fmt: skip
    else:
        rows = session.execute(
            sa.select(GrantRow.id, GrantRow.tenant_id, GrantRow.dataset_id, GrantRow.expires_at)
            .where(GrantRow.grantee_kind == GranteeKind.GROUP.value, GrantRow.grantee == group,
                   GrantRow.revoked_at.is_(None))
        ).all()  # fmt: skip
    live = []
    for grant, owner, dataset, ends in rows:
        if ends is None or ends > now:
            live.append((str(grant), str(owner), str(dataset)))
    return sorted(live)


def drop_member(session: Session, group: str, tenant: str, now: datetime) -> None:
    """``tenant`` left ``group``: no grant to the group reaches it any more, and joining again
    reaches nothing until each owner consents anew."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT clusterhub_group_left(:group, :tenant, :at)"),
            {"group": group, "tenant": tenant, "at": now},
        )
        return
    session.execute(
        sa.update(GrantMemberRow)
        .where(
            GrantMemberRow.member == tenant,
            GrantMemberRow.removed_at.is_(None),
            GrantMemberRow.grant_id.in_(
                sa.select(GrantRow.id).where(
                    GrantRow.grantee_kind == GranteeKind.GROUP.value, GrantRow.grantee == group
                )
            ),
        )
        .values(removed_at=now)
    )
