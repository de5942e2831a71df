"""The audit chain: every decision appended as an entry that holds the hash of the one before.

Why a hash chain: an owner must be able to trust "who read my data, when, for what" even against
someone with write access to the log. Each entry's hash covers its position, its content and the
previous entry's hash, so editing, removing or reordering any entry breaks every hash after it;
a truncated tail is caught against the head (count and last hash) kept apart from the entries.
Verification walks the chain once and names the first bad entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GENESIS", "Entry", "Head", "Verification", "append", "seal", "verify"]

#: The "previous hash" of the first entry.
GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    index: int
    payload: str  # canonical JSON: what happened (time, subject, action, resource, purpose, ...)
    previous: str
    hash: str

    def record(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.payload)
        return result


@dataclass(frozen=True)
class Head:
    """What is kept apart from the entries (or published): how many there are and the last
    hash. Without it, dropping the newest entries would go unnoticed."""

    count: int
    hash: str


def canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def seal(index: int, payload: str, previous: str) -> str:
    digest = hashlib.sha256()
    digest.update(f"{index}:{previous}:".encode())
    digest.update(payload.encode())
    return digest.hexdigest()


def append(previous: Entry | None, record: Mapping[str, Any]) -> Entry:
    """The entry that follows ``previous`` (None: the first) with ``record`` in it."""
    index = 0 if previous is None else previous.index + 1
    before = GENESIS if previous is None else previous.hash
    payload = canonical(record)
    return Entry(index, payload, before, seal(index, payload, before))


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad: int | None  # position in the sequence given (0-based) of the first bad entry
    reason: str


def verify(entries: Iterable[Entry], head: Head | None = None) -> Verification:
    """Walk the chain: every entry in place, unaltered, linked to the one before; with
    ``head``, nothing missing at the end either."""
    previous = GENESIS
    position = -1
    for position, entry in enumerate(entries):
        if entry.index != position:
            return Verification(False, position, position,
                                f"entry {position} carries index {entry.index}: removed or "
                                "reordered entries")  # fmt: skip
        if entry.previous != previous:
            text = f"entry {position} does not follow entry {position - 1}"
            return Verification(False, position, position, text)
        if seal(entry.index, entry.payload, entry.previous) != entry.hash:
            return Verification(False, position, position, f"entry {position} was altered")
        previous = entry.hash
    count = position + 1
    if head is not None:
        if count < head.count:
            return Verification(False, count, count,
                                f"{head.count - count} entries missing at the end")  # fmt: skip
        if count > head.count or (count and previous != head.hash):
            return Verification(False, count, min(count, head.count),
                                "the chain does not end at the recorded head")  # fmt: skip
    return Verification(True, count, None, f"{count} entries verified")
