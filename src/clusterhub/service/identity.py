"""Tenants, users and machines: who is asking, proven by a password, a token or an API key.

Why argon2 and short-lived tokens: a leaked database must not leak passwords or keys (argon2
hashes, salted, deliberately slow); a leaked token must expire soon (15 minutes by default) and
carry nothing a client can change without breaking its signature. Keys are ``prefix.secret``: the
prefix finds the row, the secret is checked against its hash, and a key is revoked by a time
stamp, effective on the next request. Failed logins are throttled per account and source, per
source and per account from unknown clients (``service.throttle``).

A tenant's own management of its keys (issue, rotate, revoke, list; audited) is ``service.keys``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from clusterhub.collab import Decision, Purpose, Resource, Role, Subject
from clusterhub.errors import Forbidden, InputError, NotFound
from clusterhub.service.decision import record
from clusterhub.service.throttle import DEVICE_COOKIE, DEVICE_DAYS, LoginLimiter, Throttled
from clusterhub.storage.rows import ApiKeyRow, TenantRow, UserRow

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_DAYS",
    "OPERATOR",
    "SERVICE_ROLE",
    "Identity",
    "LoginLimiter",
    "SignIn",
    "Throttled",
    "add_tenant",
    "add_user",
    "authenticate",
    "enter_tenant",
    "issue_key",
    "issue_token",
    "new_key",
    "revoke_key",
    "subject_from_key",
    "subject_from_token",
]

_HASHER = PasswordHasher()
TOKEN_MINUTES = 15


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Identity:
    """Signing secret and clock of a running service (a test sets the clock)."""

    secret: str
    minutes: int = TOKEN_MINUTES
    clock: object = None  # a callable returning an aware datetime; None: the system clock

    def now(self) -> datetime:
        return self.clock() if callable(self.clock) else _now()


#: Who administers the service from its own host (``clusterhub tenant add``, ``user add``): no
#: tenant's user, so its entries in the audit chain carry no tenant and this name.
OPERATOR = Subject(None, "operator")


def add_tenant(
    session: Session,
    tenant: str,
    name: str,
    groups: tuple[str, ...] = (),
    *,
    sector: str | None = None,
    by: Subject = OPERATOR,
) -> None:
    """A new tenant; its ``sector`` (free text such as "chemicals" or "logistics") is what
    aggregates by sector group it under. Audited under the new tenant (``tenant.create``): its
    member admins see in their trail who made it and in which groups it was put, since a
    group decides what grants reach it."""
    if session.get(TenantRow, tenant) is not None:
        raise InputError.single("a new tenant id", tenant, path="tenant")
    if sector is not None and not 0 < len(sector.strip()) <= 64:
        raise InputError.single("a sector of 1 to 64 characters", repr(sector), path="sector")
    now = _now()
    session.add(
        TenantRow(id=tenant, name=name, groups=",".join(groups),
                  sector=sector.strip() if sector else None, created_at=now)
    )  # fmt: skip
    record(session, by, "tenant.create", Resource(tenant, f"tenant:{tenant}"),
           Purpose.DATA_MANAGEMENT, Decision(True, f"tenant {tenant} added"), now,
           {"name": name, "groups": sorted(groups), "sector": sector})  # fmt: skip


def add_user(
    session: Session,
    tenant: str,
    username: str,
    password: str,
    roles: tuple[Role, ...],
    *,
    by: Subject = OPERATOR,
) -> None:
    """A new user of ``tenant``. Audited under the tenant (``user.create``, with the roles,
    never the password): a user reads the tenant's data, so its admins see every one made."""
    if session.get(TenantRow, tenant) is None:
        raise NotFound(f"no tenant {tenant!r}")
    if len(password) < 12:
        raise InputError.single("a password of at least 12 characters", path="password")
    taken = session.scalar(sa.select(UserRow.id).where(UserRow.username == username))
    if taken is not None:
        raise InputError.single("a user name not yet taken", username, path="username")
    now = _now()
    session.add(
        UserRow(
            tenant_id=tenant,
            username=username,
            password_hash=_HASHER.hash(password),
            roles=",".join(r.value for r in roles),
            created_at=now,
        )
    )
    record(session, by, "user.create", Resource(tenant, f"user:{username}"),
           Purpose.DATA_MANAGEMENT, Decision(True, f"user {username} added to {tenant}"), now,
           {"roles": sorted(r.value for r in roles)})  # fmt: skip


#: The database role the service works under in PostgreSQL (see migration 0003).
SERVICE_ROLE = "clusterhub_service"


def enter_tenant(session: Session, subject: Subject) -> None:
    """From here to the end of the transaction, the database itself shows only what the
    subject's tenant may see (PostgreSQL row-level security; nothing to do on SQLite). Both
    settings are transaction-local: a pooled connection never keeps them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(sa.text(f"SET LOCAL ROLE {SERVICE_ROLE}"))
    session.execute(
        sa.text(
            "SELECT set_config('clusterhub.tenant', :tenant, true), "
            "set_config('clusterhub.groups', :groups, true)"
        ),
        {"tenant": subject.tenant or "", "groups": ",".join(sorted(subject.groups))},
    )


def subject_of_user(session: Session, username: str) -> Subject:
    """The identity of an enabled user, for the operator's command line acting as that user."""
    user = session.scalar(sa.select(UserRow).where(UserRow.username == username))
    if user is None or user.disabled:
        raise NotFound(f"no enabled user {username!r}")
    return _subject(session, user)


def _subject(session: Session, user: UserRow) -> Subject:
    tenant = session.get(TenantRow, user.tenant_id)
    groups = frozenset(g for g in (tenant.groups if tenant else "").split(",") if g)
    roles = frozenset(Role(r) for r in user.roles.split(",") if r)
    return Subject(user.tenant_id, user.username, roles, groups)


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: who, and the device token that exempts this client from the
    account's lockout next time (see ``service.throttle``)."""

    subject: Subject
    device: str


def authenticate(  # noqa: PLR0917 - the attempt and where it comes from
    session: Session,
    username: str,
    password: str,
    limiter: LoginLimiter,
    source: str = "local",
    device: str | None = None,
) -> SignIn:
    """The subject behind a user name and password. ``source`` is the client's address and
    ``device`` the device token it holds, if any; raises ``Throttled`` before judging an
    attempt that comes too soon, ``Forbidden`` for a wrong one, alike for absent users."""
    trusted = limiter.check(username, source, device)
    user = session.scalar(sa.select(UserRow).where(UserRow.username == username))
    try:
        if user is None or user.disabled:
            _HASHER.hash(password)  # the same work either way: no timing oracle on names
            raise VerificationError
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        limiter.failed(username, source, trusted)
        raise Forbidden("wrong user name or password") from None
    return SignIn(_subject(session, user), limiter.succeeded(username, source))


def issue_token(identity: Identity, subject: Subject) -> str:
    now = identity.now()
    claims = {
        "sub": subject.user,
        "tenant": subject.tenant,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=identity.minutes)).timestamp()),
    }
    return jwt.encode(claims, identity.secret, algorithm="HS256")


def subject_from_token(session: Session, identity: Identity, token: str) -> Subject:
    """The subject a token names, re-read from the database (a disabled user or a changed role
    counts at once); any doubt about the token is a refusal."""
    try:
        claims = jwt.decode(
            token,
            identity.secret,
            algorithms=["HS256"],
            options={"require": ["exp", "sub", "tenant"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise Forbidden("invalid token") from None
    if int(claims["exp"]) <= identity.now().timestamp():
        raise Forbidden("expired token")
    user = session.scalar(sa.select(UserRow).where(UserRow.username == claims["sub"]))
    if user is None or user.disabled or user.tenant_id != claims["tenant"]:
        raise Forbidden("invalid token")
    return _subject(session, user)


def issue_key(session: Session, username: str, *, now: datetime | None = None) -> str:
    """A new API key for ``username``'s machine; shown once, stored only as a hash."""
    user = session.scalar(sa.select(UserRow).where(UserRow.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return new_key(session, user, now or _now())


def new_key(session: Session, user: UserRow, now: datetime) -> str:
    """A new key of ``user`` (``prefix.secret``), stored as the prefix and the secret's hash; no
    decision and no audit entry here: the callers (the operator's ``issue_key``, a tenant's
    ``keys.issue_key_for`` and ``keys.rotate_key``) decide who may."""
    prefix = "chk_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKeyRow(
            id=prefix,
            tenant_id=user.tenant_id,
            user_id=user.id,
            secret_hash=_HASHER.hash(secret),
            created_at=now,
        )
    )
    return f"{prefix}.{secret}"


def revoke_key(session: Session, prefix: str, tenant: str, when: datetime | None = None) -> None:
    row = session.get(ApiKeyRow, prefix)
    if row is None or row.tenant_id != tenant:
        raise NotFound("no such key")
    row.revoked_at = when or _now()


def subject_from_key(session: Session, identity: Identity, key: str) -> Subject:
    prefix, _, secret = key.partition(".")
    row = session.get(ApiKeyRow, prefix) if prefix.startswith("chk_") else None
    try:
        if row is None:
            raise VerificationError
        _HASHER.verify(row.secret_hash, secret)
    except (VerificationError, InvalidHashError):
        raise Forbidden("invalid key") from None
    if row.revoked_at is not None and identity.now() >= row.revoked_at:
        raise Forbidden("revoked key")
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled:
        raise Forbidden("invalid key")
    return _subject(session, user)
