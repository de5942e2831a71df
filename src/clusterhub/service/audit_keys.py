"""The audit key: the secret outside the database that MACs every audit entry and signs heads.

Why outside the database: whoever can write the database can recompute every hash of the chain;
only a key they do not have makes a rewrite show. The key is ``$CLUSTERHUB_AUDIT_KEY`` when set
(at least 32 characters; the same on every host that writes or verifies the chain), else the
file ``audit.key`` in the clusterhub home, made on first use with 32 random bytes and mode 0600
(and refused when others may read it). From that one secret two keys are derived: the HMAC key
of the entries and the Ed25519 key pair that signs heads (its public half is what members keep).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clusterhub.collab import key_id_of
from clusterhub.errors import InputError
from clusterhub.storage.url import data_dir

__all__ = ["ENV_KEY", "KEY_FILE", "AuditKey", "current", "from_secret"]

ENV_KEY = "CLUSTERHUB_AUDIT_KEY"
KEY_FILE = "audit.key"
MIN_CHARS = 32


@dataclass(frozen=True)
class AuditKey:
    id: str  # ``key_id_of`` the public key: entries and heads name it
    mac: bytes
    signing: Ed25519PrivateKey

    @property
    def public(self) -> bytes:
        return self.signing.public_key().public_bytes_raw()


def from_secret(secret: bytes) -> AuditKey:
    """Both keys from one secret, each under its own label (HMAC-SHA256 as the derivation)."""
    mac = hmac.new(secret, b"clusterhub audit mac", hashlib.sha256).digest()
    seed = hmac.new(secret, b"clusterhub audit signing", hashlib.sha256).digest()
    signing = Ed25519PrivateKey.from_private_bytes(seed)
    return AuditKey(key_id_of(signing.public_key().public_bytes_raw()), mac, signing)


_CACHE: dict[tuple[str | None, str], AuditKey] = {}


def current() -> AuditKey:
    """The key in force: read once per process for each source (record and verify call this
    on every entry and request)."""
    given = os.environ.get(ENV_KEY) or None
    path = data_dir() / KEY_FILE
    cached = _CACHE.get((given, str(path)))
    if cached is None:
        cached = _CACHE.setdefault((given, str(path)), from_secret(_secret(given, path)))
    return cached


def _secret(given: str | None, path: Path) -> bytes:
    if given is not None:
        if len(given) < MIN_CHARS:
            raise InputError.single(
                f"a secret of at least {MIN_CHARS} characters", f"{len(given)} characters",
                path=ENV_KEY,
            )  # fmt: skip
        return given.encode()
    if path.exists():
        return _read(path)
    # written whole under a private name, then linked into place: a process starting at the
    # same moment either finds no file or the whole key, and the first link wins
    draft = path.with_name(f".{KEY_FILE}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another process linked its key first
            os.link(draft, path)
    except OSError as exc:
        raise InputError.single("a writable clusterhub home", str(exc), path=str(path)) from None
    finally:
        draft.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise InputError.single(
            "an audit key readable by its owner only (chmod 600)", f"mode {mode:o}", path=str(path)
        )
    text = path.read_text(encoding="ascii").strip()
    if len(text) < MIN_CHARS:
        raise InputError.single(
            f"a secret of at least {MIN_CHARS} characters", f"{len(text)} characters",
            path=str(path),
        )  # fmt: skip
    return text.encode()
