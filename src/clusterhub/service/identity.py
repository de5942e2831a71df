"""Tenants, users and machines: who is asking, proven by a password, a token or an API key.

Why argon2 and short-lived tokens: a leaked database must not leak passwords or keys (argon2
hashes, salted, deliberately slow); a leaked token must expire soon (15 minutes by default) and
carry nothing a client can change without breaking its signature. Keys are ``prefix.secret``: the
prefix finds the row, the secret is checked against its hash, and a key is revoked by a time
stamp, effective on the next request. Logins are rate-limited per user name.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.errors import Forbidden, InputError, NotFound
from clusterhub.storage.rows import ApiKeyRow, TenantRow, UserRow

__all__ = [
    "SERVICE_ROLE",
    "Identity",
    "LoginLimiter",
    "add_tenant",
    "add_user",
    "authenticate",
    "enter_tenant",
    "issue_key",
    "issue_token",
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


def add_tenant(session: Session, tenant: str, name: str, groups: tuple[str, ...] = ()) -> None:
    if session.get(TenantRow, tenant) is not None:
        raise InputError.single("a new tenant id", tenant, path="tenant")
    session.add(TenantRow(id=tenant, name=name, groups=",".join(groups), created_at=_now()))


def add_user(
    session: Session, tenant: str, username: str, password: str, roles: tuple[Role, ...]
) -> None:
    if session.get(TenantRow, tenant) is None:
        raise NotFound(f"no tenant {tenant!r}")
    if len(password) < 12:
        raise InputError.single("a password of at least 12 characters", path="password")
    taken = session.scalar(sa.select(UserRow.id).where(UserRow.username == username))
    if taken is not None:
        raise InputError.single("a user name not yet taken", username, path="username")
    session.add(
        UserRow(
            tenant_id=tenant,
            username=username,
            password_hash=_HASHER.hash(password),
            roles=",".join(r.value for r in roles),
            created_at=_now(),
        )
    )


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


def _subject(session: Session, user: UserRow) -> Subject:
    tenant = session.get(TenantRow, user.tenant_id)
    groups = frozenset(g for g in (tenant.groups if tenant else "").split(",") if g)
    roles = frozenset(Role(r) for r in user.roles.split(",") if r)
    return Subject(user.tenant_id, user.username, roles, groups)


@dataclass
class LoginLimiter:
    """At most ``attempts`` failed logins per user name within ``window`` seconds."""

    attempts: int = 5
    window: float = 60.0
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def check(self, username: str) -> None:
        recent = self._failures[username]
        cutoff = time.monotonic() - self.window
        while recent and recent[0] < cutoff:
            recent.popleft()
        if len(recent) >= self.attempts:
            raise Forbidden("too many failed logins; wait a minute")

    def failed(self, username: str) -> None:
        self._failures[username].append(time.monotonic())


def authenticate(session: Session, username: str, password: str, limiter: LoginLimiter) -> Subject:
    limiter.check(username)
    user = session.scalar(sa.select(UserRow).where(UserRow.username == username))
    try:
        if user is None or user.disabled:
            _HASHER.hash(password)  # the same work either way: no timing oracle on names
            raise VerificationError
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        limiter.failed(username)
        raise Forbidden("wrong user name or password") from None
    return _subject(session, user)


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


def issue_key(session: Session, username: str) -> str:
    """A new API key for ``username``'s machine; shown once, stored only as a hash."""
    user = session.scalar(sa.select(UserRow).where(UserRow.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    prefix = "chk_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKeyRow(
            id=prefix,
            tenant_id=user.tenant_id,
            user_id=user.id,
            secret_hash=_HASHER.hash(secret),
            created_at=_now(),
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
    revoked = row.revoked_at
    if revoked is not None:
        revoked = revoked if revoked.tzinfo else revoked.replace(tzinfo=UTC)
        if identity.now() >= revoked:
            raise Forbidden("revoked key")
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled:
        raise Forbidden("invalid key")
    return _subject(session, user)
