"""The HTTP API under ``/api/v1``: one request, one transaction, one decision, one audit record.

``create_app`` builds one app on one database: the routes of ``routes`` (one module per
capability), their typed dependencies (``deps``: the transaction, the signed-in identity, the
clock), the answers to errors and every status code they carry (``errors``), the security
headers and body limits around everything (``headers``, ``limits``).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy.orm import sessionmaker
from starlette.types import ASGIApp

from clusterhub import __version__
from clusterhub.api import deps
from clusterhub.api.errors import RESPONSES, add_error_handlers
from clusterhub.api.headers import SecurityHeaders, add_docs_routes
from clusterhub.api.limits import BodyLimit, RouteLimit
from clusterhub.api.routes import ROUTERS
from clusterhub.api.routes.ingest import MAX_FILE_BYTES
from clusterhub.service import identity
from clusterhub.storage.url import make_engine

__all__ = ["create_app"]

#: Bodies beyond the 1 MiB default: rows and files up to the file cap (a multipart form's own
#: framing on top), a posted cluster description up to 4 MiB.
BODY_LIMITS = (
    RouteLimit(re.compile(r"/api/v1/ingest/[^/]+/[^/]+/file"), MAX_FILE_BYTES + 64 * 1024, "20 MB"),
    RouteLimit(re.compile(r"/api/v1/ingest/[^/]+/[^/]+"), MAX_FILE_BYTES, "20 MB"),
    RouteLimit(re.compile(r"/api/v1/datasets/[^/]+/versions"), MAX_FILE_BYTES, "20 MB"),
    RouteLimit(re.compile(r"/api/v1/runs"), 4 * 1024 * 1024, "4 MiB"),
)


class _App(FastAPI):
    """FastAPI with the security headers outside everything, the server's own 500s included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(url: str, *, secret: str | None = None, clock: Any = None) -> FastAPI:
    """The service on the database at ``url`` (schema at head). ``secret`` signs tokens (a
    random one when absent: tokens then end with the process); ``clock`` is for tests."""
    ident = identity.Identity(secret or secrets.token_urlsafe(32), clock=clock)
    app = _App(
        dependencies=[Depends(deps.single_valued)],
        docs_url=None,
        redoc_url=None,
        title="clusterhub",
        version=__version__,
        openapi_url="/openapi.json",
        responses=RESPONSES,
    )
    app.state.service = deps.Service(
        sessions=sessionmaker(make_engine(url), expire_on_commit=False),
        identity=ident,
        limiter=identity.LoginLimiter(secret=ident.secret),
    )
    app.add_middleware(BodyLimit, routes=BODY_LIMITS)
    add_docs_routes(app)
    add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # for what mounts on this app (the dashboard): its transaction and identity dependencies
    app.state.session_dependency = deps.session
    app.state.subject_dependency = deps.subject
    return app
