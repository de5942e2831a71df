"""Attacks on who an e-mail says it is from: a registered envelope sender with someone else's
From header, no signature, a forged or unaligned one, a partial-body or header-skipping one, and
a forged Authentication-Results header. Each is refused with a 550 naming why; nothing stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path

import pytest
from dkimkeys import key_table
from mailworld import (
    ACME_SENDER,
    BETA_SENDER,
    GOOD_CSV,
    World,
    compose,
    make_world,
    send,
    signed,
)

from clusterhub.errors import InputError
from clusterhub.ingest.mailauth import Authenticator, load_keys

FILES = [("meter.csv", GOOD_CSV, "text/csv")]
TRUSTED = "mx.ingest.example"


@pytest.fixture
def world(migrated: str, free_port: Callable[[], int]) -> Iterator[World]:
    keys = key_table("acme.example", "beta.example", "evil.example")
    with make_world(migrated, free_port, Authenticator("dkim", keys=keys)) as made:
        yield made


def _refused(world: World, content: bytes, *expected: str) -> None:
    code, text = send(world, content, sender=ACME_SENDER)
    assert code == 550, text
    for part in expected:
        assert part in text
    assert world.versions("acme") == 0
    assert world.relay.envelopes == []


def test_a_from_header_other_than_the_envelope_sender_is_refused(world: World) -> None:
    # registered envelope (acme's meter), From someone else: even beta's registered address,
    # with beta's valid signature, does not make acme's envelope speak for beta or vice versa
    forged = compose(FILES, sender=BETA_SENDER)
    _refused(world, signed(forged), f"From <{BETA_SENDER}> is not the envelope sender")
    stranger = compose(FILES, sender="ceo@elsewhere.example")
    _refused(world, stranger.as_bytes(policy=policy.SMTP), "is not the envelope sender")


def test_two_from_headers_are_refused(world: World) -> None:
    mail = compose(FILES)
    content = signed(mail)
    doubled = content.replace(b"From: ", b"From: boss@acme.example\r\nFrom: ", 1)
    _refused(world, doubled, "exactly one From header")


def test_an_unsigned_or_forged_signature_is_refused(world: World) -> None:
    mail = compose(FILES)
    _refused(world, mail.as_bytes(policy=policy.SMTP), "no DKIM signature")
    # d=acme.example signed with another key: the published key does not verify it
    _refused(world, signed(mail, key_domain="evil.example"), "does not verify")
    # a valid signature by a domain the sender controls is not the From domain's
    _refused(world, signed(mail, "evil.example"), "is by d=evil.example, not by acme.example")
    # tampered after signing: another attachment's bytes
    original = signed(mail)
    tampered = original.replace(b"dGltZSxtdw", b"dGltZSxtdX")  # "time,mw" -> "time,mu"
    assert tampered != original
    _refused(world, tampered, "body hash mismatch")


def test_a_signature_over_part_of_the_body_or_not_over_content_type_is_refused(
    world: World,
) -> None:
    mail = compose(FILES)
    _refused(world, signed(mail, length=True), "only part of the body (l=)")
    unsigned_type = (b"from", b"to", b"subject", b"message-id")
    _refused(world, signed(mail, headers=unsigned_type), "does not sign content-type")


def test_a_valid_aligned_signature_is_accepted(world: World) -> None:
    code, text = send(world, compose(FILES))
    assert code == 250, text
    assert world.versions("acme") == 1


# --- behind a trusted mail server --------------------------------------------------------------
@pytest.fixture
def relayed(migrated: str, free_port: Callable[[], int]) -> Iterator[World]:
    with make_world(migrated, free_port, Authenticator("relay", trusted_relay=TRUSTED)) as made:
        yield made


def _with_results(*headers: str) -> bytes:
    content = compose(FILES).as_bytes(policy=policy.SMTP)
    added = "".join(f"Authentication-Results: {h}\r\n" for h in headers)
    return added.encode() + content


def test_the_trusted_relays_topmost_result_decides(relayed: World) -> None:
    passed = f"{TRUSTED}; dkim=pass header.d=acme.example; dmarc=pass header.from=acme.example"
    # the sender's own "pass" below the relay's verdict counts for nothing
    forged_below = _with_results(f"{TRUSTED}; dkim=fail header.d=acme.example", passed)
    _refused(relayed, forged_below, f"{TRUSTED} reports no dmarc=pass")
    # a verdict by anyone but the trusted relay on top: refused
    _refused(relayed, _with_results("mx.other.example; dmarc=pass header.from=acme.example"),
             f"not by {TRUSTED}")  # fmt: skip
    _refused(relayed, compose(FILES).as_bytes(policy=policy.SMTP), "no Authentication-Results")
    # a pass for another domain is no pass for the From domain
    _refused(relayed, _with_results(f"{TRUSTED}; dkim=pass header.d=evil.example"),
             "no dmarc=pass or aligned dkim=pass for acme.example")  # fmt: skip
    code, text = send(relayed, _with_results(passed), sender=ACME_SENDER)
    assert code == 250, text
    assert relayed.versions("acme") == 1


def test_without_authentication_the_from_header_is_still_checked(
    migrated: str, free_port: Callable[[], int]
) -> None:
    with make_world(migrated, free_port, Authenticator("none")) as world:
        forged = compose(FILES, sender=BETA_SENDER).as_bytes(policy=policy.SMTP)
        _refused(world, forged, "is not the envelope sender")
        code, _ = send(world, compose(FILES).as_bytes(policy=policy.SMTP), sender=ACME_SENDER)
        assert code == 250


def test_the_key_table_names_its_bad_line(tmp_path: Path) -> None:
    table = tmp_path / "keys"
    record = key_table("acme.example")["mail._domainkey.acme.example"]
    table.write_text(f"# pinned\n\nmail._domainkey.acme.example {record}\nacme.example p=\n")
    with pytest.raises(InputError) as bad:
        load_keys(table)
    assert (bad.value.problems[0].file, bad.value.problems[0].line) == (str(table), 4)
    table.write_text(f"Mail._domainkey.Acme.Example. {record}\n")
    assert load_keys(table) == {"mail._domainkey.acme.example": record}
