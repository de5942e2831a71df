"""What the browser tests share (a plain module, importable from the tests beside it): serving
the app on a fresh database, signing in through the dashboard's own form, and axe-core audits."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from clusterhub.collab import Role
from clusterhub.service import identity
from clusterhub.storage import make_engine, upgrade
from clusterhub.web import create_site

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


#: The rule sets of WCAG 2.0 and 2.1, levels A and AA, as axe-core tags them.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@contextmanager
def serving(users: Mapping[str, Mapping[str, tuple[Role, ...]]]) -> Iterator[str]:
    """The dashboard on a fresh SQLite database with ``users`` (tenant -> user -> roles), served
    by uvicorn in a thread on a free port of 127.0.0.1; yields its base URL. The port is bound
    by uvicorn itself (port 0), so no other test worker can take it in between; the database's
    folder is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="clusterhub-web-") as folder:
        url = f"sqlite:///{Path(folder) / 'web.db'}"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s, s.begin():
            for tenant, members in users.items():
                identity.add_tenant(s, tenant, tenant.title())
                for user, roles in members.items():
                    identity.add_user(s, tenant, user, PASSWORD, roles)
        engine.dispose()
        app = create_site(url, secret="a-web-test-signing-secret-of-32-bytes")
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        running = uvicorn.Server(config)
        thread = threading.Thread(target=running.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not running.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the app did not start under uvicorn within 20 s", pytrace=False)
            time.sleep(0.05)
        port = running.servers[0].sockets[0].getsockname()[1]  # port 0: the kernel picked it
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            running.should_exit = True
            thread.join(timeout=10)


def violations(
    page: Any,
    where: str | None = None,
    *,
    report: Path | None = None,
    contrast: bool = True,
) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now (or the part ``where``
    selects), one line each; the full report written to ``report`` when given. ``contrast``
    False leaves out the slow colour-contrast rule (seconds over a few hundred table cells) for
    parts drawn after a click, whose styles the page-level audit already checks."""
    from axe_playwright_python.sync_playwright import Axe

    options: dict[str, Any] = {"runOnly": {"type": "tag", "values": WCAG}}
    if not contrast:
        options["rules"] = {"color-contrast": {"enabled": False}}
    results = Axe().run(page, where, options)
    if report is not None:
        report.write_text(json.dumps(results.response, indent=1))
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


def plotted(figure: Any) -> list[dict[str, Any]]:
    """The traces of the chart in ``figure`` (a ``<figure>`` locator) as plotly.js holds them on
    its plot element (``data``), once the chart says it is drawn."""
    assert expect is not None
    expect(figure).to_have_attribute("data-drawn", "true")
    traces: list[dict[str, Any]] = figure.locator(".js-plotly-plot").evaluate(
        "(plot) => JSON.parse(JSON.stringify(plot.data))"
    )
    return traces


def points(traces: list[dict[str, Any]], kind: str = "bar") -> int:
    """How many values the traces of type ``kind`` draw (bars, markers), gaps left out."""
    return sum(sum(v is not None for v in t["y"]) for t in traces if t["type"] == kind)
