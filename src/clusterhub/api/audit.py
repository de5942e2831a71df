"""The audit chain's signed head and public key: ``GET /api/v1/audit/head`` and
``GET /api/v1/audit/key``.

Why any signed-in user: a head is a count and a hash, no tenant's data; every member should
keep heads outside the service (one JSON line each, the format ``clusterhub audit verify
--heads`` reads), so that a later rewrite of any entry at or before one of them is proven, even
one made by the service's own host. The public key checks the heads' signatures; keep it with
them. A head whose MAC does not hold is never signed (409).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from clusterhub.collab import Subject
from clusterhub.service import audit_keys, chain

__all__ = ["add_audit_routes"]


def add_audit_routes(
    app: FastAPI,
    session: Callable[..., Any],
    subject: Callable[..., Any],
    now: Callable[[], datetime],
) -> None:
    """The head and key routes on ``app``, with the app's session and identity dependencies."""
    db_dep, who_dep = Depends(session, scope="function"), Depends(subject)

    @app.get("/api/v1/audit/head", tags=["audit"])
    def audit_head(db: Session = db_dep, who: Subject = who_dep) -> dict[str, Any]:
        """The chain's current head (index of its last entry, count, hash, time), signed with
        the service's audit key (Ed25519)."""
        return chain.signed_head(db, audit_keys.current(), now()).as_json()

    @app.get("/api/v1/audit/key", tags=["audit"])
    def audit_key(who: Subject = who_dep) -> dict[str, Any]:
        """The public key that checks the signed heads, and its id."""
        return chain.public_key(audit_keys.current())
