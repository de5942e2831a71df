"""The stored audit chain: verified against its MACs and exported heads, and its head signed.

Why the head is checked before it is signed: a signed head is what members keep as proof, so
the service signs only a head whose MAC holds under its own key; a head rewritten in the
database by someone without the key is refused, never vouched for.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import (
    ALGORITHM,
    GENESIS,
    Entry,
    Head,
    SignedHead,
    Verification,
    head_mac,
    sign_head,
    verify,
)
from clusterhub.errors import Conflict
from clusterhub.service.audit_keys import AuditKey
from clusterhub.storage.rows import AuditHeadRow, AuditRow

__all__ = ["public_key", "signed_head", "verify_stored"]


def verify_stored(
    session: Session, key: AuditKey, *, exported: Sequence[tuple[int, str]] = ()
) -> Verification:
    """Every entry's hash, link and MAC under ``key``, the head (its MAC too), and every
    exported head (index and hash, signatures already checked) still in the chain."""
    head = session.get(AuditHeadRow, 1)
    rows = session.execute(
        sa.select(
            AuditRow.position, AuditRow.payload, AuditRow.previous, AuditRow.hash,
            AuditRow.mac, AuditRow.key_id,
        ).order_by(AuditRow.position)
    )  # fmt: skip
    entries = (Entry(*row) for row in rows)
    recorded = Head(head.count, head.hash, head.mac, head.key_id) if head else Head(0, GENESIS)
    return verify(entries, recorded, keys={key.id: key.mac}, exported=exported)


def signed_head(session: Session, key: AuditKey, now: datetime) -> SignedHead:
    """The current head, signed, once its MAC is found to hold (an empty chain: index -1)."""
    head = session.get(AuditHeadRow, 1)
    if head is None or head.count == 0:
        return sign_head(key.signing, 0, GENESIS, now)
    if (
        head.key_id != key.id
        or head.mac is None
        or not hmac.compare_digest(head_mac(key.mac, head.count, head.hash), head.mac)
    ):
        raise Conflict(
            "the audit head does not carry a valid MAC under the service's audit key: it was "
            "rewritten or written before the chain was keyed; run `clusterhub audit verify`"
        )
    return sign_head(key.signing, head.count, head.hash, now)


def public_key(key: AuditKey) -> dict[str, Any]:
    """What a member keeps to check signed heads later."""
    return {"key_id": key.id, "algorithm": ALGORITHM,
            "public_key": base64.b64encode(key.public).decode()}  # fmt: skip
