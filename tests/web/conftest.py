"""The dashboard in a real browser: the app under uvicorn on a free port (a thread of this
process), a SQLite database with two tenants, and Debian's headless Chromium driven by Playwright.

Chromium comes from Debian (``scripts/ensure-browser.sh`` installs it), never from a Playwright
download. When it cannot be found or started the tests fail with the reason in CI (``CI`` set)
and are skipped locally. Screenshots and load times go to ``tests/web/artifacts/`` (ignored by
git), or to ``$CLUSTERHUB_WEB_ARTIFACTS``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from browsing import PASSWORD, serving

from clusterhub.collab import Role

CHROMIUM = os.environ.get("CLUSTERHUB_CHROMIUM", "/usr/bin/chromium")
#: tenant -> its users and their roles
USERS = {
    "acme": {"acme-admin": (Role.MEMBER_ADMIN,), "acme-analyst": (Role.ANALYST,)},
    "beta": {"beta-admin": (Role.MEMBER_ADMIN,)},
    # members of the harbour example, and its council running the engines on their data
    "rijnmond-olien": {"olien-admin": (Role.MEMBER_ADMIN,)},
    "botlek-chemie": {"botlek-admin": (Role.MEMBER_ADMIN,)},
    "maasmond-fuels": {"maasmond-admin": (Role.MEMBER_ADMIN,)},
    "europoort-waterstof": {"europoort-admin": (Role.MEMBER_ADMIN,)},
    "council": {"council-operator": (Role.CLUSTER_OPERATOR,)},
}


def _unavailable(reason: str) -> NoReturn:
    """Fail in CI, where the browser must be there; skip on a developer's machine."""
    message = f"the browser tests need Chromium: {reason}; run `sudo scripts/ensure-browser.sh`"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("CLUSTERHUB_WEB_ARTIFACTS") or Path(__file__).parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The app on a fresh SQLite database with ``USERS``, served on 127.0.0.1; its base URL."""
    with serving(USERS) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} does not exist")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        except Error as exc:
            _unavailable(f"{CHROMIUM} did not start ({str(exc).splitlines()[0]})")
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh tab (its own sessionStorage) on a laptop-sized screen."""
    context = browser.new_context(base_url=server, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"script errors in the page: {errors}"


class Api:
    """The JSON API as one user, to set up data the browser then has to show (or hide)."""

    def __init__(self, server: str, user: str) -> None:
        self.client = httpx.Client(base_url=server, timeout=30)
        answer = self.client.post("/api/v1/token", data={"username": user, "password": PASSWORD})
        answer.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def post(self, path: str, **kwargs: Any) -> Any:
        answer = self.client.post(path, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def get(self, path: str) -> Any:
        answer = self.client.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def api(server: str) -> Any:
    return lambda user: Api(server, user)
