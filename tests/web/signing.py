"""Signing in through the dashboard's own form, shared by the browser tests (a plain module,
importable from the tests beside it)."""

from __future__ import annotations

import os
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - a dev dependency; CI must have it
    if os.environ.get("CI"):
        raise
    expect = None
#: Browser tests are skipped without Playwright (and fail in CI, where it must be installed).
needs_browser = pytest.mark.skipif(expect is None, reason="playwright is not installed")

PASSWORD = "correct horse battery"  # every user's password in conftest.py


def sign_in(page: Any, user: str = "acme-analyst", then: str = "/web/overview") -> None:
    """Sign in as ``user`` from ``then``'s redirect (the keyboard submits the form) and wait
    until that page says it is drawn; a first draw may compute an optimisation."""
    page.goto("/web/sign-in?next=" + then)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(lambda url: "/sign-in" not in url and url.endswith(then))
    page.wait_for_selector("main[data-ready=true]", timeout=60_000)
