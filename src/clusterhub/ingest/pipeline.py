"""One pipeline for every channel: judge the write, check the message whole, write it atomically
with its receipt and audit record, exactly once per idempotency key.

Why one pipeline: a spreadsheet mailed once a month and an MQTT stream from a plant historian
must land in the same governed datasets under the same rules; only how the message arrives and
how its sender is authenticated differ, and that is the channel's job. The channel hands over
the sender (a tenant identity), the target (a tenant and a dataset name), the bytes and their
media type; the pipeline returns the receipt. The caller commits: a receipt, the version it
made, its audit record and its idempotency key are in one transaction, so a crash before the
commit leaves nothing and the message, redelivered, is processed once.

Idempotency: the key is the sender's (an ``Idempotency-Key`` header, an MQTT message's ``id``,
an e-mail's Message-ID with the attachment's name) or, without one, the SHA-256 of the target
and the payload: the same file uploaded ten times is stored once. Only an accepted message
makes a key; a rejected one is kept as a dead letter and can be sent again or replayed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Purpose, Resource, Subject
from clusterhub.errors import InputError, NotFound
from clusterhub.ingest.parse import parse
from clusterhub.service.data import check_rows
from clusterhub.service.decision import batch, judge
from clusterhub.service.streams import Writer, Written, check_message
from clusterhub.storage.rows import (
    DatasetRow,
    DeadLetterRow,
    IngestKeyRow,
    ReceiptRow,
)
from clusterhub.storage.types import utc

__all__ = [
    "CHANNELS",
    "Message",
    "Receipt",
    "dead_letters",
    "receipts",
    "replay",
    "submit",
    "submit_many",
]

CHANNELS = ("file", "email", "rest", "mqtt")
Status = Literal["accepted", "rejected", "duplicate"]


@dataclass(frozen=True)
class Message:
    """What a channel received: who sent it, where it goes, and its bytes."""

    channel: str
    target: str  # the tenant whose dataset it goes into
    dataset: str  # the dataset's name
    payload: bytes
    media_type: str
    sender: str = ""  # the user, address or client id, as the channel knows it
    idempotency_key: str | None = None
    filename: str | None = None

    def key(self) -> str:
        if self.idempotency_key:
            return self.idempotency_key[:128]
        digest = hashlib.sha256(f"{self.target}/{self.dataset}\n".encode() + self.payload)
        return "sha256:" + digest.hexdigest()


@dataclass(frozen=True)
class Receipt:
    id: str
    status: Status
    channel: str
    target: str
    dataset: str
    idempotency_key: str
    received_at: datetime
    version: int | None = None
    rows: int = 0  # the rows the message brought (added, or replacing others under upsert)
    problems: list[dict[str, Any]] = field(default_factory=list)
    original: str | None = None  # for a duplicate: the receipt of the accepted message
    dataset_rows: int | None = None  # accepted: the dataset's row count in the new version

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "channel": self.channel,
            "target": self.target,
            "dataset": self.dataset,
            "idempotency_key": self.idempotency_key,
            "received_at": self.received_at.isoformat(),
            "version": self.version,
            "rows": self.rows,
            "problems": self.problems,
            "original": self.original,
            "dataset_rows": self.dataset_rows,
        }


def _problems(error: InputError) -> list[dict[str, Any]]:
    return [
        {"where": p.path, "expected": p.expected, "found": p.found} for p in error.problems[:100]
    ]


def _receipt(row: ReceiptRow) -> Receipt:
    return Receipt(
        id=row.id, status=row.status, channel=row.channel, target=row.target,  # type: ignore[arg-type]
        dataset=row.dataset, idempotency_key=row.idempotency_key, received_at=utc(row.received_at),
        version=row.version, rows=row.rows, problems=json.loads(row.problems),
        original=row.original, dataset_rows=row.dataset_rows,
    )  # fmt: skip


def _checked(message: Message, dataset: DatasetRow | None) -> list[dict[str, Any]]:
    """The message's rows, parsed and checked against the dataset it may be written into (None:
    missing, or one the sender may not write); ``InputError`` says why they are refused."""
    if dataset is None:  # the same words whether the dataset is missing or another tenant's
        raise InputError.single(
            f"a dataset of yours named {message.dataset!r}",
            f"none you may write in {message.target!r}",
            path="dataset",
        )
    rows = parse(message.payload, message.media_type, json.loads(dataset.columns))
    check_rows(json.loads(dataset.columns), rows)
    check_message(dataset, rows)
    return rows


def _rejected(
    session: Session,
    tenant: str,
    message: Message,
    base: dict[str, Any],
    error: InputError,
    *,
    dead_letter: bool = True,
) -> Receipt:
    """The rejected message's receipt and (unless ``dead_letter`` is False: a replay that fails
    again keeps its first one) its dead letter, with the first reasons."""
    problems = _problems(error)
    row = ReceiptRow(**base, status="rejected", problems=json.dumps(problems), rows=0)
    session.add(row)
    if not dead_letter:
        return _receipt(row)
    session.add(
        DeadLetterRow(
            id=str(uuid.uuid4()), tenant_id=tenant, receipt_id=base["id"],
            channel=message.channel, target=message.target[:64],
            dataset=message.dataset[:128], media_type=message.media_type[:128],
            filename=(message.filename or None) and message.filename[:256],
            idempotency_key=message.idempotency_key, payload=message.payload,
            reason="; ".join(f"{p['where']}: expected {p['expected']}, got {p['found']}"
                             for p in problems[:5]),
            received_at=base["received_at"],
        )
    )  # fmt: skip
    return _receipt(row)


def submit(
    session: Session,
    subject: Subject,
    message: Message,
    *,
    now: datetime | None = None,
    dead_letter: bool = True,
    known_new: bool = False,
) -> Receipt:
    """Process one message from ``subject`` (an authenticated tenant identity); the caller
    commits. Never raises for the message's content: the receipt says what happened."""
    now = now or datetime.now(UTC)
    if subject.tenant is None or message.channel not in CHANNELS:
        raise NotFound("no such tenant")
    key = message.key()
    receipt_id = str(uuid.uuid4())
    seen = (
        session.get(IngestKeyRow, (message.target, key))
        if message.target == subject.tenant and not known_new
        else None
    )
    base = {
        "id": receipt_id, "tenant_id": subject.tenant, "target": message.target[:64],
        "dataset": message.dataset[:128], "channel": message.channel, "idempotency_key": key,
        "sender": (message.sender or subject.user)[:256], "received_at": now,
    }  # fmt: skip
    if seen is not None:
        session.add(ReceiptRow(**base, status="duplicate", original=seen.receipt_id))
        return _receipt(ReceiptRow(**base, status="duplicate", original=seen.receipt_id,
                                   problems="[]", rows=0))  # fmt: skip
    dataset = session.scalar(
        sa.select(DatasetRow).where(
            DatasetRow.tenant_id == message.target, DatasetRow.name == message.dataset
        )
    )
    resource = Resource(message.target, dataset.id if dataset else f"name:{message.dataset}")
    decision = judge(session, subject, Action.WRITE, resource, Purpose.DATA_MANAGEMENT, now)
    written: Written | None = None
    rows: list[dict[str, Any]] = []
    try:
        rows = _checked(message, dataset if decision.allowed else None)
        assert dataset is not None  # allowed, and found: ``_checked`` raised otherwise
        with session.begin_nested():
            writer = Writer(session, subject.user, now)
            written = writer.add(dataset, rows)
            writer.flush()
            session.add(IngestKeyRow(tenant_id=message.target, key=key, receipt_id=receipt_id))
    except InputError as error:
        return _rejected(session, subject.tenant, message, base, error, dead_letter=dead_letter)
    assert written is not None  # accepted: the try wrote it
    row = ReceiptRow(**base, status="accepted", version=written.version, rows=len(rows),
                     dataset_rows=written.row_count, problems="[]")  # fmt: skip
    session.add(row)
    return _receipt(row)


def submit_many(
    session: Session,
    subject: Subject,
    messages: Sequence[Message],
    *,
    now: datetime | None = None,
) -> list[Receipt]:
    """``submit`` for a batch of one sender's messages in one transaction, the same receipts in
    the same order, written in bulk: one lookup of the batch's keys, datasets and latest
    versions, one lock of the audit head for all the batch's decisions, one insert per table.

    Why: an MQTT historian sends thousands of small messages a second; one by one, the ORM's
    per-message statements cap the channel at about 500 a second. Each message is judged
    (``decision.batch``: its own entry, all appended at once), a rejected one kept as a dead
    letter; messages into another tenant's dataset or one not found take the one-by-one path
    (they are rare)."""
    now = now or datetime.now(UTC)
    tenant = subject.tenant
    if tenant is None:
        raise NotFound("no such tenant")
    out: list[Receipt | None] = [None] * len(messages)
    own = [i for i, m in enumerate(messages) if m.target == tenant and m.channel in CHANNELS]
    keys = {i: messages[i].key() for i in own}
    seen: dict[str, str] = {
        row.key: row.receipt_id
        for row in session.scalars(
            sa.select(IngestKeyRow).where(
                IngestKeyRow.tenant_id == tenant, IngestKeyRow.key.in_(set(keys.values()))
            )
        )
    } if own else {}  # fmt: skip
    names = {messages[i].dataset for i in own}
    datasets = {
        row.name: row
        for row in session.scalars(
            sa.select(DatasetRow).where(DatasetRow.tenant_id == tenant, DatasetRow.name.in_(names))
        )
    } if own else {}  # fmt: skip
    writer = Writer(session, subject.user, now)
    writer.prime(list(datasets.values()))
    new_keys, made = [], []
    slow: list[int] = []
    with batch(session, subject, Action.WRITE, Purpose.DATA_MANAGEMENT, now) as judged:
        for i in own:
            message, key = messages[i], keys[i]
            base = {
                "id": str(uuid.uuid4()), "tenant_id": tenant, "target": tenant,
                "dataset": message.dataset[:128], "channel": message.channel,
                "idempotency_key": key, "sender": (message.sender or subject.user)[:256],
                "received_at": now,
            }  # fmt: skip
            if key in seen:
                made.append(base | {"status": "duplicate", "rows": 0, "original": seen[key],
                                    "version": None, "dataset_rows": None,
                                    "problems": "[]"})  # fmt: skip
                out[i] = _receipt(ReceiptRow(**made[-1]))
                continue
            dataset = datasets.get(message.dataset)
            if dataset is None:  # judged by ``submit``, under the name it was sent to
                slow.append(i)
                continue
            decision = judged.judge(Resource(tenant, dataset.id))
            try:
                rows = _checked(message, dataset if decision.allowed else None)
            except InputError as error:  # rejected: judged, refused, kept as a dead letter
                out[i] = _rejected(session, tenant, message, base, error)
                continue
            written = writer.add(dataset, rows)
            new_keys.append({"tenant_id": tenant, "key": key, "receipt_id": base["id"]})
            seen[key] = str(base["id"])
            made.append(base | {"status": "accepted", "rows": len(rows), "problems": "[]",
                                "version": written.version, "original": None,
                                "dataset_rows": written.row_count})  # fmt: skip
            out[i] = _receipt(ReceiptRow(**made[-1]))
    writer.flush()
    for table, values in ((IngestKeyRow, new_keys), (ReceiptRow, made)):
        if values:
            session.execute(sa.insert(table), values)
    # into a dataset not found; a key accepted later in the batch must not make them duplicates
    for i in slow:
        out[i] = submit(session, subject, messages[i], now=now, known_new=True)
    for i in (i for i in range(len(messages)) if i not in keys):
        out[i] = submit(session, subject, messages[i], now=now)
    return [r for r in out if r is not None]


def receipts(session: Session, subject: Subject, *, limit: int = 200) -> list[Receipt]:
    """The latest receipts of messages the subject's tenant sent or that targeted it."""
    if subject.tenant is None:
        raise NotFound("no receipts")
    rows = session.scalars(
        sa.select(ReceiptRow)
        .where(sa.or_(ReceiptRow.tenant_id == subject.tenant, ReceiptRow.target == subject.tenant))
        .order_by(ReceiptRow.received_at.desc(), ReceiptRow.id)
        .limit(limit)
    )
    return [_receipt(r) for r in rows]


def dead_letters(session: Session, subject: Subject) -> list[dict[str, Any]]:
    """The subject's tenant's rejected messages not yet replayed, with their reasons."""
    if subject.tenant is None:
        raise NotFound("no dead letters")
    rows = session.scalars(
        sa.select(DeadLetterRow)
        .where(DeadLetterRow.tenant_id == subject.tenant, DeadLetterRow.replayed_at.is_(None))
        .order_by(DeadLetterRow.received_at, DeadLetterRow.id)
    )
    return [
        {"id": r.id, "receipt": r.receipt_id, "channel": r.channel, "target": r.target,
         "dataset": r.dataset, "filename": r.filename, "bytes": len(r.payload),
         "reason": r.reason, "received_at": r.received_at.isoformat()}
        for r in rows
    ]  # fmt: skip


def replay(
    session: Session, subject: Subject, dead_letter: str, *, now: datetime | None = None
) -> Receipt:
    """Submit a dead letter again (after the dataset or its columns were fixed); once accepted
    it leaves the dead letters."""
    row = session.get(DeadLetterRow, dead_letter) if len(dead_letter) <= 36 else None
    if row is None or row.tenant_id != subject.tenant or row.replayed_at is not None:
        raise NotFound("no such dead letter")
    receipt = submit(
        session, subject,
        Message(channel=row.channel, target=row.target, dataset=row.dataset, payload=row.payload,
                media_type=row.media_type, sender=subject.user,
                idempotency_key=row.idempotency_key, filename=row.filename),
        now=now, dead_letter=False,
    )  # fmt: skip
    if receipt.status != "rejected":
        row.replayed_at = now or datetime.now(UTC)
        row.replay_receipt = receipt.id
    return receipt
