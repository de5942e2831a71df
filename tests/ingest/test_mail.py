"""The e-mail channel end to end: smtplib talks to the receiver, a second aiosmtpd server plays
the relay that carries receipts back, and the database shows what was stored.

Why through a real socket: the channel's promises are SMTP replies (550, 552, 250 only once
stored); only a real conversation shows them.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import cast

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.errors import Conflict, Forbidden, NotFound
from clusterhub.ingest import dead_letters, receipts
from clusterhub.ingest.mail import start_receiver
from clusterhub.ingest.senders import (
    register_sender,
    remove_sender,
    senders_of,
    tenant_of_sender,
)
from clusterhub.service.data import audit_trail, create_dataset
from clusterhub.service.identity import add_tenant, enter_tenant
from clusterhub.storage import make_engine
from clusterhub.storage.rows import DatasetVersionRow

DOMAIN = "ingest.example"
MAX_BYTES = 64_000
ACME_SENDER, BETA_SENDER = "meter@acme.example", "ops@beta.example"
GOOD_CSV = b"time,mw\n2026-01-01T00:00,1.5\n2026-01-01T01:00,2.0\n"
BAD_CSV = b"time,mw\n2026-01-01T00:00,1.5\n2026-01-01T01:00,lots\n"


def _admin(tenant: str) -> Subject:
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
        enter_tenant(session, _admin(tenant))
        return session

    def versions(self, tenant: str) -> int:
        with self.session(tenant) as s:
            return s.scalar(sa.select(sa.func.count()).select_from(DatasetVersionRow)) or 0


@pytest.fixture
def world(migrated: str, free_port: Callable[[], int]) -> Iterator[World]:
    """acme (dataset ``meter``, sender meter@acme.example) and beta (sender ops@beta.example),
    a receiver for ``<tenant>@ingest.example`` and a relay collecting receipts."""
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        add_tenant(s, "acme", "Acme")
        add_tenant(s, "beta", "Beta")
    for tenant in ("acme", "beta"):
        with Session(engine) as s, s.begin():
            enter_tenant(s, _admin(tenant))
            create_dataset(
                s, _admin(tenant), "meter", "timeseries", {"time": "time", "mw": "number"}
            )
    with Session(engine) as s, s.begin():  # as the operator: the service role only reads senders
        register_sender(s, _admin("acme"), ACME_SENDER)
        register_sender(s, _admin("beta"), BETA_SENDER.upper())
    relay = Collector()
    relay_controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    relay_controller.start()
    port = free_port()
    receiver = start_receiver(
        migrated, "127.0.0.1", port, domain=DOMAIN, max_bytes=MAX_BYTES,
        relay=("127.0.0.1", relay_controller.port),
    )  # fmt: skip
    world = World(engine, port, relay, [receiver, relay_controller])
    try:
        yield world
    finally:
        for controller in world.controllers:
            controller.stop()
        engine.dispose()


def _mail(
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


def _send(world: World, mail: EmailMessage, *, sender: str = ACME_SENDER) -> tuple[int, str]:
    """The first refusal, else the reply to DATA: smtplib's own commands, one at a time, so the
    250's text (the receipts) is seen."""
    with smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client:
        client.ehlo()
        code, text = client.mail(sender)
        for recipient in [str(mail["To"])] if code == 250 else []:
            code, text = client.rcpt(recipient)
        if code == 250:
            code, text = client.data(mail.as_bytes(policy=policy.SMTP))  # CRLF lines
        return code, text.decode()


def test_an_attachment_from_a_registered_sender_is_stored_and_receipted(world: World) -> None:
    mail = _mail([("meter.csv", GOOD_CSV, "text/csv")])
    with smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client:
        assert client.send_message(mail) == {}  # the plain smtplib way: no recipient refused
    assert world.versions("acme") == 1
    (receipt_mail,) = world.relay.mails()
    assert receipt_mail["To"] == ACME_SENDER
    assert receipt_mail["In-Reply-To"] == mail["Message-ID"]
    body = receipt_mail.get_content()
    assert "meter.csv -> acme/meter: accepted, version 1 (2 rows)" in body
    with world.session("acme") as s:
        (receipt,) = receipts(s, _admin("acme"))
    assert (receipt.status, receipt.channel, receipt.version) == ("accepted", "email", 1)
    assert receipt.id in body


def test_each_attachment_is_one_message_with_its_own_receipt(world: World) -> None:
    readings = b'{"rows": [{"time": "2026-01-01T02:00", "mw": 2.5}]}'
    mail = _mail([("meter.csv", GOOD_CSV, "text/csv"),
                  ("meter.json", readings, "application/json"),
                  ("other.csv", GOOD_CSV, "text/csv")])  # fmt: skip
    code, text = _send(world, mail)
    assert code == 250
    assert "meter.csv -> acme/meter: accepted, version 1 (2 rows)" in text
    assert "meter.json -> acme/meter: accepted, version 2 (1 rows)" in text
    assert "other.csv -> acme/other: rejected" in text  # no dataset named other
    assert world.versions("acme") == 2


def test_the_same_email_delivered_three_times_is_stored_once(world: World) -> None:
    mail = _mail([("meter.csv", GOOD_CSV, "text/csv")], message_id="<reading-1@acme.example>")
    replies = [_send(world, mail) for _ in range(3)]
    assert [code for code, _ in replies] == [250, 250, 250]
    assert "accepted, version 1" in replies[0][1]
    assert all("duplicate" in text for _, text in replies[1:])
    assert world.versions("acme") == 1
    with world.session("acme") as s:
        statuses = sorted(r.status for r in receipts(s, _admin("acme")))
    assert statuses == ["accepted", "duplicate", "duplicate"]
    assert len(world.relay.envelopes) == 3  # each delivery is answered


def test_an_unregistered_sender_is_refused_and_nothing_stored(world: World) -> None:
    stranger = "someone@elsewhere.example"
    code, text = _send(world, _mail([("meter.csv", GOOD_CSV, "text/csv")], sender=stranger),
                       sender=stranger)  # fmt: skip
    assert code == 550, text
    mail = _mail([("meter.csv", GOOD_CSV, "text/csv")], sender=stranger)
    with (
        pytest.raises(smtplib.SMTPSenderRefused) as refused,
        smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client,
    ):
        client.send_message(mail)
    assert refused.value.smtp_code == 550
    assert world.versions("acme") == 0
    with world.session("acme") as s:
        assert receipts(s, _admin("acme")) == []
    assert world.relay.envelopes == []  # strangers get no mail from us


def test_an_unknown_ingest_address_is_refused(world: World) -> None:
    code, _ = _send(world, _mail([("meter.csv", GOOD_CSV, "text/csv")], to=f"gamma@{DOMAIN}"))
    assert code == 550
    code, _ = _send(world, _mail([("meter.csv", GOOD_CSV, "text/csv")], to="acme@other.example"))
    assert code == 550


def test_an_oversized_email_is_refused_with_552(world: World) -> None:
    big = GOOD_CSV + b"2026-01-02T00:00,1.0\n" * (MAX_BYTES // 20)
    mail = _mail([("meter.csv", big, "text/csv")])
    code, _ = _send(world, mail)  # no SIZE announced: refused after the data
    assert code == 552
    with (
        pytest.raises(smtplib.SMTPResponseException) as refused,  # SIZE announced: at MAIL
        smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client,
    ):
        client.send_message(mail)
    assert refused.value.smtp_code == 552
    assert world.versions("acme") == 0


def test_a_wrong_type_attachment_is_rejected_and_not_stored(world: World) -> None:
    mail = _mail([("meter.exe", b"MZ\x90\x00binary", "application/octet-stream"),
                  ("meter.png", b"\x89PNG\r\n", "image/png")])  # fmt: skip
    code, text = _send(world, mail)
    assert code == 250
    assert "meter.exe -> acme/meter: rejected" in text
    assert "meter.png -> acme/meter: rejected" in text
    assert world.versions("acme") == 0
    with world.session("acme") as s:
        assert dead_letters(s, _admin("acme")) == []  # never replayable: not kept


def test_an_email_without_attachment_is_refused_with_554(world: World) -> None:
    code, _ = _send(world, _mail([]))
    assert code == 554


def test_a_malformed_csv_is_rejected_with_its_row_and_column(world: World) -> None:
    code, text = _send(world, _mail([("meter.csv", BAD_CSV, "text/csv")]))
    assert code == 250
    assert "rejected" in text
    assert "row 3, column B (mw): expected a number in mw, got 'lots'" in text
    (receipt_mail,) = world.relay.mails()
    assert "row 3, column B (mw)" in receipt_mail.get_content()
    with world.session("acme") as s:
        (letter,) = dead_letters(s, _admin("acme"))
    assert (letter["dataset"], letter["filename"]) == ("meter", "meter.csv")
    assert world.versions("acme") == 0


def test_a_tenant_mailing_into_another_tenants_dataset_is_refused_and_audited(
    world: World,
) -> None:
    mail = _mail([("meter.csv", GOOD_CSV, "text/csv")], sender=BETA_SENDER)
    code, text = _send(world, mail, sender=BETA_SENDER)
    assert code == 250
    assert "meter.csv -> acme/meter: rejected" in text
    assert world.versions("acme") == 0
    with world.session("acme") as s:
        trail = audit_trail(s, Subject("acme", "x", roles=frozenset({Role.MEMBER_ADMIN})))
    denied = [e for e in trail if e["action"] == "write" and not e["allowed"]]
    assert [(e["tenant"], e["user"]) for e in denied] == [("beta", BETA_SENDER)]
    with world.session("beta") as s:
        (letter,) = dead_letters(s, _admin("beta"))  # beta keeps its refused message
    assert letter["target"] == "acme"
    (receipt_mail,) = world.relay.mails()
    assert receipt_mail["To"] == BETA_SENDER


def test_senders_are_managed_by_member_admins_and_audited(migrated: str) -> None:
    engine = make_engine(migrated)
    analyst = Subject("acme", "ann", frozenset({Role.ANALYST}))
    with Session(engine) as s, s.begin():
        add_tenant(s, "acme", "Acme")
        add_tenant(s, "beta", "Beta")
    with Session(engine) as s, s.begin():
        assert register_sender(s, _admin("acme"), " <Meter@Acme.Example> ") == ACME_SENDER
        assert register_sender(s, _admin("acme"), ACME_SENDER) == ACME_SENDER  # no change
    with Session(engine) as s, s.begin(), pytest.raises(Conflict):
        register_sender(s, _admin("beta"), ACME_SENDER)
    with Session(engine) as s, s.begin(), pytest.raises(Forbidden):
        register_sender(s, analyst, "other@acme.example")
    with Session(engine) as s, s.begin(), pytest.raises(NotFound):
        remove_sender(s, _admin("beta"), ACME_SENDER)
    with Session(engine) as s, s.begin():
        assert senders_of(s, _admin("acme")) == [ACME_SENDER]
        assert tenant_of_sender(s, "METER@acme.example") == "acme"
        remove_sender(s, _admin("acme"), ACME_SENDER)
    with Session(engine) as s, s.begin():
        assert tenant_of_sender(s, ACME_SENDER) is None
        enter_tenant(s, _admin("acme"))
        trail = audit_trail(s, _admin("acme"))
    reasons = [e["reason"] for e in trail if e["dataset"] == f"sender:{ACME_SENDER}"]
    assert reasons == [  # refusals committed too: pytest.raises sits inside the transaction
        "sender registered",
        "sender registered",
        "refused: beta registering it",
        "refused: no such sender",
        "sender removed",
    ]
    engine.dispose()
