"""DKIM keys and signatures for the e-mail tests: each sending domain gets a generated key
whose public half the receiver finds in a pinned key table, as ``--dkim-keys`` gives it."""

from __future__ import annotations

import base64
from functools import cache

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SELECTOR = "mail"
SIGNED = (b"from", b"to", b"subject", b"message-id", b"content-type", b"mime-version")


@cache
def key_of(domain: str) -> tuple[bytes, str]:
    """The domain's private key (PEM) and its TXT record (``v=DKIM1; k=rsa; p=...``)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


def key_table(*domains: str) -> dict[str, str]:
    return {f"{SELECTOR}._domainkey.{d}": key_of(d)[1] for d in domains}


def sign(
    message: bytes,
    domain: str,
    *,
    key_domain: str | None = None,
    headers: tuple[bytes, ...] = SIGNED,
    length: bool = False,
) -> bytes:
    """``message`` with a DKIM-Signature by ``d=domain`` prepended; ``key_domain``: sign with
    another domain's private key (a forgery)."""
    pem = key_of(key_domain or domain)[0]
    signature = dkim.sign(message, SELECTOR.encode(), domain.encode(), pem,
                          include_headers=list(headers), length=length)  # fmt: skip
    return bytes(signature) + message
