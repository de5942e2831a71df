"""The audit chain: 1,000 random tamperings, every one detected and located; with the key, a
rewrite with every hash recomputed too; with an exported signed head, one by the key holder."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import random
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clusterhub.collab import Head, append, verify
from clusterhub.collab.audit import Entry, head_mac, mac
from clusterhub.collab.heads import exported_hashes, key_id_of, parse_heads, sign_head
from clusterhub.errors import InputError


def chain(n: int) -> list[Entry]:
    entries: list[Entry] = []
    last = None
    for i in range(n):
        last = append(
            last,
            {"time": f"2026-11-23T12:{i % 60:02d}", "subject": f"user{i % 7}@t{i % 3}",
             "action": "read", "resource": f"t{i % 3}/meter", "purpose": "energy-optimization",
             "allowed": i % 5 != 0},
        )  # fmt: skip
        entries.append(last)
    return entries


def test_an_intact_chain_verifies() -> None:
    entries = chain(200)
    result = verify(entries, Head(len(entries), entries[-1].hash))
    assert result.ok
    assert result.checked == 200
    assert entries[5].record()["action"] == "read"


def test_every_random_tampering_is_detected() -> None:
    entries = chain(60)
    head = Head(len(entries), entries[-1].hash)
    rng = random.Random(11)
    kinds = ["flip", "delete", "reorder", "truncate", "forge"]
    for trial in range(1000):
        kind = kinds[trial % len(kinds)]
        tampered = list(entries)
        i = rng.randrange(len(entries) - 1)
        if kind == "flip":  # one byte of one payload changed
            e = tampered[i]
            position = rng.randrange(len(e.payload))
            flipped = chr((ord(e.payload[position]) + 1) % 128 or 1)
            payload = e.payload[:position] + flipped + e.payload[position + 1 :]
            tampered[i] = dataclasses.replace(e, payload=payload)
        elif kind == "delete":
            del tampered[i]
        elif kind == "reorder":
            tampered[i], tampered[i + 1] = tampered[i + 1], tampered[i]
        elif kind == "truncate":
            tampered = tampered[: rng.randrange(len(entries))]
        else:  # a rewritten entry with its own hash recomputed: the next link breaks
            e = tampered[i]
            forged = append(tampered[i - 1] if i else None, {"forged": trial})
            tampered[i] = dataclasses.replace(forged, index=e.index)
        result = verify(tampered, head)
        assert not result.ok, (kind, i)
        if kind in ("flip", "delete", "reorder"):
            assert result.first_bad == i, (kind, i, result)


# --- keyed chain: MACs under a key outside the database, signed heads ----------------------------
KEY = b"k" * 32


def keyed_chain(n: int, *, key: bytes = KEY, start: list[Entry] | None = None) -> list[Entry]:
    entries = list(start or [])
    for i in range(n):
        last = entries[-1] if entries else None
        entries.append(append(last, {"i": i, "action": "read"}, key=key, key_id="k1"))
    return entries


def recomputed(entries: list[Entry], i: int, record: dict[str, object],
               key: bytes | None = None) -> list[Entry]:  # fmt: skip
    """The attack: entry ``i`` replaced, every hash after it recomputed (MACs too with
    ``key``, else left as they were)."""
    forged = entries[:i]
    for position in range(i, len(entries)):
        content = record if position == i else entries[position].record()
        new = append(forged[-1] if forged else None, content, key=key, key_id="k1")
        forged.append(
            new
            if key
            else dataclasses.replace(
                new, mac=entries[position].mac, key_id=entries[position].key_id
            )
        )
    return forged


def head_of(entries: list[Entry], key: bytes = KEY) -> Head:
    last = entries[-1].hash
    return Head(len(entries), last, head_mac(key, len(entries), last), "k1")


def test_a_keyed_chain_verifies_with_its_key() -> None:
    entries = keyed_chain(50)
    result = verify(entries, head_of(entries), keys={"k1": KEY})
    assert result.ok, result
    assert (result.checked, result.keyed, result.unkeyed) == (50, 50, None)


def test_a_rewrite_with_every_hash_recomputed_is_caught_by_the_mac_and_located() -> None:
    entries = keyed_chain(30)
    for i in (0, 7, 29):
        forged = recomputed(entries, i, {"i": i, "action": "nothing to see"})
        head = Head(len(forged), forged[-1].hash, "0" * 64, "k1")
        assert verify(forged, head).ok  # the hashes alone cannot tell (the attack)
        result = verify(forged, head, keys={"k1": KEY})
        assert not result.ok
        assert result.first_bad == i
        assert f"entry {i} was rewritten" in result.reason


def test_removed_macs_and_unknown_keys_are_caught() -> None:
    entries = keyed_chain(10)
    stripped = recomputed(entries, 4, {"i": 4, "action": "edited"})
    stripped = stripped[:4] + [dataclasses.replace(e, mac=None, key_id=None) for e in stripped[4:]]
    result = verify(stripped, keys={"k1": KEY})
    assert (result.ok, result.first_bad) == (False, 4)
    assert "MAC was removed" in result.reason
    other = verify(entries, keys={"k2": KEY})
    assert (other.ok, other.first_bad) == (False, 0)
    assert "'k1'" in other.reason


def test_entries_before_keying_are_reported_as_unkeyed_not_as_proven() -> None:
    legacy = chain(5)
    entries = keyed_chain(3, start=legacy)
    result = verify(entries, head_of(entries), keys={"k1": KEY})
    assert result.ok
    assert (result.keyed, result.unkeyed) == (3, (0, 4))
    assert "entries 0-4 carry no MAC" in result.reason


def test_a_rewritten_head_is_caught_by_its_mac() -> None:
    entries = keyed_chain(10)
    cut = entries[:8]  # the newest two dropped, the head set to match
    forged_head = Head(8, cut[-1].hash, head_mac(b"x" * 32, 8, cut[-1].hash), "k1")
    result = verify(cut, forged_head, keys={"k1": KEY})
    assert not result.ok
    assert "recorded head was rewritten" in result.reason


def test_a_rewrite_by_the_key_holder_is_caught_by_an_exported_head() -> None:
    entries = keyed_chain(20)
    exported = [(12, entries[12].hash)]
    forged = recomputed(entries, 5, {"i": 5, "action": "edited"}, key=KEY)
    assert verify(forged, head_of(forged), keys={"k1": KEY}).ok  # the key holder's rewrite
    result = verify(forged, head_of(forged), keys={"k1": KEY}, exported=exported)
    assert (result.ok, result.first_bad) == (False, 12)
    assert "at or before 12 was rewritten" in result.reason
    after = recomputed(entries, 15, {"i": 15, "action": "edited"}, key=KEY)  # after the head:
    assert verify(after, head_of(after), keys={"k1": KEY}, exported=exported).ok  # not proven
    cut = verify(entries[:10], keys={"k1": KEY}, exported=exported)
    assert not cut.ok
    assert "exported at index 12" in cut.reason


def test_signed_heads_check_against_the_public_key_only() -> None:
    private = Ed25519PrivateKey.from_private_bytes(b"s" * 32)
    public = private.public_key().public_bytes_raw()
    entries = keyed_chain(4)
    head = sign_head(private, 4, entries[-1].hash, datetime(2026, 11, 24, tzinfo=UTC))
    assert head.index == 3
    assert head.key_id == key_id_of(public)
    lines = [json.dumps(head.as_json()), ""]
    parsed = parse_heads(lines, source="heads.jsonl")
    assert exported_hashes(parsed, {head.key_id: public}, source="heads.jsonl") == [
        (3, entries[-1].hash)
    ]
    forged = dataclasses.replace(head, hash=entries[0].hash)
    with pytest.raises(InputError, match="signature does not hold"):
        exported_hashes([forged], {head.key_id: public}, source="heads.jsonl")
    with pytest.raises(InputError, match=r"heads\.jsonl:2"):
        parse_heads([lines[0], "{not json"], source="heads.jsonl")


def test_two_signed_heads_for_one_index_cannot_both_hold() -> None:
    entries = keyed_chain(6)
    result = verify(entries, keys={"k1": KEY}, exported=[(3, entries[3].hash), (3, "f" * 64)])
    assert (result.ok, result.first_bad) == (False, 3)


def test_the_macs_are_standard_hmac_sha256() -> None:
    """Anyone can recompute them with any HMAC library (RFC 4231 test case 2's key too)."""
    for key in (KEY, b"Jefe", b"x" * 100):
        digest = "ab" * 32
        expected = hmac.new(key, b"entry:" + digest.encode(), hashlib.sha256).hexdigest()
        assert mac(key, digest) == expected
    rfc = hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
    assert rfc == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
