"""One e-mail delivered: its named attachments, each one message to the pipeline, submitted in
one transaction for the tenant that registered the sender; the SMTP answer that says so, and
the receipt mailed back. The receiver (``mail``) calls ``deliver`` once an e-mail is whole;
the module docstring of ``mail`` gives every answer and why.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import PureWindowsPath

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.collab import Action, Purpose, Resource, Role, Subject
from clusterhub.ingest.mailauth import Authenticator
from clusterhub.ingest.parse import media_type_of
from clusterhub.ingest.pipeline import Message, Receipt, submit
from clusterhub.ingest.senders import canonical_address, tenant_of_sender
from clusterhub.service.decision import judge
from clusterhub.service.identity import enter_tenant
from clusterhub.storage.rows import TenantRow

__all__ = [
    "Attachment",
    "Reply",
    "attachments_of",
    "deliver",
    "ingest_key",
    "receipt_mail",
    "send_receipt",
    "tenant_exists",
    "tenant_of_address",
]

log = logging.getLogger("clusterhub.ingest.mail")  # one logger for the channel

RECEIPTS_FROM = "receipts"  # the local part receipts are mailed from
_ATTEMPTS = 3  # a concurrent redelivery can collide on the idempotency key once; retry it
_SHOWN_PROBLEMS = 5  # per attachment in the SMTP reply; the receipt e-mail lists them all


@dataclass(frozen=True)
class Attachment:
    """One named attachment: what becomes one message to the pipeline."""

    filename: str
    declared: str  # the content type the mail declared
    payload: bytes

    @property
    def dataset(self) -> str:
        return PureWindowsPath(self.filename).stem  # "meter.csv" -> "meter"

    @property
    def media_type(self) -> str | None:
        """CSV, Excel or JSON by declared type or suffix; None for anything else."""
        return media_type_of(self.filename, self.declared)


@dataclass(frozen=True)
class Reply:
    """The SMTP answer to one e-mail, with the receipts it stored (in attachment order)."""

    code: int
    lines: tuple[str, ...]
    receipts: tuple[tuple[str, Receipt], ...] = ()  # (file name, receipt)

    def smtp(self) -> str:
        """Multi-line reply (``250-...`` then ``250 ...``), ASCII, each line within RFC 5321's
        512 characters."""
        safe = [
            line.replace("\r", " ").replace("\n", " ").encode("ascii", "replace").decode()[:480]
            for line in self.lines
        ] or ["OK"]
        return "\r\n".join(
            f"{self.code}{' ' if k == len(safe) - 1 else '-'}{line}" for k, line in enumerate(safe)
        )


def attachments_of(mail: EmailMessage) -> list[Attachment]:
    """The named attachments of an e-mail (a part without a file name is body, not data)."""
    parts = list(mail.iter_attachments()) if mail.is_multipart() else [mail]
    found: list[Attachment] = []
    for part in parts:
        name = part.get_filename()
        if not name or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        filename = PureWindowsPath(name.replace("\r", "").replace("\n", "")).name[:256]
        found.append(
            Attachment(
                filename, part.get_content_type(), payload if isinstance(payload, bytes) else b""
            )
        )
    return found


def ingest_key(message_id: str | None, filename: str) -> str | None:
    """``<Message-ID>/<file name>``, hashed when longer than the pipeline keeps (128)."""
    if not message_id or not message_id.strip():
        return None
    key = f"{message_id.strip()}/{filename}"
    return key if len(key) <= 128 else "mail:" + hashlib.sha256(key.encode()).hexdigest()


def tenant_of_address(address: str, domain: str) -> str | None:
    """The tenant part of ``<tenant>@<domain>``, or None for any other domain."""
    local, at, host = canonical_address(address).rpartition("@")
    return local if at and local and host == domain.lower() else None


def tenant_exists(session: Session, tenant: str) -> bool:
    return session.get(TenantRow, tenant) is not None


def _subject(session: Session, sender: str) -> Subject | None:
    """The sender as its tenant's identity: an analyst's rights, named by its address."""
    tenant = tenant_of_sender(session, sender)
    row = session.get(TenantRow, tenant) if tenant is not None else None
    if row is None:
        return None
    groups = frozenset(g for g in row.groups.split(",") if g)
    return Subject(row.id, canonical_address(sender), frozenset({Role.ANALYST}), groups)


def _line(filename: str, receipt: Receipt) -> str:
    line = f"{filename} -> {receipt.target}/{receipt.dataset}: {receipt.status}"
    if receipt.version is not None:
        line += f", version {receipt.version} ({receipt.rows} rows)"
    if receipt.original:
        line += f", same as receipt {receipt.original}"
    return f"{line}, receipt {receipt.id}"


def _problem(problem: dict[str, object]) -> str:
    return f"  {problem['where']}: expected {problem['expected']}, got {problem['found']}"


def _stored(
    sessions: sessionmaker[Session],
    sender: str,
    *,
    targets: Sequence[str],
    mail: EmailMessage,
    found: Sequence[Attachment],
    now: datetime,
    domain: str,
) -> Reply:
    """One transaction: every (target, attachment) submitted, committed before answering."""
    with sessions() as session, session.begin():
        subject = _subject(session, sender)
        if subject is None:
            log.warning("e-mail refused: %s is no registered sender", sender)
            return Reply(550, ("5.7.1 sender not registered for ingest",))
        enter_tenant(session, subject)
        foreign = sorted({t for t in targets if t != subject.tenant})
        for tenant in foreign:  # judged and audited under that tenant; committed with the 550
            address = f"{tenant}@{domain}"
            judge(session, subject, Action.WRITE, Resource(tenant, f"email:{address}"),
                  Purpose.DATA_MANAGEMENT, now)  # fmt: skip
        if foreign:
            log.warning("e-mail refused: %s (of %s) wrote to %s", sender, subject.tenant, foreign)
            return Reply(550, (f"5.7.1 {', '.join(f'{t}@{domain}' for t in foreign)}: another "
                               f"tenant's ingest address; {sender} sends for {subject.tenant} "
                               "only, nothing stored",))  # fmt: skip
        done: list[tuple[str, Receipt]] = []
        for target in targets:
            for item in found:
                media = item.media_type
                message = Message(
                    channel="email", target=target, dataset=item.dataset, payload=item.payload,
                    media_type=media or item.declared, sender=subject.user,
                    idempotency_key=ingest_key(mail["Message-ID"], item.filename),
                    filename=item.filename,
                )  # fmt: skip
                receipt = submit(session, subject, message, now=now, dead_letter=media is not None)
                done.append((item.filename, receipt))
    lines = ["2.0.0 stored, receipts follow"]
    for filename, receipt in done:
        lines.append(_line(filename, receipt))
        lines.extend(_problem(p) for p in receipt.problems[:_SHOWN_PROBLEMS])
    return Reply(250, tuple(lines), tuple(done))


def deliver(
    sessions: sessionmaker[Session],
    sender: str,
    recipients: Sequence[str],
    content: bytes,
    *,
    domain: str,
    auth: Authenticator,
    now: datetime | None = None,
) -> Reply:
    """What the receiver does with one e-mail once it is whole: the SMTP answer, with every
    receipt stored and committed when the answer is 250. Blocking (database work, and DNS for
    DKIM keys)."""
    targets = [t for t in (tenant_of_address(r, domain) for r in recipients) if t]
    try:
        mail = message_from_bytes(content, policy=policy.default)
        found = attachments_of(mail) if isinstance(mail, EmailMessage) else []
    except (ValueError, LookupError, TypeError, AttributeError):  # headers beyond repair
        log.warning("unreadable e-mail from %s", sender, exc_info=True)
        return Reply(554, ("5.6.0 unreadable message",))
    if isinstance(mail, EmailMessage) and (why := auth.refusal(sender, content, mail)):
        log.warning("e-mail from %s refused: %s", sender, why)
        return Reply(550, (why,))
    if not found:
        return Reply(554, ("5.6.0 no attachment: send a .csv, .xlsx or .json file",))
    for attempt in range(_ATTEMPTS):
        try:
            return _stored(
                sessions, sender, targets=targets, mail=mail, found=found,
                now=now or datetime.now(UTC), domain=domain,
            )  # fmt: skip
        except sa.exc.IntegrityError:  # a concurrent delivery of the same e-mail won the key
            log.info("e-mail from %s collided with a concurrent delivery (%d)", sender, attempt)
        except sa.exc.SQLAlchemyError:
            log.exception("e-mail from %s not stored", sender)
            break
    return Reply(451, ("4.3.0 not stored, try again later",))


def receipt_mail(
    sender: str, reply: Reply, *, domain: str, in_reply_to: str | None
) -> EmailMessage:
    """The receipt e-mail: each attachment's status, version and every problem located."""
    mail = EmailMessage()
    mail["From"] = f"{RECEIPTS_FROM}@{domain}"
    mail["To"] = sender
    counts = {s: sum(r.status == s for _, r in reply.receipts) for s in ("accepted", "rejected")}
    mail["Subject"] = (
        f"clusterhub receipt: {counts['accepted']} accepted, {counts['rejected']} rejected"
    )
    mail["Message-ID"] = make_msgid(domain=domain)
    mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: no mail system answers this one
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    lines: list[str] = []
    for filename, receipt in reply.receipts:
        lines.append(_line(filename, receipt))
        lines.extend(_problem(p) for p in receipt.problems)
    mail.set_content("\n".join(lines) + "\n")
    return mail


def send_receipt(relay: tuple[str, int], mail: EmailMessage) -> None:
    """Hand the receipt to the relay; a failure is logged, never raised: the data is stored."""
    try:
        with smtplib.SMTP(relay[0], relay[1], timeout=10) as client:
            client.send_message(mail, from_addr="")
    except (OSError, smtplib.SMTPException):
        log.exception("receipt to %s not sent", mail["To"])
