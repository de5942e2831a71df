"""The e-mail addresses a tenant accepts data from: the e-mail channel's only notion of who sent
a message.

Why a register kept by each tenant's member admin: SMTP proves nothing about a sender, so the
receiver takes mail only from addresses a member admin vouched for, and each address belongs to
exactly one tenant (the address is the key), which is the identity its messages are judged as.
Registering and removing are management actions: judged by the decision point (``grant`` on the
tenant's own data needs the member-admin role) and written to the audit chain in the same
transaction, as key management is. The receiver looks an address up before any tenant is known,
hence ``tenant_of_sender`` takes no subject.

On PostgreSQL the service role may only read ``ingest_senders`` (migration 0006): register and
remove addresses as the operator (the database owner), not inside ``enter_tenant``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Purpose, Resource, Subject
from clusterhub.errors import Conflict, Forbidden, InputError, NotFound
from clusterhub.service.decision import Refusal, judge
from clusterhub.storage.rows import SenderRow

__all__ = [
    "canonical_address",
    "register_sender",
    "remove_sender",
    "senders_of",
    "tenant_of_sender",
]

#: One ``local@domain`` without spaces, angle brackets or a second ``@``; not RFC 5322 in full,
#: enough to refuse what no mail server would hand over as an envelope sender.
_ADDRESS = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")
MAX_ADDRESS = 254  # RFC 5321's limit on a path, and the column's width


def canonical_address(address: str) -> str:
    """The address as stored and looked up: trimmed, without angle brackets, lower-cased (mail
    systems treat the case of an address as insignificant in practice)."""
    return address.strip().removeprefix("<").removesuffix(">").strip().lower()


def _checked(address: str) -> str:
    canonical = canonical_address(address)
    if len(canonical) > MAX_ADDRESS or not _ADDRESS.fullmatch(canonical):
        raise InputError.single("an e-mail address such as meter@example.com", repr(address[:80]),
                                path="address")  # fmt: skip
    return canonical


def register_sender(
    session: Session, subject: Subject, address: str, *, now: datetime | None = None
) -> str:
    """Accept mail from ``address`` into the subject's tenant (a member admin's action); returns
    the address as stored. Registering an address the tenant already has changes nothing; one
    registered by another tenant is a conflict (an address speaks for one tenant only), refused
    in that tenant's trail."""
    now = now or datetime.now(UTC)
    canonical = _checked(address)
    owner = subject.tenant or "?"
    existing = session.get(SenderRow, canonical)
    clash = (
        Refusal(f"refused: {owner} registering it", existing.tenant_id)
        if existing is not None and existing.tenant_id != subject.tenant
        else None
    )
    decision = judge(session, subject, Action.GRANT, Resource(owner, f"sender:{canonical}"),
                     Purpose.DATA_MANAGEMENT, now, reason="sender registered",
                     refusal=clash)  # fmt: skip
    if not decision.allowed:
        raise Forbidden("registering a sender needs the member-admin role of its tenant")
    if clash is not None:
        raise Conflict(f"{canonical} is already registered as a sender")
    if existing is None:
        session.add(SenderRow(address=canonical, tenant_id=owner, created_at=now))
    return canonical


def remove_sender(
    session: Session, subject: Subject, address: str, *, now: datetime | None = None
) -> None:
    """Stop accepting mail from ``address`` (a member admin's action); another tenant's address
    is "not found", and the attempt is audited under the address's tenant when it has one (it
    learns of attempts on its senders), under the subject's tenant else."""
    now = now or datetime.now(UTC)
    canonical = canonical_address(address)[:MAX_ADDRESS]
    owner = subject.tenant or "?"
    row = session.get(SenderRow, canonical)
    mine = row is not None and row.tenant_id == subject.tenant
    decision = judge(
        session, subject, Action.GRANT, Resource(owner, f"sender:{canonical}"),
        Purpose.DATA_MANAGEMENT, now, owner=row.tenant_id if row is not None else owner,
        reason="sender removed", refusal=None if mine else Refusal("refused: no such sender"),
    )  # fmt: skip
    if row is None or not mine or not decision.allowed:
        raise NotFound("no such sender")
    session.delete(row)


def senders_of(session: Session, subject: Subject) -> list[str]:
    """The addresses the subject's tenant accepts mail from, sorted."""
    if subject.tenant is None:
        raise NotFound("no senders")
    return list(
        session.scalars(
            sa.select(SenderRow.address)
            .where(SenderRow.tenant_id == subject.tenant)
            .order_by(SenderRow.address)
        )
    )


def tenant_of_sender(session: Session, address: str) -> str | None:
    """The tenant that registered ``address``, or None: what the receiver asks of an envelope
    sender before it knows any tenant."""
    canonical = canonical_address(address)
    if not canonical or len(canonical) > MAX_ADDRESS:
        return None
    row = session.get(SenderRow, canonical)
    return row.tenant_id if row is not None else None
