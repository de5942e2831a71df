"""The audit trail of one's own data, and the chain's signed head and public key.

Why the head for any signed-in user: a head is a count and a hash, no tenant's data; every
member should keep heads outside the service (one JSON line each, the format ``clusterhub
audit verify --heads`` reads), so that a later rewrite of any entry at or before one of them is
proven, even one made by the service's own host. The public key checks the heads' signatures;
keep it with them. A head whose MAC does not hold is never signed (409).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from typing import Any

from fastapi import APIRouter

from clusterhub.api.deps import Clock, CurrentUser, SessionDep
from clusterhub.service import audit_keys, chain, data

__all__ = ["router"]

router = APIRouter(tags=["audit"])


@router.get("/api/v1/audit")
def audit(db: SessionDep, who: CurrentUser) -> list[dict[str, Any]]:
    return data.audit_trail(db, who)


@router.get("/api/v1/audit/head")
def audit_head(db: SessionDep, who: CurrentUser, now: Clock) -> dict[str, Any]:
    """The chain's current head (index of its last entry, count, hash, time), signed with
    the service's audit key (Ed25519)."""
    return chain.signed_head(db, audit_keys.current(), now()).as_json()


@router.get("/api/v1/audit/key")
def audit_key(who: CurrentUser) -> dict[str, Any]:
    """The public key that checks the signed heads, and its id."""
    return chain.public_key(audit_keys.current())
