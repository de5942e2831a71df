"""Failed sign-ins slow the guesser, not the user (issue 15 item 8): throttled per (account,
source), per source across accounts, and per account for clients without a device cookie; the
right password from the user's own browser still gets in while strangers fail, and no answer
tells whether an account exists.

Client addresses are from the documentation ranges (RFC 5737): TestClient only writes them into
the request; nothing is sent anywhere.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sectors import PASSWORD, Service

from clusterhub.service.throttle import LoginLimiter, Throttled

DEVICE_COOKIE = "clusterhub_device"  # the cookie the service sets on a sign-in


def _client(service: Service, host: str) -> TestClient:
    return TestClient(service.client.app, client=(host, 50_000))


def _try(client: TestClient, user: str, password: str) -> int:
    answer = client.post("/api/v1/token", data={"username": user, "password": password})
    if answer.status_code == 429:
        assert int(answer.headers["Retry-After"]) >= 1
    return answer.status_code


def test_one_source_guessing_one_account_is_slowed_to_429(service: Service) -> None:
    guesser = _client(service, "203.0.113.9")
    assert [_try(guesser, "acme-admin", f"guess number {i}") for i in range(6)] == [401] * 5 + [429]
    # throttled: even the right password is not judged from there
    assert _try(guesser, "acme-admin", PASSWORD) == 429
    # the user, elsewhere, is not locked out
    assert _try(_client(service, "198.51.100.7"), "acme-admin", PASSWORD) == 200


def test_many_strangers_cannot_lock_out_the_users_own_browser(service: Service) -> None:
    browser = _client(service, "198.51.100.7")
    assert _try(browser, "beta-admin", PASSWORD) == 200  # earlier: a device cookie
    assert browser.cookies.get(DEVICE_COOKIE)
    for k in range(12):  # a botnet: one guess from each of many addresses
        _try(_client(service, f"203.0.113.{100 + k}"), "beta-admin", "a wrong password")
    # the account is locked for clients it has never seen, even with the right password ...
    assert _try(_client(service, "192.0.2.50"), "beta-admin", PASSWORD) == 429
    # ... but not for the browser that signed in before
    assert _try(browser, "beta-admin", PASSWORD) == 200
    # a device cookie of another account does not open this one
    other = _client(service, "192.0.2.51")
    assert _try(other, "gamma-admin", PASSWORD) == 200
    stolen = other.cookies.get(DEVICE_COOKIE)
    forged = _client(service, "192.0.2.52")
    forged.cookies.set(DEVICE_COOKIE, str(stolen), path="/api/v1/token")
    assert _try(forged, "beta-admin", PASSWORD) == 429


def test_spraying_one_password_over_many_names_is_limited(service: Service) -> None:
    sprayer = _client(service, "203.0.113.20")
    names = [f"{t}-{r}" for t in ("acme", "beta", "gamma", "delta") for r in ("admin", "analyst")]
    names += [f"nobody-{k}" for k in range(12)]
    answers = [_try(sprayer, name, "Winter2026!Winter") for name in names]
    assert answers == [401] * 20
    assert _try(sprayer, "epsi-admin", PASSWORD) == 429  # spraying throttled across accounts
    assert _try(_client(service, "198.51.100.8"), "epsi-admin", PASSWORD) == 200


def test_answers_never_tell_whether_an_account_exists(service: Service) -> None:
    real = [_try(_client(service, "203.0.113.30"), "zeta-admin", "wrong") for _ in range(7)]
    ghost = [_try(_client(service, "203.0.113.31"), "zeta-ghost", "wrong") for _ in range(7)]
    assert real == ghost == [401] * 5 + [429] * 2
    one = _client(service, "203.0.113.32").post(
        "/api/v1/token", data={"username": "zeta-admin", "password": "wrong"}
    )
    two = _client(service, "203.0.113.33").post(
        "/api/v1/token", data={"username": "zeta-ghost", "password": "wrong"}
    )
    assert one.json() == two.json()


class _Clock:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _blocked(limiter: LoginLimiter, user: str, source: str, device: str | None = None) -> bool:
    try:
        limiter.check(user, source, device)
    except Throttled:
        return True
    return False


def test_the_readme_limits_hold_exactly_and_their_windows_expire() -> None:
    """5 a minute per account and address, 20 in 15 minutes per address across accounts, 10 in
    15 minutes per account from clients without a device cookie: the attempt after the limit
    is refused, and the window's end lets it in again (the README's figures, to the attempt)."""
    clock = _Clock()
    limiter = LoginLimiter(secret="a-throttle-test-secret", clock=clock)
    for _ in range(5):  # per account and address
        assert not _blocked(limiter, "ann", "10.0.0.1")
        limiter.failed("ann", "10.0.0.1")
    assert _blocked(limiter, "ann", "10.0.0.1")
    clock.now += 60.0
    assert not _blocked(limiter, "ann", "10.0.0.1")

    clock.now += 900.0  # everything above forgotten
    for n in range(20):  # per address, across accounts (each account tried once)
        assert not _blocked(limiter, f"user-{n}", "10.0.0.2")
        limiter.failed(f"user-{n}", "10.0.0.2")
    assert _blocked(limiter, "someone-else", "10.0.0.2")
    assert not _blocked(limiter, "someone-else", "10.0.0.3")  # another address is not held
    clock.now += 900.0
    assert not _blocked(limiter, "someone-else", "10.0.0.2")

    for n in range(10):  # per account, from ten addresses, none with a device cookie
        assert not _blocked(limiter, "bob", f"10.1.0.{n}")
        limiter.failed("bob", f"10.1.0.{n}")
    assert _blocked(limiter, "bob", "10.1.0.99")
    device = limiter.succeeded("bob", "10.9.9.9")  # bob signed in before on his own laptop
    assert not _blocked(limiter, "bob", "10.9.9.9", device)  # the right password still gets in
    clock.now += 900.0
    assert not _blocked(limiter, "bob", "10.1.0.99")
