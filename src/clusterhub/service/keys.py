"""A tenant's own API keys: issued, rotated, revoked and listed by their users and its member
admins, every attempt in the audit chain of the key's tenant.

Why rotation revokes the old key in the same transaction that issues the new one (optionally
from a few minutes later on): there is never a moment with two long-lived keys, nor one with
none for a machine still being switched over. A key's user and its tenant's member admins
manage it; to anyone else, including every other tenant, it does not exist. Signing in with a
key is ``identity.subject_from_key``; the operator's own ``identity.issue_key`` and
``revoke_key`` are not a tenant's to call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Decision, Purpose, Resource, Role, Subject
from clusterhub.errors import Conflict, NotFound
from clusterhub.service import identity
from clusterhub.service.decision import record
from clusterhub.storage.rows import ApiKeyRow, UserRow

__all__ = ["PREFIX", "KeyInfo", "issue_key_for", "keys_of", "revoke_key_of", "rotate_key"]


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
    key = identity.new_key(session, user, now)
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
    key = identity.new_key(session, user, now)
    new_prefix = key.partition(".")[0]
    row.revoked_at = now + timedelta(seconds=grace_seconds)
    row.replaced_by = new_prefix
    return new_prefix, key


def revoke_key_of(session: Session, subject: Subject, prefix: str, *, now: datetime) -> KeyInfo:
    """Revoked from now on (a key in its grace period after a rotation ends now too); revoking
    a revoked key changes nothing."""
    row, user = _managed_key(session, subject, prefix, "revoked", now)
    if row.revoked_at is None or row.revoked_at > now:
        row.revoked_at = now
    return _info(row, user)


def _info(row: ApiKeyRow, user: UserRow) -> KeyInfo:
    return KeyInfo(row.id, user.username, row.created_at, row.revoked_at, row.replaced_by)


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
