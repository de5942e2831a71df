"""How much a request may send: one limit per route, counted on the bytes as they arrive.

Why count the stream and not trust ``Content-Length``: a chunked body has none, and a client
may declare less than it sends. The declared length is still read first, so an honest client
with an oversized body is refused before a byte of it is read. Why a middleware: the limit must
hold before any route parses the body (JSON, a form, a file), and for routes that read none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_BODY_BYTES", "BodyLimit", "RouteLimit", "body_limit_of"]

#: Any route not listed in ``BodyLimit.routes``.
DEFAULT_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RouteLimit:
    """At most ``bytes`` of body for a path matching ``pattern`` (whole path, any method)."""

    pattern: re.Pattern[str]
    bytes: int
    shown: str  # the limit as the answer names it, e.g. "20 MB"


def _shown(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB" if size % (1024 * 1024) == 0 else f"{size} bytes"


def body_limit_of(routes: Sequence[RouteLimit], path: str) -> tuple[int, str]:
    """The limit of ``path``: the first matching route's, else the default."""
    for route in routes:
        if route.pattern.fullmatch(path):
            return route.bytes, route.shown
    return DEFAULT_BODY_BYTES, _shown(DEFAULT_BODY_BYTES)


class _TooLarge(Exception):
    """Raised from ``receive`` once the body passes its limit; the route never sees more."""


class BodyLimit:
    """Answers 413 naming the limit when a request's body (declared or streamed) exceeds the
    limit of its route."""

    def __init__(self, app: ASGIApp, routes: Sequence[RouteLimit] = ()) -> None:
        self.app = app
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, shown = body_limit_of(self.routes, scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, shown)
            return
        received = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            # a route that turns the aborted read into its own error (FastAPI answers 400
            # "error parsing the body") is overruled: the answer is the 413
            nonlocal started
            if over:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _refuse(send, shown)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            if not started:
                await _refuse(send, shown)


async def _refuse(send: Send, shown: str) -> None:
    body = json.dumps({"detail": f"a request body over {shown}, the limit of this route"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
