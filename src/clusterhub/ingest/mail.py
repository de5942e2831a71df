"""The e-mail channel: an SMTP receiver (aiosmtpd) that takes spreadsheets mailed to a tenant's
ingest address from its registered senders and answers with a receipt.

Addresses: ``<tenant>@<domain>`` is the tenant's ingest address (``acme@ingest.example``); each
attachment is one message to the pipeline, its dataset named by the file's stem (``meter.csv``
goes into ``meter``). Who is writing is the tenant that registered the envelope sender
(``senders``), once ``mailauth`` has found the From header to be that address and authentic.

The SMTP conversation, and why:

- ``MAIL FROM`` an address no tenant registered: 550, nothing stored, logged. No receipt is
  mailed to it either: answering strangers would make the service a backscatter source.
- ``RCPT TO`` anything but an existing tenant's ingest address: 550.
- at DATA, a From header that is not the envelope sender, or not authenticated (DKIM, or a
  trusted relay's Authentication-Results: ``mailauth``): 550 5.7.x naming why, nothing stored.
- a recipient that is another tenant's ingest address (a sender of beta mailing
  ``acme@...``): 550 5.7.1 for the whole message, nothing stored, and the refused write audited
  under that tenant (acme), as every write into another tenant's data is.
- more than ``max_bytes``: 552 (aiosmtpd's ``SIZE`` and data limit, checked again here).
- no named attachment at all: 554, nothing stored (there is nothing a receipt could be about).
- every named attachment gets a receipt; one that is not CSV, Excel or JSON is rejected by the
  pipeline like any bad content, but kept as no dead letter (it could never be replayed).
- the transaction holding every receipt, version and audit record is committed *before* the
  250, so a 250 means stored; its text lists each receipt. A database failure answers 451, and
  the sending server's retry is safe: nothing was committed.
- exactly once: an attachment's idempotency key is ``<Message-ID>/<file name>``, so the same
  e-mail delivered three times stores one version and two duplicate receipts (without a
  Message-ID the pipeline's content hash does the same).
- with ``relay=(host, port)`` a plain-text receipt is mailed back to the sender (envelope sender
  ``<>``, as automatic replies must be, so they never loop) before the 250 is sent.

This module is the receiver (aiosmtpd's hooks); what one whole e-mail delivers is ``delivery``.
"""

from __future__ import annotations

import asyncio
import logging
from email import message_from_bytes, policy

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy.orm import sessionmaker

from clusterhub.ingest.delivery import (
    Attachment,
    Reply,
    deliver,
    receipt_mail,
    send_receipt,
    tenant_exists,
    tenant_of_address,
)
from clusterhub.ingest.mailauth import Authenticator
from clusterhub.ingest.senders import tenant_of_sender
from clusterhub.storage import make_engine

__all__ = ["Attachment", "IngestHandler", "Reply", "deliver", "start_receiver"]

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 10


class IngestHandler:
    """aiosmtpd hooks: cheap refusals at MAIL and RCPT, the pipeline at DATA. Database work runs
    in a worker thread so that one slow e-mail does not stall the others."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        domain: str,
        max_bytes: int,
        relay: tuple[str, int] | None = None,
        auth: Authenticator | None = None,
    ) -> None:
        self.engine = engine
        self.auth = auth or Authenticator()
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.domain = domain.lower()
        self.max_bytes = max_bytes
        self.relay = relay

    def _lookup_sender(self, address: str) -> bool:
        with self.sessions() as session, session.begin():
            return tenant_of_sender(session, address) is not None

    def _lookup_tenant(self, tenant: str) -> bool:
        with self.sessions() as session, session.begin():
            return tenant_exists(session, tenant)

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        try:
            known = bool(address) and await asyncio.to_thread(self._lookup_sender, address)
        except sa.exc.SQLAlchemyError:
            log.exception("sender lookup failed")
            return "451 4.3.0 try again later"
        if not known:
            log.warning("e-mail refused: %r is no registered sender", address)
            return "550 5.7.1 sender not registered for ingest"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        tenant = tenant_of_address(address, self.domain)
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 too many recipients"
        try:
            known = tenant is not None and await asyncio.to_thread(self._lookup_tenant, tenant)
        except sa.exc.SQLAlchemyError:
            log.exception("tenant lookup failed")
            return "451 4.3.0 try again later"
        if not known:
            return "550 5.1.1 no such ingest address"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        if len(content) > self.max_bytes:
            return "552 5.3.4 message too big"
        sender = envelope.mail_from or ""
        reply = await asyncio.to_thread(
            deliver, self.sessions, sender, list(envelope.rcpt_tos), content,
            domain=self.domain, auth=self.auth,
        )  # fmt: skip
        if reply.code == 250 and self.relay is not None:
            original = message_from_bytes(content, policy=policy.default)["Message-ID"]
            mail = receipt_mail(sender, reply, domain=self.domain, in_reply_to=original)
            await asyncio.to_thread(send_receipt, self.relay, mail)
        return reply.smtp()


class Receiver(Controller):
    """The running receiver; stopping it also closes its database connections."""

    handler: IngestHandler

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self.handler.engine.dispose()


def start_receiver(
    url: str,
    host: str,
    port: int,
    *,
    domain: str,
    max_bytes: int,
    relay: tuple[str, int] | None = None,
    auth: Authenticator | None = None,
) -> Controller:
    """Listen on ``host:port`` (in a thread of its own) for mail to ``<tenant>@<domain>``,
    storing into the database at ``url``; ``stop()`` the returned controller to end it.
    ``auth``: how senders are authenticated, by default DKIM with keys from DNS."""
    handler = IngestHandler(make_engine(url), domain=domain, max_bytes=max_bytes, relay=relay,
                            auth=auth)  # fmt: skip
    if handler.auth.mode == "none":
        log.warning("e-mail senders are NOT authenticated (mode none): tests and trials only")
    receiver = Receiver(
        handler, hostname=host, port=port, data_size_limit=max_bytes, server_hostname=domain
    )
    receiver.start()
    return receiver
