"""Who really sent an e-mail: the From header's address must be the envelope sender and be
vouched for by the sender's domain, the way mail systems judge it.

Why: the envelope sender and the From header are whatever the connecting client types. A
registered address alone is a shared secret everyone can read off an old e-mail, so the receiver
accepts a message only when

- it has exactly one From header holding exactly one address, equal to the envelope sender (the
  address the tenant registered): a message whose envelope and From disagree is refused, even
  when both are registered; and
- that address is authenticated, in one of three configurable ways (``Authenticator.mode``):

  ``dkim`` (the default): a valid DKIM signature (dkimpy) whose ``d=`` is the From domain or a
  parent of it (relaxed alignment, as DMARC has it). The signature must cover From, and the
  Content-Type and Message-ID headers when the message has them (an unsigned Content-Type could
  re-cut the signed body into other attachments; an unsigned Message-ID would turn a replayed
  e-mail into new data instead of a duplicate), and must not use ``l=`` (a body length
  limit lets anyone append an attachment after the signed part). Keys come from DNS
  (dnspython) or, with ``keys``, only from a pinned table (``selector._domainkey.domain`` ->
  TXT record).

  ``relay``: a trusted mail server in front has checked. Only the topmost
  Authentication-Results header counts (the one the last hop added), only when its authserv-id
  is the configured one, and it must say ``dmarc=pass`` for the From domain or ``dkim=pass`` with
  an aligned ``header.d``. Anyone who can connect to the receiver directly can write that header,
  so in this mode the receiver must be reachable from that mail server only.

  ``none``: no authentication beyond the registered address and the From check: for tests and a
  local trial only; ``clusterhub ingest smtp`` warns loudly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import AddressHeader
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

import authres
import dkim

from clusterhub.errors import InputError
from clusterhub.ingest.senders import canonical_address

__all__ = ["MODES", "Authenticator", "load_keys"]

log = logging.getLogger(__name__)

Mode = Literal["dkim", "relay", "none"]
MODES: tuple[Mode, ...] = ("dkim", "relay", "none")
_MUST_SIGN = (b"content-type", b"message-id")  # when present, besides From
_MAX_SIGNATURES = 5  # verifying costs a key lookup each: a message with more is refused


def load_keys(path: Path) -> dict[str, str]:
    """A pinned DKIM key table: one ``selector._domainkey.domain TXT-record`` a line (``#``
    comments, blank lines ignored), e.g. ``mail._domainkey.acme.example v=DKIM1; k=rsa; p=...``."""
    keys: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, record = text.partition(" ")
        if "._domainkey." not in name or "p=" not in record:
            raise InputError.single(
                "selector._domainkey.domain followed by its TXT record (v=DKIM1; k=rsa; p=...)",
                repr(text[:80]), file=str(path), line=number,
            )  # fmt: skip
        keys[name.lower().rstrip(".")] = record.strip().strip('"')
    return keys


def _aligned(signer: str, domain: str) -> bool:
    """``signer`` is the From domain or a parent of it (never a bare top-level domain)."""
    signer, domain = signer.lower().rstrip("."), domain.lower().rstrip(".")
    return "." in signer and (domain == signer or domain.endswith("." + signer))


@dataclass(frozen=True)
class Authenticator:
    """How the receiver decides that an e-mail's sender is who it says (see the module)."""

    mode: Mode = "dkim"
    keys: Mapping[str, str] | None = None  # None: DNS
    trusted_relay: str | None = None  # the authserv-id of the mail server in front (relay)
    dns: Callable[..., bytes | None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError.single(" or ".join(MODES), repr(self.mode), path="--authenticate")
        if self.mode == "relay" and not self.trusted_relay:
            raise InputError.single("the trusted mail server's authserv-id", "none",
                                    path="--trusted-relay")  # fmt: skip

    def refusal(self, envelope_sender: str, content: bytes, mail: EmailMessage) -> str | None:
        """None when ``mail`` is authentically from ``envelope_sender``; else why not, in the
        words of an SMTP 550 reply."""
        froms = mail.get_all("From") or []
        header = froms[0] if len(froms) == 1 else None
        addresses = header.addresses if isinstance(header, AddressHeader) else ()
        if len(addresses) != 1 or not addresses[0].domain:
            return "5.7.1 expected exactly one From header with one address"
        author = canonical_address(addresses[0].addr_spec)
        if author != canonical_address(envelope_sender):
            return f"5.7.1 From <{author}> is not the envelope sender <{envelope_sender}>"
        domain = author.rpartition("@")[2]
        if self.mode == "none":
            return None
        if self.mode == "relay":
            return self._relay_refusal(mail, domain)
        return self._dkim_refusal(content, domain)

    def _lookup(self, name: bytes | str, timeout: int = 5) -> bytes | None:
        text = name.decode() if isinstance(name, bytes) else name
        if self.keys is not None:
            record = self.keys.get(text.lower().rstrip("."))
            return record.encode() if record is not None else None
        lookup = self.dns or dkim.dnsplug.get_txt
        found: bytes | None = lookup(text, timeout=timeout)
        return found

    def _dkim_refusal(self, content: bytes, domain: str) -> str | None:
        try:
            verifier = dkim.DKIM(content, minkey=1024)
            count = sum(name.lower() == b"dkim-signature" for name, _ in verifier.headers)
        except dkim.DKIMException as error:
            return f"5.7.7 unreadable for DKIM: {error}"
        if count == 0:
            return f"5.7.20 no DKIM signature; expected one by {domain}"
        why = "no valid DKIM signature aligned with the From domain"
        for index in range(min(count, _MAX_SIGNATURES)):
            try:
                valid = verifier.verify(idx=index, dnsfunc=self._lookup)
            except dkim.DKIMException as error:
                why = f"DKIM signature {index + 1}: {error}"
                continue
            fields, signed = verifier.signature_fields, set(verifier.include_headers)
            signer = fields.get(b"d", b"").decode(errors="replace")
            present = {name.lower() for name, _ in verifier.headers}
            missing = [h.decode() for h in (b"from", *_MUST_SIGN) if h in present - signed]
            if not valid:
                why = f"DKIM signature {index + 1} (d={signer}) does not verify"
            elif not _aligned(signer, domain):
                why = f"DKIM signature {index + 1} is by d={signer}, not by {domain}"
            elif b"l" in fields:
                why = f"DKIM signature {index + 1} covers only part of the body (l=)"
            elif b"from" not in signed or missing:
                why = f"DKIM signature {index + 1} does not sign {', '.join(missing) or 'from'}"
            else:
                return None
        return f"5.7.20 {why}"

    def _relay_refusal(self, mail: EmailMessage, domain: str) -> str | None:
        headers = mail.get_all("Authentication-Results") or []
        if not headers:
            return f"5.7.1 no Authentication-Results header from {self.trusted_relay}"
        try:
            results = authres.AuthenticationResultsHeader.parse(
                f"Authentication-Results: {headers[0]!s}"
            )
        except authres.AuthResError as error:
            return f"5.7.1 unreadable Authentication-Results header: {error}"
        trusted = (self.trusted_relay or "").lower()
        if (results.authserv_id or "").lower() != trusted:
            return f"5.7.1 the topmost Authentication-Results header is not by {trusted}"
        for result in results.results:
            if getattr(result, "result", None) != "pass":
                continue
            props = {(p.type, p.name): str(p.value) for p in result.properties}
            if result.method == "dmarc" and props.get(("header", "from"), "").lower() == domain:
                return None
            if result.method == "dkim" and _aligned(props.get(("header", "d"), ""), domain):
                return None
        return f"5.7.1 {trusted} reports no dmarc=pass or aligned dkim=pass for {domain}"
