"""The routes' typed dependencies: the request's transaction (``SessionDep``), who is asking
(``CurrentUser``), the service's clock (``Clock``) and sign-in state (``ServiceDep``), and the
query parameters every data route shares.

Why from ``request.app.state``: one process may serve several apps (the tests build one per
database), and the routes are module-level routers included in each; what differs per app
(its database, its token secret, its clock) is kept on the app by ``create_app``.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Header, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session, sessionmaker

from clusterhub.api.errors import repeated_query, signed_out
from clusterhub.collab import Subject
from clusterhub.errors import Forbidden, NotFound
from clusterhub.service import aggregates, identity
from clusterhub.service.identity import Identity, LoginLimiter

__all__ = [
    "MAX_INT",
    "Clock",
    "CurrentUser",
    "PurposeQuery",
    "Service",
    "ServiceDep",
    "SessionDep",
    "VersionQuery",
    "bearer",
    "clock",
    "service",
    "session",
    "single_valued",
    "subject",
]

#: The largest integer a query or path parameter takes: what every database stores as an integer.
MAX_INT = 2**31 - 1
#: Query parameters that may be repeated (lists: none so far); any other one given twice is
#: refused rather than silently read as its last value.
LISTS: frozenset[str] = frozenset()

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/token", auto_error=False)


@dataclass(frozen=True)
class Service:
    """What one app serves with: its transactions, token secret and clock, sign-in limits."""

    sessions: sessionmaker[Session]
    identity: Identity
    limiter: LoginLimiter


def service(request: Request) -> Service:
    return cast(Service, request.app.state.service)


ServiceDep = Annotated[Service, Depends(service)]


def clock(request: Request) -> Callable[[], datetime]:
    """The app's clock (a test's fake one, or the system's), called where a route needs now."""
    return service(request).identity.now


Clock = Annotated[Callable[[], datetime], Depends(clock)]


def session(request: Request) -> Iterator[Session]:
    """One transaction per request. A refusal still commits: what was written before it is
    the refusal's audit record, and every decision is kept, allowed or not."""
    s = service(request).sessions()
    try:
        yield s
        s.commit()
    except (NotFound, Forbidden, aggregates.BudgetExhausted):
        s.commit()
        raise
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()


# scope="function": the transaction commits before the answer is sent, so a 201 means stored,
# and a client's next request sees what its last one wrote
SessionDep = Annotated[Session, Depends(session, scope="function")]


def subject(
    db: SessionDep,
    request: Request,
    token: Annotated[str | None, Depends(bearer)],
    api_key: Annotated[str | None, Header(alias="X-API-Key", max_length=200)] = None,
) -> Subject:
    """The signed-in identity (a bearer token, else an API key), its tenant entered in the
    database for the rest of the transaction."""
    ident = service(request).identity
    try:
        if token:
            who = identity.subject_from_token(db, ident, token)
        elif api_key:
            who = identity.subject_from_key(db, ident, api_key)
        else:
            raise Forbidden("sign in first")
    except Forbidden as exc:
        raise signed_out(exc) from None
    identity.enter_tenant(db, who)  # the database isolates tenants too (PostgreSQL)
    return who


CurrentUser = Annotated[Subject, Depends(subject)]
# every request for data states its purpose: a missing one is a malformed request (422)
PurposeQuery = Annotated[str, Query(min_length=1, max_length=64)]
VersionQuery = Annotated[int | None, Query(ge=1, le=MAX_INT)]


def single_valued(request: Request) -> None:
    """Every route's: a query parameter given twice is refused (422), not read as its last."""
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in keys if keys.count(k) > 1} - LISTS)
    if repeated:
        raise repeated_query(repeated)
