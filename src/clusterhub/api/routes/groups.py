"""Named groups of tenants: who a grant to a group reaches. Listed for everyone; changed by a
cluster operator of another tenant (``service.groups``: audited with the tenant as owner, and
told to the owner of every grant to the group).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from typing import Annotated, Any

from fastapi import APIRouter, Path

from clusterhub.api.deps import Clock, CurrentUser, SessionDep
from clusterhub.service import groups

__all__ = ["GroupName", "TenantId", "router"]

GroupName = Annotated[
    str, Path(pattern=groups.GROUP_NAME.pattern, description="lower-case, digits, dashes")
]
TenantId = Annotated[str, Path(min_length=1, max_length=64)]

router = APIRouter(tags=["groups"])


@router.get("/api/v1/groups")
def list_groups(db: SessionDep, who: CurrentUser) -> dict[str, list[str]]:
    """Every named group and its member tenants: see who a grant to a group reaches."""
    return groups.groups(db, who)


@router.put("/api/v1/groups/{group}/members/{tenant}")
def join_group(
    group: GroupName, tenant: TenantId, db: SessionDep, who: CurrentUser, now: Clock
) -> dict[str, Any]:
    """Add a tenant to a group (cluster operators only; audited with the tenant as owner)."""
    members = groups.change_membership(db, who, group, tenant, member=True, now=now())
    return {"group": group, "members": members}


@router.delete("/api/v1/groups/{group}/members/{tenant}")
def leave_group(
    group: GroupName, tenant: TenantId, db: SessionDep, who: CurrentUser, now: Clock
) -> dict[str, Any]:
    """Remove a tenant from a group; its grants to the group stop reaching it at once."""
    members = groups.change_membership(db, who, group, tenant, member=False, now=now())
    return {"group": group, "members": members}
