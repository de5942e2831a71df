"""Slowing password guessing without letting a stranger lock anyone out (OWASP's "Slow Down Online
Guessing Attacks with Device Cookies").

Why three counters: failures per (account, source) stop one client guessing one password;
failures per source across all accounts stop one client spraying a common password over many
names; failures per account from *untrusted* clients stop many sources guessing one account.
The last one would let anyone lock an account, so a client that has signed in to that account
before holds a device cookie (signed, naming the account) that exempts it from that lockout:
the right password from the user's own browser still works while strangers fail. A device
cookie that is itself used for failures is locked like a source.

Every counter works the same whether or not the account exists, so an answer never tells.
The store is in memory (one process) and bounded: each table keeps at most ``capacity``
keys, dropping those least recently failed first; entries older than their window are gone.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt

from clusterhub.errors import Forbidden

__all__ = ["DEVICE_COOKIE", "LoginLimiter", "Throttled"]

#: The cookie holding a client's device token (sent only to the sign-in route).
DEVICE_COOKIE = "clusterhub_device"
DEVICE_DAYS = 90


class Throttled(Forbidden):
    """Too many failed sign-ins from here (or for this account from unknown clients)."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed sign-ins; try again in {self.retry_after} s")


def _key(*parts: str) -> str:
    """A bounded key: a long user name costs no more memory than a short one."""
    joined = "\0".join(parts)
    return joined if len(joined) <= 128 else hashlib.sha256(joined.encode()).hexdigest()


@dataclass
class _Window:
    """Failure times per key within ``window`` seconds, for at most ``capacity`` keys."""

    limit: int
    window: float
    capacity: int
    _times: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        recent = self._times.get(key)
        if recent is None:
            return 0.0
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if not recent:
            del self._times[key]
            return 0.0
        return recent[0] + self.window - now if len(recent) >= self.limit else 0.0

    def fail(self, key: str, now: float) -> None:
        recent = self._times.pop(key, None) or deque(maxlen=self.limit)
        recent.append(now)
        self._times[key] = recent  # the most recent last
        while len(self._times) > self.capacity:
            self._times.popitem(last=False)

    def clear(self, key: str) -> None:
        self._times.pop(key, None)


@dataclass
class LoginLimiter:
    """The three counters of the module's doc. ``secret`` signs device tokens (a random one
    when empty: they then end with the process)."""

    attempts: int = 5  # per (account, source) or device, within ``window``
    window: float = 60.0
    source_attempts: int = 20  # per source across accounts, within ``long_window``
    account_attempts: int = 10  # per account from untrusted clients, within ``long_window``
    long_window: float = 900.0
    capacity: int = 100_000
    secret: str = ""
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    _pair: _Window = field(init=False)
    _source: _Window = field(init=False)
    _account: _Window = field(init=False)
    _device: _Window = field(init=False)

    def __post_init__(self) -> None:
        self._pair = _Window(self.attempts, self.window, self.capacity)
        self._device = _Window(self.attempts, self.window, self.capacity)
        self._source = _Window(self.source_attempts, self.long_window, self.capacity)
        self._account = _Window(self.account_attempts, self.long_window, self.capacity)
        key = self.secret.encode() or secrets.token_bytes(32)
        self._signing = hmac.new(key, b"clusterhub device tokens", hashlib.sha256).digest()

    def check(self, username: str, source: str, device: str | None = None) -> str | None:
        """Raises ``Throttled`` when this attempt may not be judged; else the id of the
        client's valid, unlocked device token for this account (None: an untrusted client)."""
        now = self.clock()
        trusted = self._device_id(username, device)
        waits = [self._source.wait(_key(source), now), self._pair.wait(_key(username, source), now)]
        if trusted is not None and self._device.wait(trusted, now):
            trusted = None  # a device token used for guessing is no longer trusted
        if trusted is None:
            waits.append(self._account.wait(_key(username), now))
        if max(waits) > 0:
            raise Throttled(max(waits))
        return trusted

    def failed(self, username: str, source: str, trusted: str | None = None) -> None:
        now = self.clock()
        self._source.fail(_key(source), now)
        self._pair.fail(_key(username, source), now)
        if trusted is not None:
            self._device.fail(trusted, now)
        else:
            self._account.fail(_key(username), now)

    def succeeded(self, username: str, source: str) -> str:
        """Clears this client's failures on the account; a new device token for it."""
        self._pair.clear(_key(username, source))
        claims = {"sub": username, "dev": secrets.token_hex(16),
                  "exp": int(self.wall()) + DEVICE_DAYS * 86_400}  # fmt: skip
        return jwt.encode(claims, self._signing, algorithm="HS256")

    def _device_id(self, username: str, device: str | None) -> str | None:
        if not device or len(device) > 512:
            return None
        try:
            claims = jwt.decode(device, self._signing, algorithms=["HS256"],
                                options={"require": ["exp", "sub", "dev"]})  # fmt: skip
        except jwt.PyJWTError:
            return None
        return str(claims["dev"]) if claims["sub"] == username else None
