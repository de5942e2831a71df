"""The API's answers to errors: where a status code is chosen.

Why every refusal is a 404: a tenant must not learn that another tenant's dataset exists by
guessing ids; a wrong id and a forbidden one look the same. The one refusal that hides nothing
is 403 with its reason: a cluster operator changing its own tenant's groups. Sign-in problems
(bad password, bad, expired or revoked token or key) are 401, too many failed sign-ins 429. Bad
input is 422 with the field path, as everywhere; so is a rejected ingest message, whose receipt
is the answer (a duplicate is 200, an accepted one 201). A differentially private aggregate
that a contributing dataset's privacy budget cannot pay for is 409 (the budget's state says no,
not the caller's rights), and its audit entries are kept.

Why no error echoes the request: a rejected body may be a large file, someone's data or a
probe; the answer names the place (``loc``), what was expected (``msg``) and the kind of
problem (``type``), never the input itself (FastAPI's own validation errors carry ``input``
and ``ctx``: both are dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import fastapi.routing
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from clusterhub.errors import Conflict, Forbidden, InputError, NotFound
from clusterhub.ingest import Receipt
from clusterhub.service.throttle import Throttled

__all__ = [
    "RECEIPT",
    "RESPONSES",
    "THROTTLED",
    "Message",
    "add_error_handlers",
    "file_too_large",
    "receipt_answer",
    "repeated_query",
    "sign_in_refused",
    "signed_out",
    "throttled",
]


class Message(BaseModel):
    detail: str


#: The error answers every operation may give, as the OpenAPI document lists them.
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "a request the server cannot parse"},
    401: {"model": Message, "description": "not signed in, or a bad token or key"},
    403: {"model": Message, "description": "refused for a reason that hides nothing"},
    404: {"model": Message, "description": "not found, or not allowed (the same)"},
    409: {"model": Message, "description": "clashes with what exists"},
    413: {"model": Message, "description": "a body over the route's limit"},
}
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"model": Message, "description": "too many failed sign-ins"}
}
#: An ingest route's answers: the receipt, with the status of what happened to the message.
RECEIPT: dict[int | str, dict[str, Any]] = {
    200: {"description": "a duplicate of an accepted message: nothing stored again"},
    201: {"description": "accepted: the receipt names the version it made"},
    422: {"description": "rejected whole: the receipt lists every problem; kept as a dead letter"},
}
_RECEIPT_STATUS = {"accepted": 201, "duplicate": 200, "rejected": 422}


def receipt_answer(receipt: Receipt) -> JSONResponse:
    return JSONResponse(receipt.as_dict(), status_code=_RECEIPT_STATUS[receipt.status])


def file_too_large(limit: str) -> JSONResponse:
    return JSONResponse({"detail": f"a file over {limit}"}, status_code=413)


def signed_out(exc: Forbidden) -> HTTPException:
    """A request without a valid token or key (the client should sign in again)."""
    return HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"})


def sign_in_refused(exc: Forbidden) -> HTTPException:
    """A wrong user name or password."""
    return HTTPException(401, str(exc))


def throttled(exc: Throttled) -> HTTPException:
    return HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)})


def repeated_query(names: Sequence[str]) -> HTTPException:
    """Query parameters given more than once, each located like a validation error."""
    return HTTPException(
        422,
        [{"loc": ["query", k], "msg": "given more than once", "type": "value_error"}
         for k in names],
    )  # fmt: skip


def _validation(errors: Any) -> list[dict[str, Any]]:
    return [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


#: how much of a refused value an error quotes back
FOUND_CHARS = 40


def _clipped(found: str | None) -> str | None:
    if found is None or len(found) <= FOUND_CHARS:
        return found
    return found[:FOUND_CHARS] + f"… ({len(found):,} characters)"


def _every_route(app: FastAPI) -> Iterable[Any]:
    """The app's routes one by one: FastAPI 0.137.2 on keeps an included router as one entry of
    ``app.routes`` and walks it with ``iter_route_contexts``; before, it copied its routes in."""
    walk = getattr(fastapi.routing, "iter_route_contexts", iter)
    return cast(Iterable[Any], walk(app.router.routes))


def add_error_handlers(app: FastAPI) -> None:
    """Refusals (404; 403 where the reason hides nothing), clashes (409), bad input (422,
    located), HTTP errors, validation."""

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": "not found"}, status_code=404)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        """A refusal that hides nothing (an operator changing its own tenant's groups)."""
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Unknown routes answer exactly like refused objects; a wrong method lists every
        method of the path (Starlette would list only those of the first route it matched)."""
        if exc.status_code == 404:
            return JSONResponse({"detail": "not found"}, status_code=404)
        if exc.status_code == 405:
            methods = sorted(
                {
                    m
                    for r in _every_route(app)
                    if isinstance(getattr(r, "original_route", r), APIRoute)
                    and r.path_regex.match(request.url.path)
                    for m in r.methods or ()
                }
            )
            return JSONResponse(
                {"detail": exc.detail}, status_code=405, headers={"Allow": ", ".join(methods)}
            )
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)  # fmt: skip

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        """The same shape as FastAPI's own validation errors, with what was expected; what was
        found is quoted to at most ``FOUND_CHARS`` characters (the caller sent it, but a
        megabyte cell must not come back whole)."""
        problems = []
        for p in exc.problems:
            found = _clipped(p.found)
            problems.append({
                "loc": ["body", p.path] if p.path else ["body"],
                "msg": f"expected {p.expected}" + (f", found {found}" if found else ""),
                "type": "value_error",
                "expected": p.expected,
                "found": found,
            })  # fmt: skip
        return JSONResponse({"detail": problems}, status_code=422)
