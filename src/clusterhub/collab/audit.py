"""The audit chain: every decision appended as an entry that holds the hash of the one before.

Why a hash chain: each entry's hash covers its position, its content and the previous entry's
hash, so editing, removing or reordering any entry breaks every hash after it; a truncated tail
is caught against the head (count and last hash) kept apart from the entries.

Why a MAC as well: hashes alone anyone can recompute, so someone with write access to the log
could change an entry, recompute every hash after it and the head, and the chain would still
verify. Each entry therefore also carries an HMAC-SHA256 of its hash under a key kept outside
the database (``mac``, with the key's id): without the key no valid MAC can be made, and
verification with the key names the first rewritten entry. Against the key holder itself, heads
signed and exported outside the database (``clusterhub.collab.heads``) prove any rewrite of an
entry at or before an exported head. Keys are passed in: nothing here reads a file or the
environment.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GENESIS",
    "Entry",
    "Head",
    "Verification",
    "append",
    "head_mac",
    "mac",
    "seal",
    "verify",
]

#: The "previous hash" of the first entry.
GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    index: int
    payload: str  # canonical JSON: what happened (time, subject, action, resource, purpose, ...)
    previous: str
    hash: str
    mac: str | None = None  # HMAC-SHA256 of ``hash`` under the key ``key_id``; None: unkeyed
    key_id: str | None = None

    def record(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.payload)
        return result


@dataclass(frozen=True)
class Head:
    """What is kept apart from the entries (or published): how many there are and the last
    hash. Without it, dropping the newest entries would go unnoticed."""

    count: int
    hash: str
    mac: str | None = None  # ``head_mac`` under the key ``key_id``: the head was not rewritten
    key_id: str | None = None


def canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def seal(index: int, payload: str, previous: str) -> str:
    digest = hashlib.sha256()
    digest.update(f"{index}:{previous}:".encode())
    digest.update(payload.encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _pads(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's inner and outer hashes with the key's pads already absorbed (RFC 2104):
    each MAC then costs two copies and two short updates, half of ``hmac.digest`` here."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()  # 64: the block size
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


def _hmac(key: bytes, message: bytes) -> str:
    inner, outer = _pads(key)
    first = inner.copy()
    first.update(message)
    second = outer.copy()
    second.update(first.digest())
    return str(second.hexdigest())


def mac(key: bytes, digest: str) -> str:
    """An entry's MAC: HMAC-SHA256 of its hash (which covers position, content and the link)."""
    return _hmac(key, b"entry:" + digest.encode())


def head_mac(key: bytes, count: int, digest: str) -> str:
    """The head's MAC (``head:`` keeps it from ever equalling an entry's)."""
    return _hmac(key, f"head:{count}:{digest}".encode())


def append(
    previous: Entry | None,
    record: Mapping[str, Any],
    *,
    key: bytes | None = None,
    key_id: str | None = None,
) -> Entry:
    """The entry that follows ``previous`` (None: the first) with ``record`` in it, with its
    MAC under ``key`` when one is given."""
    index = 0 if previous is None else previous.index + 1
    before = GENESIS if previous is None else previous.hash
    payload = canonical(record)
    digest = seal(index, payload, before)
    if key is None:
        return Entry(index, payload, before, digest)
    return Entry(index, payload, before, digest, mac(key, digest), key_id)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad: int | None  # position in the sequence given (0-based) of the first bad entry
    reason: str
    #: entries whose MAC was checked (0 when no keys were given)
    keyed: int = 0
    #: first and last position of the entries written before the chain was keyed (no MAC):
    #: their links hold, but nothing proves them against someone with write access
    unkeyed: tuple[int, int] | None = None
    #: exported heads found in the chain
    heads: int = 0


def _bad(position: int, reason: str, keyed: int = 0) -> Verification:
    return Verification(False, position, position, reason, keyed)


def _keyed(entry: Entry, position: int, keys: Mapping[str, bytes], seen: bool) -> str | None:
    """Why the entry's MAC does not hold, or None."""
    if entry.mac is None:
        if seen:
            return f"entry {position} carries no MAC though earlier entries do: its MAC was removed"
        return None
    key = keys.get(entry.key_id or "")
    if key is None:
        return f"entry {position} is keyed with key {entry.key_id!r}, not a key given"
    if not hmac.compare_digest(mac(key, entry.hash), entry.mac):
        return f"entry {position} was rewritten: its MAC does not match (made without the key)"
    return None


def verify(
    entries: Iterable[Entry],
    head: Head | None = None,
    *,
    keys: Mapping[str, bytes] | None = None,
    exported: Iterable[tuple[int, str]] = (),
) -> Verification:
    """Walk the chain: every entry in place, unaltered, linked to the one before; with
    ``head``, nothing missing at the end either. With ``keys`` (key id -> MAC key) every MAC is
    checked too: entries without one are allowed only before the first keyed entry (they are
    counted in ``unkeyed``, not as proven). ``exported`` (index and hash of signed heads whose
    signatures the caller has checked) must each still be in the chain."""
    wanted: dict[int, set[str]] = {}
    for index, digest in exported:
        wanted.setdefault(index, set()).add(digest)
    previous = GENESIS
    position = -1
    keyed = 0
    unkeyed: tuple[int, int] | None = None
    for position, entry in enumerate(entries):
        if entry.index != position:
            return _bad(position, f"entry {position} carries index {entry.index}: removed or "
                        "reordered entries", keyed)  # fmt: skip
        if entry.previous != previous:
            return _bad(position, f"entry {position} does not follow entry {position - 1}", keyed)
        if seal(entry.index, entry.payload, entry.previous) != entry.hash:
            return _bad(position, f"entry {position} was altered", keyed)
        if keys is not None:
            if (problem := _keyed(entry, position, keys, keyed > 0)) is not None:
                return _bad(position, problem, keyed)
            if entry.mac is not None:
                keyed += 1
            else:
                unkeyed = (0, position)
        if position in wanted and wanted[position] != {entry.hash}:
            return _bad(position, f"entry {position} is not the one in the signed head exported "
                        f"at index {position}: an entry at or before {position} was rewritten",
                        keyed)  # fmt: skip
        previous = entry.hash
    count = position + 1
    beyond = [i for i in wanted if i >= count]
    if beyond:
        return _bad(count, f"a signed head was exported at index {min(beyond)} but the chain "
                    f"has {count} entries: entries were removed", keyed)  # fmt: skip
    if head is not None:
        if count < head.count:
            return _bad(count, f"{head.count - count} entries missing at the end", keyed)
        if count > head.count or (count and previous != head.hash):
            return Verification(False, count, min(count, head.count),
                                "the chain does not end at the recorded head", keyed)  # fmt: skip
        if keys is not None and keyed and (reason := _head_problem(head, keys)):
            return _bad(count, reason, keyed)
    reason = f"{count} entries verified" if keys is None else _summary(count, keyed, unkeyed)
    return Verification(True, count, None, reason, keyed, unkeyed, len(wanted))


def _head_problem(head: Head, keys: Mapping[str, bytes]) -> str | None:
    key = keys.get(head.key_id or "")
    if head.mac is None or key is None:
        return "the recorded head carries no MAC under a key given: it was rewritten"
    if not hmac.compare_digest(head_mac(key, head.count, head.hash), head.mac):
        return "the recorded head was rewritten: its MAC does not match (entries cut at the end?)"
    return None


def _summary(count: int, keyed: int, unkeyed: tuple[int, int] | None) -> str:
    text = f"{count} entries verified, {keyed} with their MAC"
    if unkeyed is not None:
        text += (f"; entries {unkeyed[0]}-{unkeyed[1]} carry no MAC (written before the chain "
                 "was keyed): their links hold, but they are not proven against a database "
                 "writer")  # fmt: skip
    return text
