"""The e-mail channel end to end: smtplib talks to the receiver, a second aiosmtpd server plays
the relay that carries receipts back, and the database shows what was stored.

Why through a real socket: the channel's promises are SMTP replies (550, 552, 250 only once
stored); only a real conversation shows them.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator

import pytest
from mailworld import (
    ACME_SENDER,
    BAD_CSV,
    BETA_SENDER,
    DOMAIN,
    GOOD_CSV,
    MAX_BYTES,
    World,
    admin,
    compose,
    make_world,
    send,
    signed,
)
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.errors import Conflict, Forbidden, NotFound
from clusterhub.ingest import dead_letters, receipts
from clusterhub.ingest.senders import (
    register_sender,
    remove_sender,
    senders_of,
    tenant_of_sender,
)
from clusterhub.service.data import audit_trail
from clusterhub.service.identity import add_tenant, enter_tenant
from clusterhub.storage import make_engine


@pytest.fixture
def world(migrated: str, free_port: Callable[[], int]) -> Iterator[World]:
    with make_world(migrated, free_port) as made:
        yield made


def test_an_attachment_from_a_registered_sender_is_stored_and_receipted(world: World) -> None:
    mail = compose([("meter.csv", GOOD_CSV, "text/csv")])
    with smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client:
        # the plain smtplib way: no recipient refused
        assert client.sendmail(ACME_SENDER, [str(mail["To"])], signed(mail)) == {}
    assert world.versions("acme") == 1
    (receipt_mail,) = world.relay.mails()
    assert receipt_mail["To"] == ACME_SENDER
    assert receipt_mail["In-Reply-To"] == mail["Message-ID"]
    body = receipt_mail.get_content()
    assert "meter.csv -> acme/meter: accepted, version 1 (2 rows)" in body
    with world.session("acme") as s:
        (receipt,) = receipts(s, admin("acme"))
    assert (receipt.status, receipt.channel, receipt.version) == ("accepted", "email", 1)
    assert receipt.id in body


def test_each_attachment_is_one_message_with_its_own_receipt(world: World) -> None:
    readings = b'{"rows": [{"time": "2026-01-01T02:00", "mw": 2.5}]}'
    mail = compose([("meter.csv", GOOD_CSV, "text/csv"),
                  ("meter.json", readings, "application/json"),
                  ("other.csv", GOOD_CSV, "text/csv")])  # fmt: skip
    code, text = send(world, mail)
    assert code == 250
    assert "meter.csv -> acme/meter: accepted, version 1 (2 rows)" in text
    assert "meter.json -> acme/meter: accepted, version 2 (1 rows)" in text
    assert "other.csv -> acme/other: rejected" in text  # no dataset named other
    assert world.versions("acme") == 2


def test_the_same_email_delivered_three_times_is_stored_once(world: World) -> None:
    mail = compose([("meter.csv", GOOD_CSV, "text/csv")], message_id="<reading-1@acme.example>")
    replies = [send(world, mail) for _ in range(3)]
    assert [code for code, _ in replies] == [250, 250, 250]
    assert "accepted, version 1" in replies[0][1]
    assert all("duplicate" in text for _, text in replies[1:])
    assert world.versions("acme") == 1
    with world.session("acme") as s:
        statuses = sorted(r.status for r in receipts(s, admin("acme")))
    assert statuses == ["accepted", "duplicate", "duplicate"]
    assert len(world.relay.envelopes) == 3  # each delivery is answered


def test_an_unregistered_sender_is_refused_and_nothing_stored(world: World) -> None:
    stranger = "someone@elsewhere.example"
    code, text = send(world, compose([("meter.csv", GOOD_CSV, "text/csv")], sender=stranger),
                       sender=stranger)  # fmt: skip
    assert code == 550, text
    mail = compose([("meter.csv", GOOD_CSV, "text/csv")], sender=stranger)
    with (
        pytest.raises(smtplib.SMTPSenderRefused) as refused,
        smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client,
    ):
        client.send_message(mail)
    assert refused.value.smtp_code == 550
    assert world.versions("acme") == 0
    with world.session("acme") as s:
        assert receipts(s, admin("acme")) == []
    assert world.relay.envelopes == []  # strangers get no mail from us


def test_an_unknown_ingest_address_is_refused(world: World) -> None:
    code, _ = send(world, compose([("meter.csv", GOOD_CSV, "text/csv")], to=f"gamma@{DOMAIN}"))
    assert code == 550
    code, _ = send(world, compose([("meter.csv", GOOD_CSV, "text/csv")], to="acme@other.example"))
    assert code == 550


def test_an_oversized_email_is_refused_with_552(world: World) -> None:
    big = GOOD_CSV + b"2026-01-02T00:00,1.0\n" * (MAX_BYTES // 20)
    mail = compose([("meter.csv", big, "text/csv")])
    code, _ = send(world, mail)  # no SIZE announced: refused after the data
    assert code == 552
    with (
        pytest.raises(smtplib.SMTPResponseException) as refused,  # SIZE announced: at MAIL
        smtplib.SMTP("127.0.0.1", world.port, timeout=30) as client,
    ):
        client.send_message(mail)
    assert refused.value.smtp_code == 552
    assert world.versions("acme") == 0


def test_a_wrong_type_attachment_is_rejected_and_not_stored(world: World) -> None:
    mail = compose([("meter.exe", b"MZ\x90\x00binary", "application/octet-stream"),
                  ("meter.png", b"\x89PNG\r\n", "image/png")])  # fmt: skip
    code, text = send(world, mail)
    assert code == 250
    assert "meter.exe -> acme/meter: rejected" in text
    assert "meter.png -> acme/meter: rejected" in text
    assert world.versions("acme") == 0
    with world.session("acme") as s:
        assert dead_letters(s, admin("acme")) == []  # never replayable: not kept


def test_an_email_without_attachment_is_refused_with_554(world: World) -> None:
    code, _ = send(world, compose([]))
    assert code == 554


def test_a_malformed_csv_is_rejected_with_its_row_and_column(world: World) -> None:
    code, text = send(world, compose([("meter.csv", BAD_CSV, "text/csv")]))
    assert code == 250
    assert "rejected" in text
    assert "row 3, column B (mw): expected a number in mw, got 'lots'" in text
    (receipt_mail,) = world.relay.mails()
    assert "row 3, column B (mw)" in receipt_mail.get_content()
    with world.session("acme") as s:
        (letter,) = dead_letters(s, admin("acme"))
    assert (letter["dataset"], letter["filename"]) == ("meter", "meter.csv")
    assert world.versions("acme") == 0


def test_a_tenant_mailing_another_tenants_address_is_refused_and_audited(world: World) -> None:
    """beta's authenticated sender mails acme's ingest address: 550, not 250, nothing stored
    anywhere, and acme's audit trail shows beta's refused write."""
    mail = compose([("meter.csv", GOOD_CSV, "text/csv")], sender=BETA_SENDER)
    code, text = send(world, mail, sender=BETA_SENDER)
    assert code == 550, text
    assert f"acme@{DOMAIN}: another tenant's ingest address" in text
    assert world.versions("acme") == 0
    with world.session("acme") as s:
        trail = audit_trail(s, Subject("acme", "x", roles=frozenset({Role.MEMBER_ADMIN})))
    denied = [e for e in trail if e["action"] == "write" and not e["allowed"]]
    assert [(e["tenant"], e["user"], e["dataset"]) for e in denied] == [
        ("beta", BETA_SENDER, f"email:acme@{DOMAIN}")
    ]
    # one foreign recipient refuses the whole message: beta's own copy is not stored either
    code, text = send(world, mail, sender=BETA_SENDER, to=[f"beta@{DOMAIN}", f"acme@{DOMAIN}"])
    assert code == 550, text
    assert world.versions("beta") == 0
    with world.session("beta") as s:
        assert receipts(s, admin("beta")) == []
        assert dead_letters(s, admin("beta")) == []
    assert world.relay.envelopes == []  # the refusal is the SMTP answer; the sender's MTA bounces


def test_senders_are_managed_by_member_admins_and_audited(migrated: str) -> None:
    engine = make_engine(migrated)
    analyst = Subject("acme", "ann", frozenset({Role.ANALYST}))
    with Session(engine) as s, s.begin():
        add_tenant(s, "acme", "Acme")
        add_tenant(s, "beta", "Beta")
    with Session(engine) as s, s.begin():
        assert register_sender(s, admin("acme"), " <Meter@Acme.Example> ") == ACME_SENDER
        assert register_sender(s, admin("acme"), ACME_SENDER) == ACME_SENDER  # no change
    with Session(engine) as s, s.begin(), pytest.raises(Conflict):
        register_sender(s, admin("beta"), ACME_SENDER)
    with Session(engine) as s, s.begin(), pytest.raises(Forbidden):
        register_sender(s, analyst, "other@acme.example")
    with Session(engine) as s, s.begin(), pytest.raises(NotFound):
        remove_sender(s, admin("beta"), ACME_SENDER)
    with Session(engine) as s, s.begin():
        assert senders_of(s, admin("acme")) == [ACME_SENDER]
        assert tenant_of_sender(s, "METER@acme.example") == "acme"
        remove_sender(s, admin("acme"), ACME_SENDER)
    with Session(engine) as s, s.begin():
        assert tenant_of_sender(s, ACME_SENDER) is None
        enter_tenant(s, admin("acme"))
        trail = audit_trail(s, admin("acme"))
    reasons = [e["reason"] for e in trail if e["dataset"] == f"sender:{ACME_SENDER}"]
    assert reasons == [  # refusals committed too: pytest.raises sits inside the transaction
        "sender registered",
        "sender registered",
        "refused: beta registering it",
        "refused: no such sender",
        "sender removed",
    ]
    engine.dispose()
