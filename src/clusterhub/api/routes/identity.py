"""Who is asking: a bearer token for a user name and password, the signed-in identity, and a
tenant's API keys (issue, rotate at once or after a grace period, revoke, list).

Key management is ``service.keys`` (each action audited under the key's tenant); another
tenant's key answers 404 like a missing one.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from clusterhub.api.deps import Clock, CurrentUser, ServiceDep, SessionDep
from clusterhub.api.errors import THROTTLED, sign_in_refused, throttled
from clusterhub.errors import Forbidden
from clusterhub.service import identity
from clusterhub.service import keys as managed

__all__ = ["DEVICE_SECONDS", "KeyIn", "RotateIn", "router"]

DEVICE_SECONDS = identity.DEVICE_DAYS * 86_400

router = APIRouter(tags=["identity"])


class KeyIn(BaseModel):
    user: str | None = Field(
        None, min_length=1, max_length=128, description="whose key (default: your own)"
    )


class RotateIn(BaseModel):
    grace_seconds: int = Field(
        0, ge=0, le=3600, description="how long the old key still works (at most an hour)"
    )


@router.post("/api/v1/token", responses=THROTTLED)
def token(
    db: SessionDep, service: ServiceDep, request: Request, response: Response,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, str]:  # fmt: skip
    """A 15-minute bearer token. Failed sign-ins are throttled per client address (behind a
    proxy, let uvicorn trust its X-Forwarded-For: ``FORWARDED_ALLOW_IPS``); a browser that
    signed in before keeps a device cookie that lets its right password in while others
    fail on the same account."""
    source = request.client.host if request.client else "unknown"
    device = request.cookies.get(identity.DEVICE_COOKIE)
    try:
        signed = identity.authenticate(db, form.username, form.password, service.limiter,
                                       source, device)  # fmt: skip
    except identity.Throttled as exc:
        raise throttled(exc) from None
    except Forbidden as exc:
        raise sign_in_refused(exc) from None
    response.set_cookie(identity.DEVICE_COOKIE, signed.device, max_age=DEVICE_SECONDS,
                        path="/api/v1/token", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return {
        "access_token": identity.issue_token(service.identity, signed.subject),
        "token_type": "bearer",
    }


@router.get("/api/v1/me")
def me(who: CurrentUser) -> dict[str, Any]:
    return {"tenant": who.tenant, "user": who.user, "roles": sorted(who.roles)}


def _key(info: managed.KeyInfo, now: datetime) -> dict[str, Any]:
    return {
        "prefix": info.prefix,
        "user": info.user,
        "created_at": info.created_at,
        "revoked_at": info.revoked_at,
        "replaced_by": info.replaced_by,
        "state": info.state(now),
    }


@router.post("/api/v1/keys", status_code=201)
def issue_key(
    db: SessionDep, who: CurrentUser, now: Clock, body: KeyIn | None = None
) -> dict[str, str]:
    """A new API key for yourself (or, for a member admin, a user of your tenant); the key
    is shown once and kept only as a hash."""
    user = body.user if body is not None else None
    prefix, key = managed.issue_key_for(db, who, user, now=now())
    return {"prefix": prefix, "key": key}


@router.post("/api/v1/keys/{prefix}/rotate", status_code=201)
def rotate_key(
    prefix: str, db: SessionDep, who: CurrentUser, now: Clock, body: RotateIn | None = None
) -> dict[str, str]:
    """A new key in place of this one, which is revoked at once or after a grace period."""
    grace = body.grace_seconds if body is not None else 0
    new, key = managed.rotate_key(db, who, prefix, now=now(), grace_seconds=grace)
    return {"prefix": new, "key": key, "replaces": prefix}


@router.post("/api/v1/keys/{prefix}/revoke")
def revoke_key(prefix: str, db: SessionDep, who: CurrentUser, now: Clock) -> dict[str, Any]:
    """Revoked from now on, also a key in its grace period after a rotation."""
    info = managed.revoke_key_of(db, who, prefix, now=now())
    return _key(info, now())


@router.get("/api/v1/keys")
def keys(db: SessionDep, who: CurrentUser, now: Clock) -> list[dict[str, Any]]:
    """Your tenant's keys (a member admin) or your own, never their secrets."""
    moment = now()
    return [_key(info, moment) for info in managed.keys_of(db, who)]
