"""Signed heads of the audit chain: checkpoints the service signs and members keep outside the
database.

Why: the MAC on every entry stops anyone without the audit key, but the key's holder (the
service host) could still rewrite entries and recompute their MACs. A head signed with the
service's Ed25519 key and kept by a member (a file, a mail archive, another system) fixes the
hash of the entry at its index: any later rewrite of that entry or of one before it changes that
hash, and the signature proves the service itself once vouched for the old one. Pure: keys and
texts are passed in, nothing here reads a file.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clusterhub.errors import InputError

__all__ = ["SignedHead", "exported_hashes", "key_id_of", "parse_heads", "sign_head"]

ALGORITHM = "Ed25519"


def key_id_of(public_key: bytes) -> str:
    """The id of a key pair: the first 16 hex digits of its public key's SHA-256, so anyone
    holding the public key can check which key an entry or a head names."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class SignedHead:
    """The entry at ``index`` (``count - 1``) had ``hash`` at ``time``; signed by ``key_id``."""

    index: int
    hash: str
    time: str
    key_id: str
    signature: str  # base64 of the Ed25519 signature of ``message()``

    def message(self) -> bytes:
        fields = {"index": self.index, "hash": self.hash, "time": self.time, "key_id": self.key_id}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.index + 1, "hash": self.hash,
                "time": self.time, "key_id": self.key_id, "algorithm": ALGORITHM,
                "signature": self.signature}  # fmt: skip

    def signed_by(self, public_key: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                base64.b64decode(self.signature, validate=True), self.message()
            )
        except (InvalidSignature, ValueError):
            return False
        return True


def sign_head(
    private_key: Ed25519PrivateKey, count: int, digest: str, time: datetime
) -> SignedHead:
    """The signed head of a chain of ``count`` entries ending in ``digest``."""
    public = private_key.public_key().public_bytes_raw()
    unsigned = SignedHead(count - 1, digest, time.isoformat(), key_id_of(public), "")
    signature = base64.b64encode(private_key.sign(unsigned.message())).decode()
    return SignedHead(unsigned.index, digest, unsigned.time, unsigned.key_id, signature)


def parse_heads(lines: Iterable[str], *, source: str) -> list[SignedHead]:
    """Heads from JSON lines (what ``GET /api/v1/audit/head`` answers, one a line); blank lines
    are skipped. A line that is not a head is an error naming ``source`` and the line."""
    heads = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found = json.loads(line)
            heads.append(SignedHead(int(found["index"]), str(found["hash"]), str(found["time"]),
                                    str(found["key_id"]), str(found["signature"])))  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError.single(
                "a signed head as JSON (index, hash, time, key_id, signature)",
                f"{line.strip()[:80]!r} ({exc})",
                path=f"{source}:{number}",
            ) from None
    return heads


def exported_hashes(
    heads: Iterable[SignedHead], public_keys: Mapping[str, bytes], *, source: str
) -> list[tuple[int, str]]:
    """Index and hash of every head, once each signature is checked against the public key its
    key id names. A head whose signature does not hold is an error: the file was forged or
    damaged, and proves nothing. (Two validly signed heads giving one index different hashes
    cannot both match the chain: verification reports the index.)"""
    exported = []
    for number, head in enumerate(heads, start=1):
        key = public_keys.get(head.key_id)
        if key is None or not head.signed_by(key):
            known = ", ".join(sorted(public_keys)) or "none"
            raise InputError.single(
                f"a head signed by a known audit key ({known})",
                f"head {number} (index {head.index}, key {head.key_id}) whose signature does "
                "not hold",
                path=source,
            )
        exported.append((head.index, head.hash))
    return exported
