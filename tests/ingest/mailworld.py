"""The e-mail tests' world: acme and beta with a ``meter`` dataset each and a registered sender
each, a receiver for ``<tenant>@ingest.example`` that authenticates by DKIM against a pinned key
table, and a relay that collects the receipt e-mails."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import cast

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from dkimkeys import key_table, sign
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.ingest.mail import start_receiver
from clusterhub.ingest.mailauth import Authenticator
from clusterhub.ingest.senders import register_sender
from clusterhub.service.data import create_dataset
from clusterhub.service.identity import add_tenant, enter_tenant
from clusterhub.storage import make_engine
from clusterhub.storage.rows import DatasetVersionRow

DOMAIN = "ingest.example"
MAX_BYTES = 64_000
ACME_SENDER, BETA_SENDER = "meter@acme.example", "ops@beta.example"
GOOD_CSV = b"time,mw\n2026-01-01T00:00,1.5\n2026-01-01T01:00,2.0\n"
BAD_CSV = b"time,mw\n2026-01-01T00:00,1.5\n2026-01-01T01:00,lots\n"


def admin(tenant: str) -> Subject:
    return Subject(tenant, f"{tenant}-admin", frozenset({Role.MEMBER_ADMIN}))


class Collector:
    """The relay: keeps every e-mail handed to it."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def mails(self) -> list[EmailMessage]:
        return [
            cast(EmailMessage, message_from_bytes(e.original_content or b"", policy=policy.default))
            for e in self.envelopes
        ]


@dataclass
class World:
    engine: sa.Engine
    port: int
    relay: Collector
    controllers: list[Controller] = field(default_factory=list)

    def session(self, tenant: str) -> Session:
        """A session whose transaction sees what ``tenant`` may see (RLS on PostgreSQL)."""
        session = Session(self.engine)
        session.begin()
        enter_tenant(session, admin(tenant))
        return session

    def versions(self, tenant: str) -> int:
        with self.session(tenant) as s:
            return s.scalar(sa.select(sa.func.count()).select_from(DatasetVersionRow)) or 0


@contextmanager
def make_world(
    url: str, free_port: Callable[[], int], auth: Authenticator | None = None
) -> Iterator[World]:
    """``free_port``: the suite's fixture, ports of this xdist worker's own block."""
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        add_tenant(s, "acme", "Acme")
        add_tenant(s, "beta", "Beta")
    for tenant in ("acme", "beta"):
        with Session(engine) as s, s.begin():
            enter_tenant(s, admin(tenant))
            create_dataset(
                s, admin(tenant), "meter", "timeseries", {"time": "time", "mw": "number"}
            )
    with Session(engine) as s, s.begin():  # as the operator: the service role only reads senders
        register_sender(s, admin("acme"), ACME_SENDER)
        register_sender(s, admin("beta"), BETA_SENDER.upper())
    relay = Collector()
    relay_controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    relay_controller.start()
    port = free_port()
    auth = auth or Authenticator("dkim", keys=key_table("acme.example", "beta.example"))
    receiver = start_receiver(
        url, "127.0.0.1", port, domain=DOMAIN, max_bytes=MAX_BYTES,
        relay=("127.0.0.1", relay_controller.port), auth=auth,
    )  # fmt: skip
    world = World(engine, port, relay, [receiver, relay_controller])
    try:
        yield world
    finally:
        for controller in world.controllers:
            controller.stop()
        engine.dispose()


def compose(
    files: Sequence[tuple[str, bytes, str]],
    *,
    sender: str = ACME_SENDER,
    to: str = f"acme@{DOMAIN}",
    message_id: str | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, "meter readings"
    mail["Message-ID"] = message_id or make_msgid(domain="acme.example")
    mail.set_content("readings attached\n")
    for name, data, media in files:
        maintype, subtype = media.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail


def signed(mail: EmailMessage, domain: str | None = None, **options: object) -> bytes:
    """The e-mail as sent (CRLF lines) with a valid DKIM signature by its From domain (or by
    ``domain``); ``options`` go to ``dkimkeys.sign``."""
    content = mail.as_bytes(policy=policy.SMTP)
    signer = domain or str(mail["From"]).rpartition("@")[2].rstrip(">")
    return sign(content, signer, **options)  # type: ignore[arg-type]


def send(
    world: World,
    mail: EmailMessage | bytes,
    *,
    sender: str = ACME_SENDER,
    to: Sequence[str] | None = None,
) -> tuple[int, str]:
    """The first refusal, else the reply to DATA: smtplib's own commands, one at a time, so the
    250's text (the receipts) is seen. An EmailMessage is sent DKIM-signed by its From domain;
    bytes are sent as they are."""
    content = signed(mail) if isinstance(mail, EmailMessage) else mail
    if to is None:
        parsed = message_from_bytes(content, policy=policy.default)
        to = [str(parsed["To"])]
    with smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client:
        client.ehlo()
        code, text = client.mail(sender)
        for recipient in to if code == 250 else []:
            code, text = client.rcpt(recipient)
            if code != 250:
                break
        if code == 250:
            code, text = client.data(content)
        return code, text.decode()
