"""The API's answers to errors: where a status code is chosen.

Why no error echoes the request: a rejected body may be a large file, someone's data or a
probe; the answer names the place (``loc``), what was expected (``msg``) and the kind of
problem (``type``), never the input itself (FastAPI's own validation errors carry ``input``
and ``ctx``: both are dropped).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from clusterhub.errors import Conflict, Forbidden, InputError, NotFound

__all__ = ["add_error_handlers"]


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
                    for r in app.router.routes
                    if isinstance(r, APIRoute) and r.path_regex.match(request.url.path)
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
