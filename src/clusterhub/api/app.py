"""The HTTP API under ``/api/v1``: one request, one transaction, one decision, one audit record.

Why every refusal is a 404: a tenant must not learn that another tenant's dataset exists by
guessing ids; a wrong id and a forbidden one look the same. The one refusal that hides nothing
is 403 with its reason: a cluster operator changing its own tenant's groups. Sign-in problems
(bad password, bad, expired or revoked token or key) are 401. Bad input is 422 with the field
path, as everywhere. A differentially private aggregate that a contributing dataset's privacy
budget cannot pay for is 409 (the budget's state says no, not the caller's rights), and its
audit entries are kept.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route signatures at run time,
# and their types are aliases local to ``create_app``.
import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from clusterhub import __version__
from clusterhub.api.audit import add_audit_routes
from clusterhub.api.errors import add_error_handlers
from clusterhub.api.export import add_export_routes
from clusterhub.api.grants import add_grant_routes
from clusterhub.api.headers import SecurityHeaders, add_docs_routes
from clusterhub.api.ingest import MAX_FILE_BYTES, add_ingest_routes
from clusterhub.api.keys import add_key_routes
from clusterhub.api.limits import BodyLimit, RouteLimit
from clusterhub.api.operations import add_operation_routes
from clusterhub.api.releases import add_release_routes
from clusterhub.collab import DP_STATISTICS, Privacy, Subject
from clusterhub.errors import Forbidden, NotFound
from clusterhub.service import aggregates as aggregation
from clusterhub.service import data, identity, reach
from clusterhub.service.releases import LEFT_OUT
from clusterhub.storage.url import make_engine

__all__ = ["create_app"]

MAX_ROWS = 100_000
#: The largest integer a query or path parameter takes: what every database stores as an integer.
MAX_INT = 2**31 - 1
DEVICE_SECONDS = identity.DEVICE_DAYS * 86_400
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


class Message(BaseModel):
    detail: str


ColumnName = Annotated[str, Field(min_length=1, max_length=64)]


class DatasetIn(BaseModel):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["timeseries", "table"]
    columns: dict[ColumnName, Literal["number", "text", "time"]] = Field(
        min_length=1, max_length=200
    )
    mode: Literal["replace", "append", "upsert"] = Field(
        "replace",
        description="replace: each version is its message's rows; append: the rows are added; "
        "upsert: a row whose key exists replaces it, others are added",
    )
    key: list[ColumnName] | None = Field(
        None, max_length=20, description="upsert only: the declared columns that identify a row"
    )


class VersionIn(BaseModel):
    rows: list[dict[str, Any]] = Field(max_length=MAX_ROWS)


class GrantIn(BaseModel):
    dataset: str = Field(max_length=64)
    grantee_kind: str = Field(pattern="^(tenant|group|cluster)$")
    grantee: str = Field(min_length=1, max_length=128)
    purpose: str = Field(max_length=64)
    form: str = Field("aggregate-only", pattern="^(raw|aggregate-only)$")
    fields: list[str] | None = None
    expires: datetime | None = None


class BudgetIn(BaseModel):
    epsilon: float = Field(gt=0, le=100, description="the dataset's total privacy budget")


#: Query parameters that may be repeated (lists: none so far); any other one given twice is
#: refused rather than silently read as its last value.
LISTS: frozenset[str] = frozenset()


def _single_valued(request: Request) -> None:
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in keys if keys.count(k) > 1} - LISTS)
    if repeated:
        raise HTTPException(
            422,
            [{"loc": ["query", k], "msg": "given more than once", "type": "value_error"}
             for k in repeated],
        )  # fmt: skip


DEFAULT_EPSILON = 0.1


def _privacy(
    statistic: str, epsilon: float, lower: float | None, upper: float | None
) -> Privacy | str:
    """The request's privacy parameters, or why nothing can be released with them. Why not
    a 422: each parameter is valid alone, and an aggregate that cannot be released says why in
    its cell, as every suppressed cell does."""
    if statistic not in DP_STATISTICS:
        return f"differential privacy covers {' and '.join(DP_STATISTICS)} only, not {statistic}"
    if lower is None or upper is None or not lower < upper:
        return "differential privacy needs bounds with lower below upper"
    return Privacy(epsilon, lower, upper)


def _budget(state: aggregation.BudgetState) -> dict[str, Any]:
    return {
        "dataset": state.dataset,
        "epsilon_total": state.total,
        "epsilon_spent": state.spent,
        "epsilon_remaining": state.remaining,
        "releases": state.releases,
    }


def create_app(url: str, *, secret: str | None = None, clock: Any = None) -> FastAPI:
    """The service on the database at ``url`` (schema at head). ``secret`` signs tokens (a
    random one when absent: tokens then end with the process); ``clock`` is for tests."""
    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    ident = identity.Identity(secret or secrets.token_urlsafe(32), clock=clock)
    limiter = identity.LoginLimiter(secret=ident.secret)
    app = _App(
        dependencies=[Depends(_single_valued)],
        docs_url=None,
        redoc_url=None,
        title="clusterhub",
        version=__version__,
        openapi_url="/openapi.json",
        responses={
            400: {"model": Message, "description": "a request the server cannot parse"},
            401: {"model": Message, "description": "not signed in, or a bad token or key"},
            403: {"model": Message, "description": "refused for a reason that hides nothing"},
            404: {"model": Message, "description": "not found, or not allowed (the same)"},
            409: {"model": Message, "description": "clashes with what exists"},
            413: {"model": Message, "description": "a body over the route's limit"},
        },
    )
    app.add_middleware(BodyLimit, routes=BODY_LIMITS)
    add_docs_routes(app)
    bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/token", auto_error=False)

    def session() -> Iterator[Session]:
        """One transaction per request. A refusal still commits: what was written before it is
        the refusal's audit record, and every decision is kept, allowed or not."""
        s = sessions()
        try:
            yield s
            s.commit()
        except (NotFound, Forbidden, aggregation.BudgetExhausted):
            s.commit()
            raise
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    # scope="function": the transaction commits before the answer is sent, so a 201 means
    # stored, and a client's next request sees what its last one wrote
    Db = Annotated[Session, Depends(session, scope="function")]  # noqa: N806 - a type alias

    def subject(
        db: Db,
        token: Annotated[str | None, Depends(bearer)],
        api_key: Annotated[str | None, Header(alias="X-API-Key", max_length=200)] = None,
    ) -> Subject:
        try:
            if token:
                who = identity.subject_from_token(db, ident, token)
            elif api_key:
                who = identity.subject_from_key(db, ident, api_key)
            else:
                raise Forbidden("sign in first")
        except Forbidden as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
        identity.enter_tenant(db, who)  # the database isolates tenants too (PostgreSQL)
        return who

    Who = Annotated[Subject, Depends(subject)]  # noqa: N806 - a type alias
    # every request for data states its purpose: a missing one is a malformed request (422)
    Purpose = Annotated[str, Query(min_length=1, max_length=64)]  # noqa: N806 - a type alias

    add_error_handlers(app)

    @app.post(
        "/api/v1/token",
        tags=["identity"],
        responses={429: {"model": Message, "description": "too many failed sign-ins"}},
    )
    def token(
        db: Db, request: Request, response: Response,
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
    ) -> dict[str, str]:  # fmt: skip
        """A 15-minute bearer token. Failed sign-ins are throttled per client address (behind a
        proxy, let uvicorn trust its X-Forwarded-For: ``FORWARDED_ALLOW_IPS``); a browser that
        signed in before keeps a device cookie that lets its right password in while others
        fail on the same account."""
        source = request.client.host if request.client else "unknown"
        device = request.cookies.get(identity.DEVICE_COOKIE)
        try:
            signed = identity.authenticate(db, form.username, form.password, limiter,
                                           source, device)  # fmt: skip
        except identity.Throttled as exc:
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(exc.retry_after)}
            ) from None
        except Forbidden as exc:
            raise HTTPException(401, str(exc)) from None
        response.set_cookie(identity.DEVICE_COOKIE, signed.device, max_age=DEVICE_SECONDS,
                            path="/api/v1/token", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")  # fmt: skip
        return {"access_token": identity.issue_token(ident, signed.subject), "token_type": "bearer"}

    @app.get("/api/v1/me", tags=["identity"])
    def me(who: Who) -> dict[str, Any]:
        return {"tenant": who.tenant, "user": who.user, "roles": sorted(who.roles)}

    @app.post("/api/v1/datasets", status_code=201, tags=["datasets"])
    def create_dataset(db: Db, who: Who, body: DatasetIn) -> dict[str, str]:
        created = data.create_dataset(
            db, who, body.name, body.kind, body.columns, mode=body.mode, key=body.key
        )
        return {"id": created}

    @app.post("/api/v1/datasets/{dataset}/versions", status_code=201, tags=["datasets"])
    def add_version(db: Db, who: Who, dataset: str, body: VersionIn) -> dict[str, int]:
        return {"version": data.add_version(db, who, dataset, body.rows)}

    @app.get("/api/v1/datasets/{dataset}", tags=["datasets"])
    def read(
        db: Db,
        who: Who,
        dataset: str,
        purpose: Purpose,
        version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    ) -> dict[str, Any]:
        found = data.read_dataset(db, who, dataset, purpose, version=version, now=ident.now())
        return {
            "dataset": found.dataset,
            "owner": found.owner,
            "name": found.name,
            "mode": found.mode,
            "key": list(found.key),
            "version": found.version,
            "sha256": found.sha256,
            "rows": found.rows,
        }

    @app.post("/api/v1/grants", status_code=201, tags=["grants"])
    def grant(db: Db, who: Who, body: GrantIn) -> dict[str, str]:
        created = data.create_grant(
            db,
            who,
            body.dataset,
            grantee_kind=body.grantee_kind,
            grantee=body.grantee,
            purpose=body.purpose,
            form=body.form,
            fields=body.fields,
            expires=body.expires,
        )
        return {"id": created}

    @app.post("/api/v1/grants/{grant}/revoke", tags=["grants"])
    def revoke(db: Db, who: Who, grant: str) -> dict[str, str]:
        data.revoke_grant(db, who, grant, when=ident.now())
        return {"id": grant, "state": "revoked"}

    @app.get("/api/v1/grants", tags=["grants"])
    def grants(db: Db, who: Who) -> list[dict[str, Any]]:
        return [
            {
                "id": g.id,
                "dataset": g.dataset,
                "grantee_kind": g.grantee_kind.value,
                "grantee": g.grantee,
                "purpose": g.purpose.value,
                "form": g.form.value,
                "expires": g.expires,
                "revoked": g.revoked,
            }
            # a group grant: the tenants it reaches, and those that joined since (consent)
            | ({} if g.members is None else {
                "members": sorted(g.members),
                "pending": reach.pending_of(db, g.grantee, g.members)})
            for g in data.grants_of(db, who)
        ]  # fmt: skip

    add_grant_routes(app, session, subject, ident.now)  # PATCH /api/v1/grants/{grant}

    @app.get("/api/v1/grants/odrl", tags=["grants"])
    def odrl(db: Db, who: Who) -> dict[str, Any]:
        return data.odrl_of(db, who)

    @app.get("/api/v1/audit", tags=["audit"])
    def audit(db: Db, who: Who) -> list[dict[str, Any]]:
        return data.audit_trail(db, who)

    add_audit_routes(app, session, subject, ident.now)  # GET /api/v1/audit/head, /audit/key

    @app.get("/api/v1/datasets/{dataset}/budget", tags=["datasets"])
    def budget(db: Db, who: Who, dataset: str) -> dict[str, Any]:
        """What differentially private releases have spent of the dataset's privacy budget."""
        return _budget(aggregation.privacy_budget(db, who, dataset))

    @app.put("/api/v1/datasets/{dataset}/budget", tags=["datasets"])
    def set_budget(db: Db, who: Who, dataset: str, body: BudgetIn) -> dict[str, Any]:
        """The owner's total epsilon for the dataset; spent epsilon stays spent."""
        return _budget(aggregation.set_privacy_budget(db, who, dataset, body.epsilon))

    @app.get("/api/v1/aggregates", tags=["aggregates"])
    def aggregates(  # noqa: PLR0917 - query parameters, as FastAPI reads them
        db: Db,
        who: Who,
        name: Annotated[str, Query(min_length=1, max_length=128)],
        value: Annotated[str, Query(min_length=1, max_length=128)],
        purpose: Purpose,
        by: Annotated[
            str | None,
            Query(
                max_length=200,
                description="grouping columns, comma-separated; `sector` is the contributor's",
            ),
        ] = None,
        statistic: Annotated[str, Query(pattern="^(sum|mean|median|p10|p25|p50|p75|p90)$")] = "sum",
        period: Annotated[
            Literal["day", "week", "month", "quarter", "year"] | None,
            Query(description="calendar period of the `time` column to group by"),
        ] = None,
        time: Annotated[str, Query(min_length=1, max_length=128)] = "time",
        dp: Annotated[
            bool, Query(description="add differential-privacy noise (sum and mean only)")
        ] = False,
        epsilon: Annotated[
            float, Query(gt=0, le=10, description="privacy loss of the whole table, with dp")
        ] = DEFAULT_EPSILON,
        lower: Annotated[
            float | None,
            Query(ge=-1e12, le=1e12, description="with dp: clamp each company's value from"),
        ] = None,
        upper: Annotated[
            float | None,
            Query(ge=-1e12, le=1e12, description="with dp: clamp each company's value to"),
        ] = None,
    ) -> list[dict[str, Any]]:
        """A cluster-level aggregate: only cells over at least 3 companies, none dominant, no
        company's figures by difference with earlier exact answers to the tenant; optionally
        differentially private, charged to each contributing dataset's budget. Exact answers
        leave out (and count) datasets whose owners allow only private releases."""
        privacy = _privacy(statistic, epsilon, lower, upper) if dp else None
        if isinstance(privacy, str):  # nothing is read: nothing to release or to audit
            return [{"group": ["total"], "value": None, "contributors": None, "suppressed": True,
                     "reason": privacy, "epsilon": None, "noise_scale": None,
                     "left_out": 0, "left_out_reason": None}]  # fmt: skip
        table = aggregation.aggregate(
            db, who, name=name, value=value, purpose=purpose,
            by=[c.strip() for c in (by or "").split(",") if c.strip()],
            statistic=statistic, period=period, time=time, privacy=privacy, now=ident.now(),
        )  # fmt: skip
        return [
            {
                "group": [str(g) for g in c.group],
                "value": c.value,
                "contributors": c.contributors if not c.suppressed else None,
                "suppressed": c.suppressed,
                "reason": c.reason or None,
                "epsilon": c.epsilon,
                "noise_scale": c.noise_scale,
                "left_out": table.left_out,
                "left_out_reason": f"{table.left_out} datasets left out: {LEFT_OUT}"
                if table.left_out
                else None,
            }
            for c in table.cells
        ]

    add_export_routes(app, session, subject, ident.now, MAX_INT)
    add_key_routes(app, session, subject, ident.now)
    add_release_routes(app, session, subject)
    add_operation_routes(app, session, subject, ident.now)
    add_ingest_routes(app, session, subject, ident.now)

    @app.get("/api/v1/health", tags=["service"])
    def health(db: Db) -> dict[str, str]:
        db.execute(sa.text("select 1"))
        return {"status": "ok", "version": __version__}

    # for what mounts on this app (the dashboard): its transaction and identity dependencies
    app.state.session_dependency = session
    app.state.subject_dependency = subject
    return app
