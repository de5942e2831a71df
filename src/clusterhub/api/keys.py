"""API keys through the API: issue, rotate (at once or after a grace period), revoke, list.

Why apart from ``app``: key management is its own small use case in ``service.identity`` (each
action audited under the key's tenant); another tenant's key answers 404 like a missing one.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from clusterhub.collab import Subject
from clusterhub.service import identity

__all__ = ["add_key_routes"]


class KeyIn(BaseModel):
    user: str | None = Field(
        None, min_length=1, max_length=128, description="whose key (default: your own)"
    )


class RotateIn(BaseModel):
    grace_seconds: int = Field(
        0, ge=0, le=3600, description="how long the old key still works (at most an hour)"
    )


def _key(info: identity.KeyInfo, now: datetime) -> dict[str, Any]:
    return {
        "prefix": info.prefix,
        "user": info.user,
        "created_at": info.created_at,
        "revoked_at": info.revoked_at,
        "replaced_by": info.replaced_by,
        "state": info.state(now),
    }


def add_key_routes(
    app: FastAPI,
    session: Callable[..., Any],
    subject: Callable[..., Any],
    now: Callable[[], datetime],
) -> None:
    """Key routes on ``app``, with the app's session and identity dependencies."""
    db_dep, who_dep = Depends(session, scope="function"), Depends(subject)

    @app.post("/api/v1/keys", status_code=201, tags=["identity"])
    def issue_key(
        body: KeyIn | None = None, db: Session = db_dep, who: Subject = who_dep
    ) -> dict[str, str]:
        """A new API key for yourself (or, for a member admin, a user of your tenant); the key
        is shown once and kept only as a hash."""
        user = body.user if body is not None else None
        prefix, key = identity.issue_key_for(db, who, user, now=now())
        return {"prefix": prefix, "key": key}

    @app.post("/api/v1/keys/{prefix}/rotate", status_code=201, tags=["identity"])
    def rotate_key(
        prefix: str, body: RotateIn | None = None, db: Session = db_dep, who: Subject = who_dep
    ) -> dict[str, str]:
        """A new key in place of this one, which is revoked at once or after a grace period."""
        grace = body.grace_seconds if body is not None else 0
        new, key = identity.rotate_key(db, who, prefix, now=now(), grace_seconds=grace)
        return {"prefix": new, "key": key, "replaces": prefix}

    @app.post("/api/v1/keys/{prefix}/revoke", tags=["identity"])
    def revoke_key(prefix: str, db: Session = db_dep, who: Subject = who_dep) -> dict[str, Any]:
        """Revoked from now on, also a key in its grace period after a rotation."""
        info = identity.revoke_key_of(db, who, prefix, now=now())
        return _key(info, now())

    @app.get("/api/v1/keys", tags=["identity"])
    def keys(db: Session = db_dep, who: Subject = who_dep) -> list[dict[str, Any]]:
        """Your tenant's keys (a member admin) or your own, never their secrets."""
        moment = now()
        return [_key(info, moment) for info in identity.keys_of(db, who)]
