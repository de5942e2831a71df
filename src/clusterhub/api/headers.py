"""The security headers of every answer, and the API's documentation served from this machine.

Why one wrapper around the whole application: a header set per page is a header forgotten on
the next page (the upload form had none); wrapping the app outermost also covers the answers no
route writes: errors, 404s, 413s and the server's own 500.

What the policy allows: scripts, styles, images, fonts and connections from the app's own origin
only; inline styles (the dashboard's charts and Swagger UI set ``style`` attributes); images as
``data:`` URLs (Swagger UI's icons). No inline script anywhere: every page's script is a file
of this package. Nothing may frame a page, and no page sends its address to another site.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HEADERS", "SecurityHeaders", "add_docs_routes"]

#: The dashboard's policy, for every answer the app serves.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_RAW = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]


class SecurityHeaders:
    """Adds ``HEADERS`` to every HTTP answer; a header the answer set itself is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _RAW if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _page(name: str) -> str:
    return resources.files("clusterhub.api").joinpath("pages", name).read_text("utf-8")


def add_docs_routes(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the installed ``fastapi-offline`` package's files, started by a
    script of this package (the CSP forbids inline scripts). ReDoc is not offered: it needs a
    worker from a ``blob:`` URL, which the policy does not allow."""
    static = resources.files("fastapi_offline").joinpath("static")
    app.mount("/docs/static", StaticFiles(directory=str(static)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_page("docs.html"))

    @app.get("/docs/start.js", include_in_schema=False)
    def docs_script() -> Response:
        return Response(_page("docs.js"), media_type="text/javascript")
