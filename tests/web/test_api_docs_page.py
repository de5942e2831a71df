"""``/docs`` in a real browser (issue 15 item 10): Swagger UI draws every operation under the
app's own Content-Security-Policy, with no script or style from outside the app's origin and no
policy violation reported by the browser. A header test alone would pass on a blank page that
the CSP broke; this one looks at what a user sees."""

from __future__ import annotations

from typing import Any

import httpx
from browsing import expect, needs_browser


@needs_browser
def test_swagger_ui_draws_every_operation_from_the_app_alone(page: Any, server: str) -> None:
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    page.goto("/docs")
    operations = httpx.get(server + "/openapi.json", timeout=30).json()["paths"]
    count = sum(
        1
        for methods in operations.values()
        for m in methods
        if m in {"get", "post", "put", "delete", "patch"}
    )
    assert expect is not None
    expect(page.locator(".opblock")).to_have_count(count, timeout=30_000)
    page.locator(".opblock-summary", has_text="/api/v1/me").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    outside = [u for u in requested if not u.startswith(server) and not u.startswith("data:")]
    assert outside == []
    assert [m for m in console if "Content Security Policy" in m] == []
