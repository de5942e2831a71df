"""``clusterhub serve``, ``tenant``, ``user``, ``key`` and ``audit``: running and administering
the data service from the command line (the operator's tools; members use the API)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from clusterhub.cli.output import console, shown_url, write_json
from clusterhub.collab import Role
from clusterhub.errors import InputError
from clusterhub.service import data, identity
from clusterhub.storage import database_url, make_engine, upgrade

__all__ = ["audit_app", "key_app", "serve", "tenant_app", "user_app"]

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="database URL (default: $CLUSTERHUB_DATABASE_URL or SQLite)"),
]

tenant_app = typer.Typer(help="Tenants of the data service (one per participant).")
user_app = typer.Typer(help="Users of a tenant, with roles.")
key_app = typer.Typer(help="API keys for machines.")
audit_app = typer.Typer(help="The audit chain of every decision.")


@contextmanager
def transaction(url: str | None) -> Iterator[Session]:
    """One transaction on the database at ``url``, its schema brought to head first."""
    target = database_url(url)
    upgrade(target)
    engine = make_engine(target)
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


@tenant_app.command("add")
def tenant_add(
    tenant: Annotated[str, typer.Argument(help="tenant id (the participant's id)")],
    name: Annotated[str, typer.Argument(help="display name")],
    group: Annotated[list[str] | None, typer.Option(help="named groups it belongs to")] = None,
    sector: Annotated[
        str | None,
        typer.Option(help="its sector, e.g. chemicals, energy, logistics (aggregates by sector)"),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Add a tenant."""
    with transaction(url) as session:
        identity.add_tenant(session, tenant, name, tuple(group or ()), sector=sector)
    console.print(f"tenant {tenant} added")


@user_app.command("add")
def user_add(
    tenant: Annotated[str, typer.Argument()],
    username: Annotated[str, typer.Argument()],
    role: Annotated[list[Role], typer.Option(help="role; repeat for several")],
    url: UrlOption = None,
) -> None:
    """Add a user; the password is read from $CLUSTERHUB_PASSWORD or asked for."""
    password = os.environ.get("CLUSTERHUB_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )
    with transaction(url) as session:
        identity.add_user(session, tenant, username, password, tuple(role))
    console.print(f"user {username} added to {tenant}")


@key_app.command("issue")
def key_issue(username: Annotated[str, typer.Argument()], url: UrlOption = None) -> None:
    """Issue an API key for a user's machine; it is shown once and stored only as a hash."""
    with transaction(url) as session:
        key = identity.issue_key(session, username)
    console.print(key, highlight=False)


@audit_app.command("verify")
def audit_verify(
    url: UrlOption = None,
    json: Annotated[Path | None, typer.Option("--json", help="write the result to PATH")] = None,
) -> None:
    """Check the whole chain: any edited, removed or reordered entry, or a cut tail, is named."""
    with transaction(url) as session:
        result = data.verify_audit(session)
    write_json(json, result.__dict__)
    if not result.ok:
        raise InputError.single("an intact audit chain", result.reason, path="audit")
    console.print(f"audit chain intact: {result.checked} entries")


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    url: UrlOption = None,
) -> None:
    """Run the data service: the dashboard at /web, the HTTP API under /api/v1 (OpenAPI at
    /openapi.json), the upload form at /upload. Tokens are
    signed with $CLUSTERHUB_SECRET_KEY (a random key when unset: sign-ins end with the process)."""
    import uvicorn

    from clusterhub.web import create_site

    target = database_url(url)
    upgrade(target)
    secret = os.environ.get("CLUSTERHUB_SECRET_KEY")
    console.print(f"serving {shown_url(target)}: dashboard http://{host}:{port}/web, "
                  f"API http://{host}:{port}/api/v1")  # fmt: skip
    uvicorn.run(create_site(target, secret=secret), host=host, port=port, log_level="info")
