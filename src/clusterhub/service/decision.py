"""The one decision point and the audit writer: every request for participant data is judged
by ``collab.decide`` here and recorded in the audit chain in the caller's transaction.

Why a module of its own: datasets, grants, senders, runs, ingest and aggregates all judge and
record; they share this door (``judge``, and ``batch`` for many decisions at once) instead of
calling ``decide`` and ``record`` each in their own way, and nothing else calls ``decide``
(a test holds it so). ``record`` alone is for entries no policy decides: a tenant or a user
made, a key issued, a group changed by a cluster operator, a privacy budget charged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import (
    GENESIS,
    Action,
    Decision,
    Form,
    Grant,
    GranteeKind,
    Purpose,
    Resource,
    Subject,
    canonical,
    decide,
    head_mac,
    mac,
    seal,
)
from clusterhub.service import audit_keys, reach
from clusterhub.storage.rows import (
    AuditHeadRow,
    AuditRow,
    GrantRow,
)

__all__ = [
    "Batch",
    "Refusal",
    "batch",
    "grant_from_row",
    "grants_for",
    "is_id",
    "judge",
    "record",
    "record_many",
]


# --- the audit chain -----------------------------------------------------------------------------
def _locked_head(session: Session) -> AuditHeadRow | None:
    """The chain's head, locked until the transaction ends, read fresh from the database.

    Why the no-op update on SQLite: it has no SELECT ... FOR UPDATE, and a transaction there
    starts only at its first write, so two requests could both read the same head and append
    the same position. Writing first takes the database's write lock; the second request waits
    for the first to commit and then reads the head it left."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa.update(AuditHeadRow).where(AuditHeadRow.id == 1).values(count=AuditHeadRow.count)
        )
    return session.execute(
        sa.select(AuditHeadRow)
        .where(AuditHeadRow.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def record(  # noqa: PLR0917 - the decision's parts, in the order they are logged
    session: Session,
    subject: Subject,
    action: Action | str,
    resource: Resource,
    purpose: Purpose | str | None,
    decision: Decision,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one decision to the chain (the head row is locked while doing so). ``action`` is
    the decision point's action or a finer name of the use case (``grant.change``); ``detail``
    (what changed, as JSON) is kept in the entry only when given, so entries without one hash
    exactly as before. The entry and the head carry their MACs under the audit key."""
    key = audit_keys.current()
    head = _locked_head(session)
    if head is None:
        head = AuditHeadRow(id=1, count=0, hash=GENESIS)
        session.add(head)
    payload = canonical(
        {
            "time": now.isoformat(),
            "tenant": subject.tenant,
            "user": subject.user,
            "action": str(action),
            "owner": resource.owner,
            "dataset": resource.dataset,
            "purpose": None if purpose is None else str(purpose),
            "allowed": decision.allowed,
            "reason": decision.reason,
        }
        | ({} if detail is None else {"detail": dict(detail)})
    )
    digest = seal(head.count, payload, head.hash)
    session.add(
        AuditRow(
            position=head.count,
            owner=resource.owner,
            payload=payload,
            previous=head.hash,
            hash=digest,
            mac=mac(key.mac, digest),
            key_id=key.id,
        )
    )
    head.count += 1
    head.hash = digest
    head.mac, head.key_id = head_mac(key.mac, head.count, digest), key.id


def record_many(
    session: Session,
    subject: Subject,
    action: Action,
    purpose: Purpose | str,
    decided: Sequence[tuple[Resource, Decision]],
    *,
    now: datetime,
) -> None:
    """Append many decisions of one subject at once: the head is locked once, the chain is
    computed in memory and the entries are inserted in bulk (the ingest pipeline's batches).
    The chain is exactly the one ``record`` would have written one by one."""
    if not decided:
        return
    key = audit_keys.current()
    head = _locked_head(session)
    if head is None:
        head = AuditHeadRow(id=1, count=0, hash=GENESIS)
        session.add(head)
    count, previous = head.count, head.hash
    rows = []
    for resource, decision in decided:
        payload = canonical(
            {
                "time": now.isoformat(),
                "tenant": subject.tenant,
                "user": subject.user,
                "action": action.value,
                "owner": resource.owner,
                "dataset": resource.dataset,
                "purpose": str(purpose),
                "allowed": decision.allowed,
                "reason": decision.reason,
            }
        )
        digest = seal(count, payload, previous)
        rows.append({"position": count, "owner": resource.owner, "payload": payload,
                     "previous": previous, "hash": digest, "mac": mac(key.mac, digest),
                     "key_id": key.id})  # fmt: skip
        count, previous = count + 1, digest
    session.execute(sa.insert(AuditRow), rows)
    head.count, head.hash = count, previous
    head.mac, head.key_id = head_mac(key.mac, count, previous), key.id


@dataclass(frozen=True)
class Refusal:
    """A use case's own reason to refuse what the policy allows (no such sender, an address
    another tenant registered, a revoked grant): the entry records it instead of the policy's
    allowance, in ``owner``'s trail when given (the one the request was judged under else)."""

    reason: str
    owner: str | None = None


def judge(  # noqa: PLR0917 - the decision point's own argument order
    session: Session,
    subject: Subject,
    action: Action,
    resource: Resource,
    purpose: Purpose | str | None,
    now: datetime,
    *,
    audit_as: str | None = None,
    owner: str | None = None,
    detail: Mapping[str, Any] | None = None,
    reason: str | None = None,
    done: Mapping[str, Any] | None = None,
    refusal: Refusal | None = None,
) -> Decision:
    """The one decision point as the service uses it: the owner's grants on the resource are
    looked up, ``decide`` judges, and the decision is appended to the audit chain in the
    caller's transaction, allowed or not. Every read of participant data goes through here.

    What the entry says beyond the policy's words, for use cases that need it: ``audit_as`` is
    its finer action name (``grant.change``, judged as ``action``), ``owner`` the trail it goes
    into when not the resource's owner's, ``detail`` what was asked (kept as JSON). When the
    policy allows, ``reason`` replaces its words with the use case's (``sender registered``),
    ``done`` (what the use case does) is added to the detail, and a ``refusal`` is recorded
    instead. Returns the policy's decision: a caller that passes a refusal refuses itself."""
    grants = [] if subject.tenant == resource.owner else grants_for(session, resource)
    decision = decide(subject, action, resource, purpose, grants, now=now)
    trail, entry, said = owner or resource.owner, decision, detail
    if decision.allowed and refusal is not None:
        trail, entry = refusal.owner or trail, Decision(False, refusal.reason)
    elif decision.allowed:
        entry = decision if reason is None else replace(decision, reason=reason)
        said = detail if done is None else {**(detail or {}), **done}
    where = resource if trail == resource.owner else replace(resource, owner=trail)
    record(session, subject, audit_as or action, where, purpose, entry, now, said)
    return decision


class Batch:
    """Several decisions of one subject, for one action and purpose, judged one by one as the
    caller goes and appended to the audit chain at once (``record_many``: one lock of the head,
    one insert), when the ``batch`` block ends. The ingest pipeline's batches judge each
    message this way: thousands a second, each with its own entry."""

    def __init__(
        self, session: Session, subject: Subject, action: Action, purpose: Purpose, now: datetime
    ) -> None:
        self._session, self._subject, self._now = session, subject, now
        self._action, self._purpose = action, purpose
        self._grants: dict[tuple[str, str], list[Grant]] = {}
        self.decided: list[tuple[Resource, Decision]] = []

    def judge(self, resource: Resource) -> Decision:
        """``judge`` for one resource, its entry kept until the batch is recorded."""
        subject = self._subject
        if subject.tenant == resource.owner:
            grants: list[Grant] = []
        else:  # looked up once per dataset in the batch
            where = (resource.owner, resource.dataset)
            if where not in self._grants:
                self._grants[where] = grants_for(self._session, resource)
            grants = self._grants[where]
        decision = decide(subject, self._action, resource, self._purpose, grants, now=self._now)
        self.decided.append((resource, decision))
        return decision


@contextmanager
def batch(
    session: Session, subject: Subject, action: Action, purpose: Purpose, now: datetime
) -> Iterator[Batch]:
    """A ``Batch`` whose decisions are recorded when the block ends, also when it raises (every
    decision made is kept, allowed or not; the caller's transaction decides the rest)."""
    judged = Batch(session, subject, action, purpose, now)
    try:
        yield judged
    finally:
        record_many(session, subject, action, purpose, judged.decided, now=now)


def grants_for(session: Session, resource: Resource) -> list[Grant]:
    if not is_id(resource.dataset):
        return []
    rows = session.scalars(
        sa.select(GrantRow).where(
            GrantRow.tenant_id == resource.owner, GrantRow.dataset_id == resource.dataset
        )
    )
    found = list(rows)
    named = reach.members_of(
        session, [r.id for r in found if r.grantee_kind == GranteeKind.GROUP.value]
    )
    return [grant_from_row(row, named.get(row.id)) for row in found]


def grant_from_row(row: GrantRow, members: frozenset[str] | None = None) -> Grant:
    """The decision point's grant; ``members``: the tenants a group grant names and reaches."""
    return Grant(
        id=row.id,
        owner=row.tenant_id,
        dataset=row.dataset_id,
        grantee_kind=GranteeKind(row.grantee_kind),
        grantee=row.grantee,
        purpose=Purpose(row.purpose),
        form=Form(row.form),
        fields=frozenset(json.loads(row.fields)) if row.fields else None,
        start=row.starts,
        end=row.ends,
        expires=row.expires_at,
        revoked=row.revoked_at,
        members=members,
    )


def is_id(value: str) -> bool:
    """Ids are UUIDs; anything else (an injection string, a NUL byte) never reaches a query."""
    try:
        return str(uuid.UUID(value)) == value
    except (ValueError, TypeError, AttributeError):
        return False
