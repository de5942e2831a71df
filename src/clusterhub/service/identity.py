"""Tenants, users and machines: who is asking, proven by a password, a token or an API key.

Why argon2 and short-lived tokens: a leaked database must not leak passwords or keys (argon2
hashes, salted, deliberately slow); a leaked token must expire soon (15 minutes by default) and
carry nothing a client can change without breaking its signature. Keys are ``prefix.secret``: the
prefix finds the row, the secret is checked against its hash, and a key is revoked by a time
stamp, effective on the next request. Failed logins are throttled per account and source, per
source and per account from unknown clients (``service.throttle``).

Why rotation revokes the old key in the same transaction that issues the new one (optionally
from a few minutes later on): there is never a moment with two long-lived keys, nor one with
none for a machine still being switched over. A key's user and its tenant's member admins
manage it; to anyone else, including every other tenant, it does not exist.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Decision, Purpose, Resource, Role, Subject
from clusterhub.errors import Conflict, Forbidden, InputError, NotFound
from clusterhub.service.data import record
from clusterhub.service.throttle import DEVICE_COOKIE, DEVICE_DAYS, LoginLimiter, Throttled
from clusterhub.storage.rows import ApiKeyRow, TenantRow, UserRow

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_DAYS",
    "OPERATOR",
    "SERVICE_ROLE",
    "Identity",
    "KeyInfo",
    "LoginLimiter",
    "SignIn",
    "Throttled",
    "add_tenant",
    "add_user",
    "authenticate",
    "enter_tenant",
    "issue_key",
    "issue_key_for",
    "issue_token",
    "keys_of",
    "revoke_key",
    "revoke_key_of",
    "rotate_key",
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
    return _new_key(session, user, now or _now())


def _new_key(session: Session, user: UserRow, now: datetime) -> str:
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


#: What a key's prefix looks like; anything else never reaches a query.
PREFIX = re.compile(r"chk_[0-9a-f]{16}")


@dataclass(frozen=True)
class KeyInfo:
    """A key as its tenant sees it: never the secret, nor its hash."""

    prefix: str
    user: str
    created_at: datetime
    revoked_at: datetime | None
    replaced_by: str | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is None:
            return "active"
        return "revoked" if now >= self.revoked_at else "expiring"


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _manages(subject: Subject, tenant: str, username: str) -> bool:
    """A user manages its own keys; a member admin every key of its tenant."""
    if subject.tenant is None or subject.tenant != tenant:
        return False
    return Role.MEMBER_ADMIN in subject.roles or subject.user == username


def _key_event(  # noqa: PLR0917 - the audit record's parts
    session: Session, subject: Subject, owner: str, prefix: str, reason: str, now: datetime
) -> None:
    """Key management in the audit chain, under the key's tenant: a key reads that tenant's
    data as its user, so the tenant sees every key made, rotated or revoked, and every attempt
    on its keys from outside."""
    allowed = not reason.startswith("refused")
    record(session, subject, Action.GRANT, Resource(owner, f"key:{prefix}"),
           Purpose.DATA_MANAGEMENT, Decision(allowed, reason), now)  # fmt: skip


def issue_key_for(
    session: Session, subject: Subject, username: str | None = None, *, now: datetime
) -> tuple[str, str]:
    """A new key (prefix, full key) for the subject itself or, for a member admin, for a user of
    its own tenant; any other user is "not found"."""
    username = username or subject.user
    user = session.scalar(sa.select(UserRow).where(UserRow.username == username))
    if user is None or user.disabled or not _manages(subject, user.tenant_id, user.username):
        owner = user.tenant_id if user is not None else "?"
        _key_event(session, subject, owner, "*", f"refused: a key for {username[:64]}", now)
        raise NotFound("no such user")
    key = _new_key(session, user, now)
    prefix = key.partition(".")[0]
    _key_event(session, subject, user.tenant_id, prefix, f"key issued for {username}", now)
    return prefix, key


def _key_owner(session: Session, prefix: str) -> str:
    """The tenant of a key that row-level security hides from the asker (PostgreSQL), for the
    audit record only; ``?`` when there is no such key."""
    if not PREFIX.fullmatch(prefix) or session.get_bind().dialect.name != "postgresql":
        return "?"
    found = session.scalar(sa.text("SELECT clusterhub_key_owner(:prefix)"), {"prefix": prefix})
    return str(found) if found else "?"


def _managed_key(
    session: Session, subject: Subject, prefix: str, action: str, now: datetime
) -> tuple[ApiKeyRow, UserRow]:
    row = session.get(ApiKeyRow, prefix) if PREFIX.fullmatch(prefix) else None
    user = session.get(UserRow, row.user_id) if row is not None else None
    if row is None or user is None or not _manages(subject, row.tenant_id, user.username):
        owner = row.tenant_id if row is not None else _key_owner(session, prefix)
        _key_event(session, subject, owner, prefix[:32], f"refused: {action}", now)
        raise NotFound("no such key")
    _key_event(session, subject, row.tenant_id, prefix, f"key {action} for {user.username}", now)
    return row, user


def rotate_key(
    session: Session, subject: Subject, prefix: str, *, now: datetime, grace_seconds: int = 0
) -> tuple[str, str]:
    """A new key for the same user, and the old one revoked ``grace_seconds`` from now, in one
    transaction. A key already revoked or replaced is not rotated again (409)."""
    row, user = _managed_key(session, subject, prefix, "rotated", now)
    if row.revoked_at is not None:
        raise Conflict("this key is already revoked or replaced")
    if user.disabled:
        raise NotFound("no such key")
    key = _new_key(session, user, now)
    new_prefix = key.partition(".")[0]
    row.revoked_at = now + timedelta(seconds=grace_seconds)
    row.replaced_by = new_prefix
    return new_prefix, key


def revoke_key_of(session: Session, subject: Subject, prefix: str, *, now: datetime) -> KeyInfo:
    """Revoked from now on (a key in its grace period after a rotation ends now too); revoking
    a revoked key changes nothing."""
    row, user = _managed_key(session, subject, prefix, "revoked", now)
    revoked = _aware(row.revoked_at)
    if revoked is None or revoked > now:
        row.revoked_at = now
    return _info(row, user)


def _info(row: ApiKeyRow, user: UserRow) -> KeyInfo:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return KeyInfo(row.id, user.username, created, _aware(row.revoked_at), row.replaced_by)


def keys_of(session: Session, subject: Subject) -> list[KeyInfo]:
    """The tenant's keys for a member admin; one's own keys for anyone else."""
    query = (
        sa.select(ApiKeyRow, UserRow)
        .join(UserRow, UserRow.id == ApiKeyRow.user_id)
        .where(ApiKeyRow.tenant_id == (subject.tenant or "?"))
        .order_by(ApiKeyRow.created_at, ApiKeyRow.id)
    )
    if Role.MEMBER_ADMIN not in subject.roles:
        query = query.where(UserRow.username == subject.user)
    return [_info(key, user) for key, user in session.execute(query).all()]


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
